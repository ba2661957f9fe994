#include "common/kerberos/krb_names.h"

#include "absl/strings/str_cat.h"

namespace kerbside::kerberos {
namespace {

struct ErrorInfo {
  int number;
  const char* name;
  const char* description;
};

// The errors kerbside's probes meet and the KB's causes produce.
constexpr ErrorInfo kErrors[] = {
    {0, "KDC_ERR_NONE", "no error"},
    {1, "KDC_ERR_NAME_EXP", "the client's entry in the database has expired"},
    {2, "KDC_ERR_SERVICE_EXP", "the server's entry in the database has expired"},
    {3, "KDC_ERR_BAD_PVNO", "requested protocol version not supported"},
    {6, "KDC_ERR_C_PRINCIPAL_UNKNOWN", "client not found in the Kerberos database"},
    {7, "KDC_ERR_S_PRINCIPAL_UNKNOWN", "server not found in the Kerberos database"},
    {8, "KDC_ERR_PRINCIPAL_NOT_UNIQUE",
     "several principal entries in the database (duplicate SPN)"},
    {12, "KDC_ERR_POLICY", "KDC policy rejects the request"},
    {14, "KDC_ERR_ETYPE_NOSUPP", "KDC has no support for the encryption type"},
    {18, "KDC_ERR_CLIENT_REVOKED", "the client's credentials have been revoked"},
    {23, "KDC_ERR_KEY_EXPIRED", "the password has expired"},
    {24, "KDC_ERR_PREAUTH_FAILED", "pre-authentication failed"},
    {25, "KDC_ERR_PREAUTH_REQUIRED", "additional pre-authentication required"},
    {31, "KRB_AP_ERR_BAD_INTEGRITY", "integrity check on a decrypted field failed"},
    {32, "KRB_AP_ERR_TKT_EXPIRED", "the ticket has expired"},
    {33, "KRB_AP_ERR_TKT_NYV", "the ticket is not yet valid"},
    {34, "KRB_AP_ERR_REPEAT", "the request is a replay"},
    {37, "KRB_AP_ERR_SKEW", "clock skew too great"},
    {41, "KRB_AP_ERR_MODIFIED", "message stream modified (the service key does not match)"},
    {44, "KRB_AP_ERR_BADKEYVER", "the key version is not available"},
    {52, "KRB_ERR_RESPONSE_TOO_BIG", "response too big for UDP, retry with TCP"},
    {60, "KRB_ERR_GENERIC", "generic error"},
    {68, "KDC_ERR_WRONG_REALM", "the request belongs to another realm"},
};

const ErrorInfo* Find(int number) {
  for (const ErrorInfo& e : kErrors) {
    if (e.number == number) return &e;
  }
  return nullptr;
}

}  // namespace

std::string KrbErrorName(int protocol_error) {
  const ErrorInfo* e = Find(protocol_error);
  return e != nullptr ? e->name : absl::StrCat("KRB_ERR_", protocol_error);
}

std::string KrbErrorDescription(int protocol_error) {
  const ErrorInfo* e = Find(protocol_error);
  return e != nullptr ? e->description : "";
}

std::string KrbEnctypeName(int enctype) {
  switch (enctype) {
    case 1:
      return "des-cbc-crc";
    case 3:
      return "des-cbc-md5";
    case 16:
      return "des3-cbc-sha1";
    case 17:
      return "aes128-cts-hmac-sha1-96";
    case 18:
      return "aes256-cts-hmac-sha1-96";
    case 19:
      return "aes128-cts-hmac-sha256-128";
    case 20:
      return "aes256-cts-hmac-sha384-192";
    case 23:
      return "arcfour-hmac";
    case 24:
      return "arcfour-hmac-exp";
    default:
      return absl::StrCat("enctype ", enctype);
  }
}

}  // namespace kerbside::kerberos
