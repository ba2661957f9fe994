#ifndef KERBSIDE_AGENT_SOURCES_LDAP_CLIENT_H_
#define KERBSIDE_AGENT_SOURCES_LDAP_CLIENT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/sources/ldap_accounts.h"

namespace kerbside::agent {

// How the agent reads its DC's directory: a simple bind over TLS only (ldaps://, or ldap:// with
// StartTLS required), the DC's certificate checked against `ca_file`. AD DCs refuse a simple
// bind in clear ("Strong(er) authentication required") and so must we: the password would cross
// the wire.
struct LdapOptions {
  std::string uri;      // "ldaps://dc1.contoso.com" or "ldap://dc1.contoso.com" (StartTLS)
  std::string ca_file;  // PEM; empty: the system's trust store
  std::string bind_dn;  // a DN or a UPN ("kerbside@contoso.com")
  std::string password;
  absl::Duration timeout = absl::Seconds(20);  // per network operation
};

// A subtree search of `base_dn`. LDAP errors keep libldap's code, text and the server's
// diagnostic message ("ldap bind ldaps://dc1: Invalid credentials (49): 80090308: ...").
// Referrals (other naming contexts) are not followed.
absl::StatusOr<std::vector<LdapEntry>> LdapSearchSubtree(const LdapOptions& options,
                                                         const std::string& base_dn,
                                                         const std::string& filter,
                                                         const std::vector<std::string>& attrs);

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_SOURCES_LDAP_CLIENT_H_
