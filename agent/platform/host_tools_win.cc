#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "agent/platform/host_tools.h"

namespace kerbside::agent::platform {
namespace {

// Exchange's cmdlets in a child PowerShell (5.1, what Exchange servers have), as
// Collect-KerbsideBundle.ps1 runs them: the snap-in loaded if the shell lacks it, UTF-8 out.
std::vector<std::string> ExchangeShell(const std::string& pipeline) {
  return {"powershell.exe",
          "-NoProfile",
          "-NonInteractive",
          "-ExecutionPolicy",
          "Bypass",
          "-Command",
          absl::StrCat(
              "$ErrorActionPreference='Stop'; [Console]::OutputEncoding=[Text.Encoding]::UTF8; "
              "if (-not (Get-Command Get-Queue -ErrorAction SilentlyContinue)) { "
              "$s = Get-PSSnapin -Registered | Where-Object { $_.Name -like "
              "'Microsoft.Exchange.Management.PowerShell.*' } | Select-Object -First 1; "
              "if ($s) { Add-PSSnapin $s.Name } }; ",
              pipeline)};
}

}  // namespace

std::vector<ToolCommand> HostToolCommands(const AgentConfig& c) {
  std::vector<ToolCommand> out;
  out.push_back({"w32tm-status.txt", {"w32tm.exe", "/query", "/status"}});
  // The clock against each configured DC: w32tm prints one line per sample (English text and
  // numbers; the parser reads the numbers, DESIGN.md and FORMATS.md say what a localized
  // server prints).
  for (const auto& kdc : c.probes.targets.kdcs) {
    std::string label = kdc.name.substr(0, kdc.name.find('.'));
    out.push_back({absl::StrCat("w32tm-stripchart-", absl::AsciiStrToUpper(label), ".txt"),
                   {"w32tm.exe", "/stripchart", absl::StrCat("/computer:", kdc.name), "/samples:3",
                    "/dataonly"}});
  }
  if (c.identity.role() == v1::ROLE_EXCHANGE) {
    out.push_back({"get-queue.json",
                   ExchangeShell("Get-Queue | Select-Object Identity, DeliveryType, Status, "
                                 "MessageCount, NextHopDomain, LastError, LastRetryTime | "
                                 "ConvertTo-Json -Depth 3")});
    out.push_back(
        {"get-receiveconnector.json",
         ExchangeShell(absl::StrCat(
             "Get-ReceiveConnector -Server ", c.identity.netbios_name(),
             " | Select-Object Identity, Enabled, TransportRole, Bindings, RemoteIPRanges, "
             "AuthMechanism, PermissionGroups | ConvertTo-Json -Depth 4"))});
  }
  if (c.identity.role() == v1::ROLE_DC) {
    out.push_back({"repadmin-showrepl.csv", {"repadmin.exe", "/showrepl", "*", "/csv"}});
    // setspn exits non-zero on success on Server 2022 (-X) and when -Q finds nothing.
    out.push_back({"setspn-x.txt", {"setspn.exe", "-X"}, true});
    out.push_back({"setspn-q-SMTPSVC.txt", {"setspn.exe", "-Q", "SMTPSVC/*"}, true});
    for (const std::string& ex : c.exchange_servers) {
      out.push_back({absl::StrCat("setspn-l-", ex, ".txt"), {"setspn.exe", "-L", ex}});
    }
  }
  return out;
}

}  // namespace kerbside::agent::platform
