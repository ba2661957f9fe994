#include "agent/exchange_cadence.h"

#include <algorithm>

namespace kerbside::agent {

void ExchangeCadence::Reset(absl::Duration base) {
  base_ = base;
  interval_ = base;
  last_.reset();
}

void ExchangeCadence::OnSample(const ClockSample& sample) {
  const bool consistent = last_.has_value() && SamplesAgree(*last_, sample, kStepTolerance);
  if (!consistent) {
    interval_ = base_;
  } else if (sample.measured_at - last_->measured_at >= interval_ / 2) {
    // Only samples about an interval apart say the clock held over one: the connect burst's,
    // a fraction of a second apart, say nothing about drift.
    interval_ = std::min(interval_ * 2, base_ * kMaxFactor);
  }
  last_ = sample;
}

bool ExchangeCadence::StepSeen(absl::Time wall, absl::Time monotonic) {
  const absl::Duration now = wall - monotonic;
  const bool step = wall_minus_monotonic_.has_value() &&
                    absl::AbsDuration(now - *wall_minus_monotonic_) > kStepTolerance;
  wall_minus_monotonic_ = now;
  if (step) {
    interval_ = base_;
    last_.reset();
  }
  return step;
}

}  // namespace kerbside::agent
