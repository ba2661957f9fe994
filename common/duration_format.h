#ifndef KERBSIDE_COMMON_DURATION_FORMAT_H_
#define KERBSIDE_COMMON_DURATION_FORMAT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace kerbside {

// "+7m12.012s", "-0.004s", "+2h03m04.500s": signed, millisecond resolution.
std::string FormatSignedDuration(absl::Duration d);
// "7m12s", "4.2s", "2h03m": unsigned, for limits and ages in sentences.
std::string FormatShortDuration(absl::Duration d);
// "3s ago", "5m ago", "2h ago", "4d ago".
std::string FormatAge(absl::Duration d);

// A duration flag: "15s", "5m", "24h", "1h30m" (absl::ParseDuration), positive. A bare number
// ("300") is the flag's older spelling in `legacy_unit` (absl::Seconds(1), absl::Hours(1)):
// accepted, and `warning` says how to write it now. The error names the flag.
absl::StatusOr<absl::Duration> ParseDurationFlag(const std::string& flag, const std::string& text,
                                                 absl::Duration legacy_unit, std::string* warning);

}  // namespace kerbside

#endif  // KERBSIDE_COMMON_DURATION_FORMAT_H_
