// Windows: the names the agent uses when neither its flags, its file nor the policy give them.
#include <windows.h>
// After windows.h: DsGetSiteNameW.
#include <dsgetdc.h>
#include <lm.h>

#include "absl/strings/ascii.h"
#include "agent/platform/host_identity.h"
#include "agent/platform/win_util.h"

namespace kerbside::agent::platform {
namespace {

std::string ComputerName(COMPUTER_NAME_FORMAT format) {
  wchar_t buf[256];
  DWORD chars = 256;
  if (!GetComputerNameExW(format, buf, &chars)) return "";
  return win::Narrow(std::wstring_view(buf, chars));
}

}  // namespace

LocalHostNames DetectLocalHostNames() {
  LocalHostNames out;
  out.netbios_name = absl::AsciiStrToUpper(ComputerName(ComputerNameNetBIOS));
  out.fqdn = absl::AsciiStrToLower(ComputerName(ComputerNamePhysicalDnsFullyQualified));
  wchar_t* site = nullptr;
  // Fails outside a domain (ERROR_NO_SITENAME) and under Wine: the site stays unknown.
  if (DsGetSiteNameW(nullptr, &site) == ERROR_SUCCESS && site != nullptr) {
    out.site = win::Narrow(site);
  }
  if (site != nullptr) NetApiBufferFree(site);
  return out;
}

}  // namespace kerbside::agent::platform
