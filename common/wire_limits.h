#ifndef KERBSIDE_COMMON_WIRE_LIMITS_H_
#define KERBSIDE_COMMON_WIRE_LIMITS_H_

// What one message on the agent stream may carry. The agent sends at most kMaxBatchBytes and
// kMaxBatchItems per evidence batch (a larger read is refused by the agent itself and said in
// the source's health); the collector accepts messages up to kMaxAgentMessageBytes (gRPC ends a
// stream that sends more) and refuses a batch of more than kMaxBatchItems items. The gap
// between the two byte limits is the envelope's margin.

#include <cstddef>

namespace kerbside {

inline constexpr size_t kMaxBatchBytes = size_t{4} << 20;  // 4 MiB
inline constexpr size_t kMaxBatchItems = 20000;
inline constexpr size_t kMaxAgentMessageBytes = size_t{8} << 20;  // 8 MiB

}  // namespace kerbside

#endif  // KERBSIDE_COMMON_WIRE_LIMITS_H_
