#ifndef KERBSIDE_COMMON_WIRE_LIMITS_H_
#define KERBSIDE_COMMON_WIRE_LIMITS_H_

// What one message on the agent stream may carry. The agent sends at most kMaxBatchBytes and
// kMaxBatchItems per evidence batch (a larger read is refused by the agent itself and said in
// the source's health); the collector accepts messages up to kMaxAgentMessageBytes (gRPC ends a
// stream that sends more) and refuses a batch of more than kMaxBatchItems items. The gap
// between the two byte limits is the envelope's margin.

#include <cstddef>

#include "absl/time/time.h"

namespace kerbside {

inline constexpr size_t kMaxBatchBytes = size_t{4} << 20;  // 4 MiB
inline constexpr size_t kMaxBatchItems = 20000;
inline constexpr size_t kMaxAgentMessageBytes = size_t{8} << 20;  // 8 MiB

// How far a host's clock may read from the collector's and still be taken as a clock: a CMOS
// reset to 2000 is a fault kerbside must report (26 years behind); year 9999 is not a clock.
// Time samples and evidence timestamps beyond it are refused (an 8000-year offset would make
// every figure derived from it meaningless, and overflow some).
inline constexpr absl::Duration kMaxHostClockError = absl::Hours(24 * 366 * 50);

}  // namespace kerbside

#endif  // KERBSIDE_COMMON_WIRE_LIMITS_H_
