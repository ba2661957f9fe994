#ifndef KERBSIDE_COMMON_KERBEROS_KRB_ERROR_NAMES_H_
#define KERBSIDE_COMMON_KERBEROS_KRB_ERROR_NAMES_H_

#include <string>

namespace kerbside::kerberos {

// RFC 4120 §7.5.9 protocol error numbers: the name ("KDC_ERR_S_PRINCIPAL_UNKNOWN"), or
// "KRB_ERR_<n>" for one not listed; and a short description in English ("" when not listed).
std::string KrbErrorName(int protocol_error);
std::string KrbErrorDescription(int protocol_error);

// RFC 3961/3962/4757/8009 encryption types by their MIT names ("aes256-cts-hmac-sha1-96" for
// 18, "arcfour-hmac" for 23); "enctype <n>" for one not listed.
std::string KrbEnctypeName(int enctype);

}  // namespace kerbside::kerberos

#endif  // KERBSIDE_COMMON_KERBEROS_KRB_ERROR_NAMES_H_
