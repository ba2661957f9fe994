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

void IngestWriter::Run() {
  std::vector<SourceSnapshot> snapshots;
  std::vector<Done> dones;
  while (true) {
    std::vector<absl::Status> stored;
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
          items += queue_.front().snapshot.items.size();
          snapshots.push_back(std::move(queue_.front().snapshot));
          dones.push_back(std::move(queue_.front().done));
          queue_.pop_front();
        }
      }
      stored = store_->ReplaceSourcesEvidence(snapshots);
    }
    for (size_t i = 0; i < dones.size(); ++i) std::move(dones[i])(std::move(stored[i]));
    {
      absl::MutexLock lock(&mu_);
      ++counters_.groups;
      counters_.batches += dones.size();
    }
    snapshots.clear();
    dones.clear();
  }
}

}  // namespace kerbside::collector
