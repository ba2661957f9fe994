// The directory through wldap32: a Negotiate bind with the process's own credentials (the
// machine account of a LocalSystem service on a DC), signed and sealed as AD expects of a
// Kerberos bind; ldaps:// with the Windows certificate store. No password exists anywhere.
// clang-format off
#include <windows.h>
#define SECURITY_WIN32
#include <rpc.h>
#include <sspi.h>
#include <winldap.h>
#include <winber.h>
// clang-format on

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/platform/win_util.h"
#include "agent/sources/ldap_client.h"

namespace kerbside::agent {
namespace {

struct LdapCloser {
  void operator()(LDAP* ld) const { ldap_unbind(ld); }
};
struct MessageFree {
  void operator()(LDAPMessage* m) const { ldap_msgfree(m); }
};

absl::StatusCode CodeFor(ULONG rc) {
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
    case LDAP_AUTH_UNKNOWN:
    case LDAP_LOCAL_ERROR:  // what wldap32 returns when SSPI has no ticket for ldap/<dc>
      return absl::StatusCode::kUnauthenticated;
    case LDAP_INSUFFICIENT_RIGHTS:
      return absl::StatusCode::kPermissionDenied;
    case LDAP_NO_SUCH_OBJECT:
      return absl::StatusCode::kNotFound;
    default:
      return absl::StatusCode::kInternal;
  }
}

// The boundary: wldap32's code becomes a Status keeping the code, its text and the server's
// extended error (AD's "80090308: LdapErr: DSID-...").
absl::Status LdapError(LDAP* ld, ULONG rc, absl::string_view what, absl::string_view uri) {
  std::string diag;
  wchar_t* msg = nullptr;
  if (ld != nullptr && ldap_get_optionW(ld, LDAP_OPT_SERVER_ERROR, &msg) == LDAP_SUCCESS &&
      msg != nullptr) {
    diag = win::Narrow(msg);
    ldap_memfreeW(msg);
  }
  const wchar_t* text = ldap_err2stringW(rc);
  return absl::Status(
      CodeFor(rc), absl::StrCat("ldap ", what, " ", uri, ": ", text ? win::Narrow(text) : "?", " (",
                                rc, ")", diag.empty() ? "" : ": ", diag));
}

struct Endpoint {
  std::string host;
  ULONG port = 0;
  bool tls = false;
};

absl::StatusOr<Endpoint> ParseUri(const std::string& uri) {
  Endpoint e;
  absl::string_view rest = uri;
  if (absl::StartsWithIgnoreCase(rest, "ldaps://")) {
    e.tls = true;
    e.port = LDAP_SSL_PORT;
    rest.remove_prefix(8);
  } else if (absl::StartsWithIgnoreCase(rest, "ldap://")) {
    e.port = LDAP_PORT;
    rest.remove_prefix(7);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("ldap: '", uri, "' is not an ldap://HOST[:PORT] or ldaps://HOST URI"));
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  const size_t colon = rest.rfind(':');
  if (colon != absl::string_view::npos && rest.find(']') == absl::string_view::npos) {
    uint32_t port = 0;
    if (!absl::SimpleAtoi(rest.substr(colon + 1), &port) || port == 0 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("ldap: '", uri, "': bad port"));
    }
    e.port = port;
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return absl::InvalidArgumentError(absl::StrCat("ldap: '", uri, "': no host"));
  e.host = std::string(rest);
  return e;
}

}  // namespace

absl::StatusOr<std::vector<LdapEntry>> LdapSearch(const LdapOptions& o, const std::string& base_dn,
                                                  LdapScope scope, const std::string& filter,
                                                  const std::vector<std::string>& attrs) {
  if (!o.bind_dn.empty() || !o.password.empty() || !o.ca_file.empty()) {
    return absl::InvalidArgumentError(
        "ldap: on Windows the directory is read as the machine account (Negotiate); a bind "
        "account, password or CA file is not used");
  }
  auto endpoint = ParseUri(o.uri);
  if (!endpoint.ok()) return endpoint.status();
  std::wstring host = win::Widen(endpoint->host);
  LDAP* raw = endpoint->tls ? ldap_sslinitW(host.data(), endpoint->port, 1)
                            : ldap_initW(host.data(), endpoint->port);
  if (raw == nullptr) return LdapError(nullptr, LdapGetLastError(), "initialize", o.uri);
  std::unique_ptr<LDAP, LdapCloser> ld(raw);
  ULONG version = LDAP_VERSION3;
  ldap_set_optionW(ld.get(), LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_optionW(ld.get(), LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  const ULONG seconds = static_cast<ULONG>(std::max<int64_t>(1, absl::ToInt64Seconds(o.timeout)));
  ldap_set_optionW(ld.get(), LDAP_OPT_TIMELIMIT, &seconds);
  if (!endpoint->tls) {
    // A Kerberos bind with integrity and privacy: what AD's "LDAP server signing requirements"
    // demand of a clear-text port.
    ldap_set_optionW(ld.get(), LDAP_OPT_SIGN, LDAP_OPT_ON);
    ldap_set_optionW(ld.get(), LDAP_OPT_ENCRYPT, LDAP_OPT_ON);
  }
  l_timeval tv{static_cast<LONG>(seconds), 0};
  ULONG rc = ldap_connect(ld.get(), &tv);
  if (rc != LDAP_SUCCESS) return LdapError(ld.get(), rc, "connect", o.uri);
  // NULL credentials: the process's own logon session, as on every Windows server. Wine 8's
  // wldap32 dereferences that NULL in its SASL callback and crashes the process; an identity
  // with every field empty leads it to the same place (GSS-API with the default ccache). Only
  // under Wine: on Windows an empty identity is not the same as NULL.
  SEC_WINNT_AUTH_IDENTITY_W empty{};
  empty.User = empty.Domain = empty.Password =
      reinterpret_cast<unsigned short*>(const_cast<wchar_t*>(L""));
  empty.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
  wchar_t* cred = win::RunningUnderWine() ? reinterpret_cast<wchar_t*>(&empty) : nullptr;
  rc = ldap_bind_sW(ld.get(), nullptr, cred, LDAP_AUTH_NEGOTIATE);
  if (rc != LDAP_SUCCESS) return LdapError(ld.get(), rc, "bind (Negotiate)", o.uri);

  std::vector<std::wstring> wattrs;
  for (const std::string& a : attrs) wattrs.push_back(win::Widen(a));
  std::vector<wchar_t*> attr_ptrs;
  for (std::wstring& a : wattrs) attr_ptrs.push_back(a.data());
  attr_ptrs.push_back(nullptr);
  std::wstring wbase = win::Widen(base_dn);
  std::wstring wfilter = win::Widen(filter);
  LDAPMessage* raw_result = nullptr;
  rc = ldap_search_ext_sW(
      ld.get(), wbase.data(), scope == LdapScope::kBase ? LDAP_SCOPE_BASE : LDAP_SCOPE_SUBTREE,
      wfilter.data(), attr_ptrs.data(), 0, nullptr, nullptr, &tv, 0, &raw_result);
  std::unique_ptr<LDAPMessage, MessageFree> result(raw_result);
  if (rc != LDAP_SUCCESS) return LdapError(ld.get(), rc, "search", o.uri);

  std::vector<LdapEntry> out;
  for (LDAPMessage* m = ldap_first_entry(ld.get(), result.get()); m != nullptr;
       m = ldap_next_entry(ld.get(), m)) {
    LdapEntry entry;
    if (wchar_t* dn = ldap_get_dnW(ld.get(), m)) {
      entry.dn = win::Narrow(dn);
      ldap_memfreeW(dn);
    }
    BerElement* ber = nullptr;
    for (wchar_t* a = ldap_first_attributeW(ld.get(), m, &ber); a != nullptr;
         a = ldap_next_attributeW(ld.get(), m, ber)) {
      std::vector<std::string>& values = entry.attributes[absl::AsciiStrToLower(win::Narrow(a))];
      // The _len form: values as the server sent them (UTF-8), not converted to UTF-16.
      if (berval** vals = ldap_get_values_lenW(ld.get(), m, a)) {
        for (berval** v = vals; *v != nullptr; ++v) values.emplace_back((*v)->bv_val, (*v)->bv_len);
        ldap_value_free_len(vals);
      }
      ldap_memfreeW(a);
    }
    if (ber != nullptr) ber_free(ber, 0);
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace kerbside::agent
