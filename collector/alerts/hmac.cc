#include "collector/alerts/hmac.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace kerbside::alerts {

absl::StatusOr<std::string> HmacSha256Hex(absl::string_view key, absl::string_view message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  // An empty key is legal HMAC but OpenSSL wants a non-null pointer.
  static const char kEmpty = 0;
  const void* key_data = key.empty() ? &kEmpty : key.data();
  if (HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac,
           &mac_len) == nullptr) {
    const unsigned long err = ERR_get_error();
    char text[256];
    ERR_error_string_n(err, text, sizeof(text));
    return absl::InternalError(absl::StrCat("openssl: HMAC-SHA256: ", text, " (", err, ")"));
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(mac), static_cast<size_t>(mac_len)));
}

}  // namespace kerbside::alerts
