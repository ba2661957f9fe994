#ifndef KERBSIDE_AGENT_SOURCES_DIRECTORY_FACTS_H_
#define KERBSIDE_AGENT_SOURCES_DIRECTORY_FACTS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "kerbside/v1/agent.pb.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::agent {

// One LDAP search result entry as read off the wire: attribute names lower-cased (LDAP names
// are case-insensitive), values in server order.
struct LdapEntry {
  std::string dn;
  std::map<std::string, std::vector<std::string>> attributes;
};

// The attributes the Samba DC source reads of each account.
inline constexpr const char* kAccountAttributes[] = {
    "sAMAccountName", "servicePrincipalName", "msDS-KeyVersionNumber", "whenChanged", "uSNChanged"};

// The search filter: the computer accounts of the configured Exchange servers (by NetBIOS name,
// "EX01" -> sAMAccountName "EX01$") and every account holding an SMTPSVC/ or SMTP/ SPN, whoever
// it is, so that a duplicate on a user or another computer is seen too. Values are escaped per
// RFC 4515.
std::string ExchangeAccountsFilter(const std::vector<std::string>& exchange_servers);

// The Exchange servers whose accounts a DC reads: those configured (exchange_server) and every
// host with the Exchange role in the collector's inventory (the hellos it has seen), so an
// Exchange server that lost its SMTPSVC SPNs is still read. Upper-case NetBIOS names, sorted,
// no duplicates.
std::vector<std::string> ExchangeServerNames(const std::vector<std::string>& configured,
                                             const v1::Inventory& inventory);

// "20261127083753.0Z" (LDAP GeneralizedTime, UTC, as AD writes whenChanged).
absl::StatusOr<absl::Time> ParseGeneralizedTime(absl::string_view text);

// Entries -> ComputerAccounts, sorted by sAMAccountName, read_from_dc = `dc`. An entry without
// sAMAccountName (a referral or an odd object) is skipped; a malformed number or time is an
// error naming the DN and the attribute.
absl::StatusOr<v1::ComputerAccounts> ComputerAccountsFromLdap(const std::vector<LdapEntry>& entries,
                                                              const std::string& dc);

// The attribute of the domain naming context (a base search of the domain's DN) that names the
// PDC emulator: the DN of the owner's NTDS Settings object.
inline constexpr const char* kDomainRoleAttributes[] = {"fSMORoleOwner"};

// "CN=NTDS Settings,CN=DC01,CN=Servers,CN=HQ,CN=Sites,CN=Configuration,DC=lab,DC=test" -> the
// server "DC01" (upper case), and whether the object is deleted (AD mangles a deleted object's
// RDN to "...\0ADEL:<guid>": a role owner that was removed without seizing its roles). An error
// names the value when it is not an NTDS Settings DN.
struct RoleOwner {
  std::string server;
  bool deleted = false;
};
absl::StatusOr<RoleOwner> RoleOwnerFromNtdsSettingsDn(absl::string_view dn);

// The base entry of the domain naming context -> DomainRoles, read_from_dc = `dc`. No entry or no
// fSMORoleOwner (no right to read it) is an error: absence is "not known", never "no PDC".
absl::StatusOr<v1::DomainRoles> DomainRolesFromLdap(const std::vector<LdapEntry>& entries,
                                                    const std::string& dc);

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_SOURCES_DIRECTORY_FACTS_H_
