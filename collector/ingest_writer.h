#ifndef KERBSIDE_COLLECTOR_INGEST_WRITER_H_
#define KERBSIDE_COLLECTOR_INGEST_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "collector/store/evidence_store.h"

namespace kerbside::collector {

// Stores agents' evidence batches on threads of its own, grouping the batches that wait into
// one transaction (EvidenceStore::ReplaceSourcesEvidence), and answers each when its group is
// committed. Issue 17: storing each batch in its own transaction on gRPC's callback threads made
// ingest a fifth of a bare server's rate (a commit, WAL writes and a thread switch per batch),
// and a slow disk stalled the threads every stream shares. Answering (the acknowledgement's
// write runs gRPC's transport, TLS and the socket inline) costs about as much as storing, so
// more than one thread: while one commits, another answers the group it committed before.
//
// Groups commit in the order their batches were submitted, whichever thread stores them: a
// source's batch replaces the source's evidence, so an older batch committed after a newer one
// (two of one stream, or an old stream's and its reconnected successor's) would bring back
// what the newer one replaced. Answers of two groups may interleave.
//
// A source's batches of one agent stream (SourceSnapshot::stream) are stored in order, or not
// at all after one that failed: the batches of that stream and source still waiting, or
// submitted later, fail unstored (FAILED_PRECONDITION). The agent keeps what was not
// acknowledged and sends it again, in order, on its next stream; stored ahead of it, a later
// batch would make the event window take the earlier one's events for an old re-read.
//
// Unbounded by design, bounded by its callers: a stream has at most a few batches here at once
// (AgentConnection's kMaxBatchesStoring), each within the wire limits (common/wire_limits.h).
class IngestWriter {
 public:
  // Called on the writer's thread with the batch's own outcome, after its group is committed.
  using Done = absl::AnyInvocable<void(absl::Status) &&>;

  struct Options {
    // A group ends at this many batches or items, so one commit never holds the rest for long.
    size_t max_group_batches = 256;
    size_t max_group_items = 20'000;
    int threads = 2;
  };

  IngestWriter(EvidenceStore* store, Options options);
  // Stores and answers every batch submitted before it returns.
  ~IngestWriter();
  IngestWriter(const IngestWriter&) = delete;
  IngestWriter& operator=(const IngestWriter&) = delete;

  void Submit(SourceSnapshot snapshot, Done done);

  struct Counters {
    uint64_t groups = 0;   // transactions committed (or failed)
    uint64_t batches = 0;  // batches answered
  };
  Counters counters() const;

 private:
  struct Pending {
    SourceSnapshot snapshot;
    Done done;
  };
  void Run();
  // The pairs (stream, source) with a failed batch, the newest kMaxFailedSources: a stream
  // whose batch failed is ended by its session, so only its last few batches can still come.
  static constexpr size_t kMaxFailedSources = 4096;
  bool HasFailed(const SourceSnapshot& s) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_);
  void NoteFailed(const SourceSnapshot& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_);

  EvidenceStore* const store_;
  const Options options_;
  // Held while a group is taken from the queue and committed, so groups commit in queue order.
  // Taken before mu_.
  absl::Mutex commit_mu_;
  absl::flat_hash_set<std::pair<uint64_t, std::string>> failed_ ABSL_GUARDED_BY(commit_mu_);
  std::deque<std::pair<uint64_t, std::string>> failed_order_ ABSL_GUARDED_BY(commit_mu_);
  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  Counters counters_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;
};

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_INGEST_WRITER_H_
