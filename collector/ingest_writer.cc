#include "collector/ingest_writer.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "spdlog/spdlog.h"

namespace kerbside::collector {

IngestWriter::IngestWriter(EvidenceStore* store, Options options)
    : store_(store), options_(options) {
  for (int i = 0; i < std::max(1, options_.threads); ++i) threads_.emplace_back([this] { Run(); });
}

IngestWriter::~IngestWriter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
  if (const Counters c = counters(); c.groups > 0) {
    spdlog::info("ingest: {} batches stored in {} transactions ({:.1f} per transaction)", c.batches,
                 c.groups, static_cast<double>(c.batches) / static_cast<double>(c.groups));
  }
}

void IngestWriter::Submit(SourceSnapshot snapshot, Done done) {
  absl::MutexLock lock(&mu_);
  queue_.push_back({std::move(snapshot), std::move(done)});
}

IngestWriter::Counters IngestWriter::counters() const {
  absl::MutexLock lock(&mu_);
  return counters_;
}

bool IngestWriter::HasFailed(const SourceSnapshot& s) const {
  // Empty nearly always: no key (and its string copy) is made per batch then.
  return s.stream != 0 && !failed_.empty() && failed_.contains(std::make_pair(s.stream, s.source));
}

void IngestWriter::NoteFailed(const SourceSnapshot& s) {
  if (s.stream == 0 || !failed_.insert(std::make_pair(s.stream, s.source)).second) return;
  failed_order_.emplace_back(s.stream, s.source);
  if (failed_order_.size() > kMaxFailedSources) {
    failed_.erase(failed_order_.front());
    failed_order_.pop_front();
  }
}

void IngestWriter::Run() {
  std::vector<SourceSnapshot> snapshots;
  std::vector<Done> dones;
  while (true) {
    std::vector<absl::Status> stored;
    std::vector<Done> refused;  // behind a failed batch of their stream and source
    {
      absl::MutexLock commit(&commit_mu_);
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](IngestWriter* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
              return !w->queue_.empty() || w->stopping_;
            },
            this));
        if (queue_.empty()) return;  // stopping, and everything answered
        size_t items = 0;
        // At least one batch, however large; then as many as fit the group's bounds.
        while (!queue_.empty() && snapshots.size() < options_.max_group_batches &&
               (snapshots.empty() ||
                items + queue_.front().snapshot.items.size() <= options_.max_group_items)) {
          Pending& next = queue_.front();
          if (HasFailed(next.snapshot)) {
            refused.push_back(std::move(next.done));
          } else {
            items += next.snapshot.items.size();
            snapshots.push_back(std::move(next.snapshot));
            dones.push_back(std::move(next.done));
          }
          queue_.pop_front();
        }
      }
      if (!snapshots.empty()) stored = store_->ReplaceSourcesEvidence(snapshots);
      for (size_t i = 0; i < stored.size(); ++i) {
        if (!stored[i].ok()) NoteFailed(snapshots[i]);
      }
    }
    for (size_t i = 0; i < dones.size(); ++i) std::move(dones[i])(std::move(stored[i]));
    for (Done& done : refused) {
      std::move(done)(absl::FailedPreconditionError(
          "not stored: an earlier batch of this source on this stream was not, and a source's "
          "batches are stored in order"));
    }
    {
      absl::MutexLock lock(&mu_);
      if (!snapshots.empty()) ++counters_.groups;
      counters_.batches += dones.size() + refused.size();
    }
    snapshots.clear();
    dones.clear();
  }
}

}  // namespace kerbside::collector
