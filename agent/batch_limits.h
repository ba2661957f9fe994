#ifndef KERBSIDE_AGENT_BATCH_LIMITS_H_
#define KERBSIDE_AGENT_BATCH_LIMITS_H_

#include <cstddef>

#include "kerbside/v1/agent.pb.h"

namespace kerbside::agent {

// A batch larger than the stream carries (common/wire_limits.h) would end the stream at the
// collector and come back after every reconnection, forever. Such a batch becomes one with no
// items whose health says what was read and why it was not sent (FAILING); the resume token is
// kept, so an incremental source does not read the same events again. Returns whether the batch
// was cut. Pure.
bool EnforceBatchLimits(v1::EvidenceBatch* batch, size_t max_bytes, size_t max_items);

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_BATCH_LIMITS_H_
