#ifndef KERBSIDE_AGENT_PLATFORM_HOST_IDENTITY_H_
#define KERBSIDE_AGENT_PLATFORM_HOST_IDENTITY_H_

#include <string>

namespace kerbside::agent::platform {

// This machine's names as the operating system knows them, for settings nobody gave: a fleet-wide
// Group Policy cannot carry per-host names. Empty fields where unknown.
struct LocalHostNames {
  std::string netbios_name;  // "EX01"
  std::string fqdn;          // "ex01.contoso.com"
  std::string site;          // the AD site, "HQ"
};

// Windows (host_identity_win.cc): GetComputerNameEx (NetBIOS, physical DNS FQDN) and
// DsGetSiteName. Linux: all empty; its agents are configured explicitly (packages, the lab).
LocalHostNames DetectLocalHostNames();

}  // namespace kerbside::agent::platform

#endif  // KERBSIDE_AGENT_PLATFORM_HOST_IDENTITY_H_
