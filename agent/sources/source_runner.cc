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
  if (sources_.empty()) return;
  thread_ = std::thread([this] { Loop(); });
}

void SourceRunner::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
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

void SourceRunner::Loop() {
  absl::BitGen gen;
  std::vector<absl::Time> next(sources_.size(), clock_->Now());
  while (true) {
    for (size_t i = 0; i < sources_.size(); ++i) {
      const absl::Time now = clock_->Now();
      if (now < next[i]) continue;
      Source& s = *sources_[i];
      v1::EvidenceBatch batch = s.Collect(now);
      if (EnforceBatchLimits(&batch, kMaxBatchBytes, kMaxBatchItems)) {
        spdlog::error("source={}: {}", s.id(), batch.health().reason());
      }
      spdlog::info("source={} items={} health={} {}", s.id(), batch.items_size(),
                   v1::SourceHealth::State_Name(batch.health().state()), batch.health().reason());
      publish_(std::move(batch), !s.incremental());
      next[i] = now + s.interval() * absl::Uniform(gen, 0.9, 1.1);
    }
    absl::Time soonest = next.front();
    for (absl::Time t : next) soonest = std::min(soonest, t);
    std::unique_lock lock(mu_);
    const absl::Duration wait = soonest - clock_->Now();
    if (cv_.wait_for(lock, absl::ToChronoNanoseconds(std::max(wait, absl::ZeroDuration())),
                     [this] { return stop_; })) {
      return;
    }
  }
}

}  // namespace kerbside::agent
