#ifndef KERBSIDE_AGENT_SOURCES_LDAP_CLIENT_H_
#define KERBSIDE_AGENT_SOURCES_LDAP_CLIENT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/sources/directory_facts.h"

namespace kerbside::agent {

// How the agent reads its DC's directory; one interface, two implementations:
// - Linux (ldap_client.cc, OpenLDAP): a simple bind over TLS only (ldaps://, or ldap:// with
//   StartTLS required), the DC's certificate checked against `ca_file`. AD DCs refuse a simple
//   bind in clear ("Strong(er) authentication required") and so must we: the password would
//   cross the wire.
// - Windows (ldap_client_win.cc, wldap32): a Negotiate bind with the process's own credentials
//   (the machine account of a LocalSystem service), signed and sealed, as AD expects; no
//   password anywhere. `bind_dn`, `password` and `ca_file` must be empty there (ldaps:// is
//   checked against the Windows certificate store).
struct LdapOptions {
  std::string uri;      // "ldaps://dc1.contoso.com" or "ldap://dc1.contoso.com[:port]"
  std::string ca_file;  // PEM; empty: the system's trust store
  std::string bind_dn;  // a DN or a UPN ("kerbside@contoso.com")
  std::string password;
  absl::Duration timeout = absl::Seconds(20);  // per network operation
};

enum class LdapScope { kBase, kSubtree };

// One search. LDAP errors keep the library's code, text and the server's diagnostic message
// ("ldap bind ldaps://dc1: Invalid credentials (49): 80090308: ..."). Referrals (other naming
// contexts) are not followed. Attribute names come back lower-cased.
absl::StatusOr<std::vector<LdapEntry>> LdapSearch(const LdapOptions& options,
                                                  const std::string& base_dn, LdapScope scope,
                                                  const std::string& filter,
                                                  const std::vector<std::string>& attrs);

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_SOURCES_LDAP_CLIENT_H_
