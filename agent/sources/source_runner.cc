#include "agent/sources/source_runner.h"

#include "absl/random/random.h"
#include "agent/batch_limits.h"
#include "common/wire_limits.h"
#include "spdlog/spdlog.h"

namespace kerbside::agent {

SourceRunner::SourceRunner(std::vector<std::unique_ptr<Source>> sources, const Clock* clock,
                           std::function<void(v1::EvidenceBatch, bool supersedes)> publish)
    : sources_(std::move(sources)), clock_(clock), publish_(std::move(publish)) {}

SourceRunner::~SourceRunner() { Stop(); }

void SourceRunner::Start() {
  for (size_t i = 0; i < sources_.size(); ++i) threads_.emplace_back([this, i] { Loop(i); });
}

void SourceRunner::Stop() {
  wake_.Stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void SourceRunner::ResumeAfterSpooled(const std::vector<v1::EvidenceBatch>& pending) {
  for (auto& s : sources_) {
    if (!s->incremental()) continue;
    // `pending` is in sequence order: the last one of the source is its newest.
    for (auto it = pending.rbegin(); it != pending.rend(); ++it) {
      if (it->source() == s->id() && !it->resume_token().empty()) {
        s->ResumeAfterSpooled(it->resume_token());
        break;
      }
    }
  }
}

void SourceRunner::Acknowledged(const v1::EvidenceBatch& batch) {
  for (auto& s : sources_) {
    if (s->id() == batch.source()) s->Acknowledged(batch.sequence(), batch.resume_token());
  }
}

void SourceRunner::Loop(size_t index) {
  Source& s = *sources_[index];
  absl::BitGen gen;
  while (true) {
    const absl::Time now = clock_->Now();
    v1::EvidenceBatch batch = s.Collect(now);
    if (EnforceBatchLimits(&batch, kMaxBatchBytes, kMaxBatchItems)) {
      spdlog::error("source={}: {}", s.id(), batch.health().reason());
    }
    spdlog::info("source={} items={} health={} {}", s.id(), batch.items_size(),
                 v1::SourceHealth::State_Name(batch.health().state()), batch.health().reason());
    publish_(std::move(batch), !s.incremental());
    if (wake_.SleepUntil(now + s.interval() * absl::Uniform(gen, 0.9, 1.1))) return;
  }
}

}  // namespace kerbside::agent
