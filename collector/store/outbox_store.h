#ifndef KERBSIDE_COLLECTOR_STORE_OUTBOX_STORE_H_
#define KERBSIDE_COLLECTOR_STORE_OUTBOX_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collector/store/records.h"

namespace kerbside::collector {

// The alert outbox as the dispatcher drains it (the keeper fills it, DiagnosisStore). Entries
// of one sink are delivered in id order. Implementations are thread-safe.
class OutboxStore {
 public:
  virtual ~OutboxStore() = default;

  // The oldest entry of `sink`, if any.
  virtual absl::StatusOr<std::optional<OutboxRecord>> OutboxHead(const std::string& sink) = 0;
  virtual absl::Status OutboxDone(int64_t id) = 0;
  virtual absl::Status OutboxRetryLater(int64_t id, int attempts, absl::Time next_attempt,
                                        const std::string& last_error) = 0;
  // Entries waiting per sink.
  virtual absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> OutboxPending() = 0;
};

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_STORE_OUTBOX_STORE_H_
