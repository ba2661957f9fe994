#ifndef KERBSIDE_COLLECTOR_STORE_DIAGNOSIS_STORE_H_
#define KERBSIDE_COLLECTOR_STORE_DIAGNOSIS_STORE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "collector/store/records.h"

namespace kerbside::collector {

// The diagnosis keeper's memory: kept diagnoses, written together with the alerts they queue.
// Implementations are thread-safe.
class DiagnosisStore {
 public:
  virtual ~DiagnosisStore() = default;

  // Writes `upserts`, deletes `deleted` ((cause, blamed host) pairs) and queues `enqueue` in the
  // alert outbox atomically, so a kept state change and its alerts land together or not at all.
  virtual absl::Status CommitDiagnoses(
      const std::vector<KeptDiagnosisRecord>& upserts,
      const std::vector<std::pair<std::string, std::string>>& deleted,
      const std::vector<OutboxRecord>& enqueue) = 0;
  virtual absl::StatusOr<std::vector<KeptDiagnosisRecord>> LoadKeptDiagnoses() = 0;
};

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_STORE_DIAGNOSIS_STORE_H_
