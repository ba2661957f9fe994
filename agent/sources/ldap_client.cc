#include "agent/sources/ldap_client.h"

#include <ldap.h>
#include <sys/time.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace kerbside::agent {
namespace {

struct LdapCloser {
  void operator()(LDAP* ld) const { ldap_unbind_ext_s(ld, nullptr, nullptr); }
};
struct MessageFree {
  void operator()(LDAPMessage* m) const { ldap_msgfree(m); }
};

absl::StatusCode CodeFor(int rc) {
  switch (rc) {
    case LDAP_SERVER_DOWN:
    case LDAP_CONNECT_ERROR:
    case LDAP_UNAVAILABLE:
    case LDAP_BUSY:
      return absl::StatusCode::kUnavailable;
    case LDAP_TIMEOUT:
    case LDAP_TIMELIMIT_EXCEEDED:
      return absl::StatusCode::kDeadlineExceeded;
    case LDAP_INVALID_CREDENTIALS:
    case LDAP_STRONG_AUTH_REQUIRED:
    case LDAP_INAPPROPRIATE_AUTH:
      return absl::StatusCode::kUnauthenticated;
    case LDAP_INSUFFICIENT_ACCESS:
      return absl::StatusCode::kPermissionDenied;
    case LDAP_NO_SUCH_OBJECT:
      return absl::StatusCode::kNotFound;
    default:
      return absl::StatusCode::kInternal;
  }
}

// The boundary: libldap's result code becomes a Status that keeps the code, its text and the
// server's diagnostic (AD puts the real reason there, e.g. "80090308: LdapErr: DSID-0C09044E").
absl::Status LdapError(LDAP* ld, int rc, absl::string_view what, absl::string_view uri) {
  std::string diag;
  char* msg = nullptr;
  if (ld != nullptr && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) == LDAP_OPT_SUCCESS &&
      msg != nullptr) {
    diag = msg;
    ldap_memfree(msg);
  }
  return absl::Status(CodeFor(rc), absl::StrCat("ldap ", what, " ", uri, ": ", ldap_err2string(rc),
                                                " (", rc, ")", diag.empty() ? "" : ": ", diag));
}

}  // namespace

absl::StatusOr<std::vector<LdapEntry>> LdapSearch(const LdapOptions& o, const std::string& base_dn,
                                                  LdapScope scope, const std::string& filter,
                                                  const std::vector<std::string>& attrs) {
  const std::string lower_uri = absl::AsciiStrToLower(o.uri);
  const bool ldaps = absl::StartsWith(lower_uri, "ldaps://");
  if (!ldaps && !absl::StartsWith(lower_uri, "ldap://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("ldap: '", o.uri, "' is not an ldaps:// or ldap:// (StartTLS) URI"));
  }
  if (o.bind_dn.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ldap ", o.uri, ": a simple bind needs an account (bind DN or UPN)"));
  }
  LDAP* raw = nullptr;
  int rc = ldap_initialize(&raw, o.uri.c_str());
  if (rc != LDAP_SUCCESS) return LdapError(nullptr, rc, "initialize", o.uri);
  std::unique_ptr<LDAP, LdapCloser> ld(raw);
  const int version = LDAP_VERSION3;
  ldap_set_option(ld.get(), LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_option(ld.get(), LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  const timeval tv = absl::ToTimeval(o.timeout);
  ldap_set_option(ld.get(), LDAP_OPT_NETWORK_TIMEOUT, &tv);
  ldap_set_option(ld.get(), LDAP_OPT_TIMEOUT, &tv);
  // Never talk to a DC whose certificate we cannot check: the bind carries a password.
  const int demand = LDAP_OPT_X_TLS_DEMAND;
  ldap_set_option(ld.get(), LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
  if (!o.ca_file.empty()) {
    rc = ldap_set_option(ld.get(), LDAP_OPT_X_TLS_CACERTFILE, o.ca_file.c_str());
    if (rc != LDAP_OPT_SUCCESS) return LdapError(ld.get(), rc, "TLS CA file", o.uri);
  }
  const int is_server = 0;
  rc = ldap_set_option(ld.get(), LDAP_OPT_X_TLS_NEWCTX, &is_server);
  if (rc != LDAP_OPT_SUCCESS) return LdapError(ld.get(), rc, "TLS context", o.uri);
  if (!ldaps) {
    rc = ldap_start_tls_s(ld.get(), nullptr, nullptr);
    if (rc != LDAP_SUCCESS) return LdapError(ld.get(), rc, "StartTLS", o.uri);
  }
  berval cred;
  cred.bv_val = const_cast<char*>(o.password.data());
  cred.bv_len = o.password.size();
  rc = ldap_sasl_bind_s(ld.get(), o.bind_dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr,
                        nullptr);
  if (rc != LDAP_SUCCESS) return LdapError(ld.get(), rc, "bind", o.uri);

  std::vector<char*> attr_ptrs;
  for (const std::string& a : attrs) attr_ptrs.push_back(const_cast<char*>(a.c_str()));
  attr_ptrs.push_back(nullptr);
  timeval search_tv = tv;
  LDAPMessage* raw_result = nullptr;
  rc = ldap_search_ext_s(ld.get(), base_dn.c_str(),
                         scope == LdapScope::kBase ? LDAP_SCOPE_BASE : LDAP_SCOPE_SUBTREE,
                         filter.c_str(), attr_ptrs.data(), 0, nullptr, nullptr, &search_tv,
                         LDAP_NO_LIMIT, &raw_result);
  std::unique_ptr<LDAPMessage, MessageFree> result(raw_result);
  if (rc != LDAP_SUCCESS) return LdapError(ld.get(), rc, "search", o.uri);

  std::vector<LdapEntry> out;
  for (LDAPMessage* m = ldap_first_entry(ld.get(), result.get()); m != nullptr;
       m = ldap_next_entry(ld.get(), m)) {
    LdapEntry entry;
    if (char* dn = ldap_get_dn(ld.get(), m)) {
      entry.dn = dn;
      ldap_memfree(dn);
    }
    BerElement* ber = nullptr;
    for (char* a = ldap_first_attribute(ld.get(), m, &ber); a != nullptr;
         a = ldap_next_attribute(ld.get(), m, ber)) {
      std::vector<std::string>& values = entry.attributes[absl::AsciiStrToLower(a)];
      if (berval** vals = ldap_get_values_len(ld.get(), m, a)) {
        for (berval** v = vals; *v != nullptr; ++v) values.emplace_back((*v)->bv_val, (*v)->bv_len);
        ldap_value_free_len(vals);
      }
      ldap_memfree(a);
    }
    if (ber != nullptr) ber_free(ber, 0);
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace kerbside::agent
