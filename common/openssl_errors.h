#ifndef KERBSIDE_COMMON_OPENSSL_ERRORS_H_
#define KERBSIDE_COMMON_OPENSSL_ERRORS_H_

#include <string>

namespace kerbside {

// OpenSSL's error queue as one line ("error:...; error:..."), emptied; "no OpenSSL error
// queued" when there is none. Where an OpenSSL error becomes a Status, its native text stays.
std::string OpenSslErrors();

}  // namespace kerbside

#endif  // KERBSIDE_COMMON_OPENSSL_ERRORS_H_
