#ifndef KERBSIDE_COMMON_MODEL_QUEUE_STATE_H_
#define KERBSIDE_COMMON_MODEL_QUEUE_STATE_H_

#include "absl/strings/ascii.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::model {

// A queue is stuck when Exchange says Retry, or when it holds messages and carries a LastError
// while not delivering (Active/Ready clear LastError on success in practice).
inline bool IsQueueStuck(const v1::Queue& q) {
  const std::string status = absl::AsciiStrToLower(q.status());
  if (status == "retry") return true;
  if (status == "active" || status == "ready") return false;
  return q.message_count() > 0 && !q.last_error().raw().empty();
}

}  // namespace kerbside::model

#endif  // KERBSIDE_COMMON_MODEL_QUEUE_STATE_H_
