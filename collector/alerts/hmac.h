#ifndef KERBSIDE_COLLECTOR_ALERTS_HMAC_H_
#define KERBSIDE_COLLECTOR_ALERTS_HMAC_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kerbside::alerts {

// HMAC-SHA256 of `message` under `key`, lower-case hex (OpenSSL). Errors carry OpenSSL's.
absl::StatusOr<std::string> HmacSha256Hex(absl::string_view key, absl::string_view message);

}  // namespace kerbside::alerts

#endif  // KERBSIDE_COLLECTOR_ALERTS_HMAC_H_
