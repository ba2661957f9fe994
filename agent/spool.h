#ifndef KERBSIDE_AGENT_SPOOL_H_
#define KERBSIDE_AGENT_SPOOL_H_

// What the agent has published and the collector has not acknowledged. A batch stays until the
// collector acknowledges its sequence; after a reconnection (or, with a directory, a restart)
// everything still here is sent again, oldest first. Bounded in bytes: when full, the oldest
// batches are dropped and counted, and the count is said (log, heartbeat).
//
// A source that sends full snapshots supersedes its own older batches (only its newest can
// matter to the collector); a source that sends increments (the event log) keeps every batch.
//
// With a directory, each batch is a file written atomically (temporary file, then rename), so a
// crash leaves either the whole batch or none; the spool's id and next sequence live beside
// them, so sequences keep increasing across restarts and the collector can tell a batch it
// already stored. Without one (the default on Linux), the spool lives in memory.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kerbside/v1/agent.pb.h"

namespace kerbside::agent {

class Spool {
 public:
  // `dir` empty: in memory. `random_id` names a new spool (tests pass their own).
  static absl::StatusOr<std::unique_ptr<Spool>> Open(const std::string& dir, uint64_t max_bytes,
                                                     const std::string& random_id);

  // Sets the batch's sequence and keeps it. `supersedes`: drop this source's older batches.
  // A batch larger than the whole spool is refused (RESOURCE_EXHAUSTED) and not kept.
  absl::StatusOr<uint64_t> Append(v1::EvidenceBatch batch, bool supersedes);
  // Every batch not acknowledged, in sequence order.
  std::vector<v1::EvidenceBatch> Pending() const;
  // Batches with a sequence above `after`, in order (what a session has not sent yet).
  std::vector<v1::EvidenceBatch> PendingAfter(uint64_t after) const;
  // Forgets the batch with this sequence (acknowledgements are per batch) and returns it, so
  // its source can learn it was delivered (the event log saves its bookmark then). Unknown
  // (already acknowledged, dropped when full): nullopt.
  std::optional<v1::EvidenceBatch> Acknowledge(uint64_t sequence);

  const std::string& id() const { return id_; }
  size_t pending_count() const;
  uint64_t pending_bytes() const;
  // Batches dropped because the spool was full, since it was opened; and since the last call.
  uint64_t dropped_total() const;
  uint64_t TakeDroppedSinceLastCall();
  // Files that could not be read back at open (removed), for the log.
  const std::vector<std::string>& open_warnings() const { return open_warnings_; }

 private:
  Spool(std::string dir, uint64_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {}
  absl::Status Load(const std::string& random_id);
  absl::Status WriteState();
  void RemoveLocked(std::map<uint64_t, v1::EvidenceBatch>::iterator it);
  std::string PathOf(uint64_t sequence) const;

  const std::string dir_;
  const uint64_t max_bytes_;
  std::string id_;
  std::vector<std::string> open_warnings_;
  mutable std::mutex mu_;
  std::map<uint64_t, v1::EvidenceBatch> batches_;      // guarded by mu_
  std::map<uint64_t, uint64_t> sizes_;                 // guarded by mu_
  uint64_t bytes_ = 0;                                 // guarded by mu_
  uint64_t next_sequence_ = 1;                         // guarded by mu_
  uint64_t dropped_total_ = 0, dropped_reported_ = 0;  // guarded by mu_
};

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_SPOOL_H_
