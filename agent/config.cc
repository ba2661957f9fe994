#include "agent/config.h"

#include <arpa/inet.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/identity.h"

namespace kerbside::agent {
namespace {

absl::Status Bad(absl::string_view key, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(key, ": ", why));
}

absl::StatusOr<absl::Duration> ParsePositive(absl::string_view key, const std::string& text) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d <= absl::ZeroDuration()) {
    return Bad(key, absl::StrCat("'", text, "' is not a positive duration such as 15s or 2m"));
  }
  return d;
}

bool IsIpAddress(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

}  // namespace

absl::StatusOr<AgentConfig> ValidateAgentFlags(const AgentFlags& f) {
  AgentConfig c;
  if (f.collector.empty() || f.collector.find(':') == std::string::npos) {
    return Bad("collector", absl::StrCat("'", f.collector, "' is not host:port"));
  }
  c.collector = f.collector;
  c.plaintext = f.plaintext;
  if (!f.plaintext) {
    if (f.ca.empty()) return Bad("ca", "required (mutual TLS is the default)");
    if (f.cert.empty()) return Bad("cert", "required (mutual TLS is the default)");
    if (f.key.empty()) return Bad("key", "required (mutual TLS is the default)");
  }
  c.tls = TlsFiles{f.ca, f.cert, f.key};

  // NetBIOS computer names: at most 15 characters, letters, digits and hyphens.
  if (f.netbios_name.empty() || f.netbios_name.size() > 15) {
    return Bad("netbios_name", "required, 1 to 15 characters");
  }
  for (char ch : f.netbios_name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && ch != '-') {
      return Bad("netbios_name",
                 absl::StrCat("'", f.netbios_name, "' may hold only letters, digits and '-'"));
    }
  }
  const std::string fqdn = NormalizeHostName(f.fqdn);
  if (fqdn.find('.') == std::string::npos) {
    return Bad("fqdn", absl::StrCat("'", f.fqdn, "' is not a fully qualified name"));
  }
  if (fqdn.substr(0, fqdn.find('.')) != absl::AsciiStrToLower(f.netbios_name)) {
    return Bad("fqdn", absl::StrCat("'", f.fqdn, "' does not start with netbios_name '",
                                    f.netbios_name, "'"));
  }
  v1::Role role;
  if (f.role == "exchange") {
    role = v1::ROLE_EXCHANGE;
  } else if (f.role == "dc") {
    role = v1::ROLE_DC;
  } else {
    return Bad("role", absl::StrCat("'", f.role, "' is not exchange or dc"));
  }
  if (f.pdc_emulator && role != v1::ROLE_DC) {
    return Bad("pdc_emulator", "only a domain controller can hold the PDC emulator role");
  }
  for (const std::string& ip : f.ips) {
    if (!IsIpAddress(ip)) return Bad("ip", absl::StrCat("'", ip, "' is not an IP address"));
  }
  c.identity.set_netbios_name(absl::AsciiStrToUpper(f.netbios_name));
  c.identity.set_fqdn(fqdn);
  c.identity.set_role(role);
  c.identity.set_site(f.site);
  c.identity.set_domain(f.domain.empty() ? fqdn.substr(fqdn.find('.') + 1)
                                         : NormalizeHostName(f.domain));
  for (const std::string& ip : f.ips) c.identity.add_ips(ip);
  c.identity.set_pdc_emulator(f.pdc_emulator);
  c.identity.set_agent_version(KERBSIDE_VERSION);

  auto hb = ParsePositive("heartbeat_interval", f.heartbeat_interval);
  if (!hb.ok()) return hb.status();
  auto bi = ParsePositive("backoff_initial", f.backoff_initial);
  if (!bi.ok()) return bi.status();
  auto bm = ParsePositive("backoff_max", f.backoff_max);
  if (!bm.ok()) return bm.status();
  if (*bm < *bi) return Bad("backoff_max", "must not be shorter than backoff_initial");
  c.heartbeat_interval = *hb;
  c.backoff_initial = *bi;
  c.backoff_max = *bm;
  c.log_level = f.log_level;
  return c;
}

}  // namespace kerbside::agent
