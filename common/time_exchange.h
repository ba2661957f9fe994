#ifndef KERBSIDE_COMMON_TIME_EXCHANGE_H_
#define KERBSIDE_COMMON_TIME_EXCHANGE_H_

#include <deque>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace kerbside {

// The four timestamps of one NTP-style exchange initiated by the host (agent):
// t1 host send and t4 host receive are on the host's clock, t2 reference receive and
// t3 reference send on the reference's (collector's) clock.
struct ExchangeTimestamps {
  absl::Time t1_host_send;
  absl::Time t2_reference_receive;
  absl::Time t3_reference_send;
  absl::Time t4_host_receive;
};

struct ClockSample {
  absl::Duration offset;   // positive = host ahead of the reference
  absl::Duration delay;    // round trip minus the reference's processing time, >= 0
  absl::Time measured_at;  // reference clock (t3)
};

// offset = ((t1 - t2) + (t4 - t3)) / 2, delay = (t4 - t1) - (t3 - t2).
// Fails when an interval is negative (a clock stepped during the exchange, or a forged sample).
absl::StatusOr<ClockSample> ComputeClockSample(const ExchangeTimestamps& ts);

struct ClockEstimateValue {
  absl::Duration offset;       // positive = host ahead of the reference
  absl::Duration uncertainty;  // half the delay of the chosen sample
  absl::Duration delay;
  absl::Time measured_at;
  int window_samples = 0;
};

// Whether one clock explains both samples: each bounds the true offset to offset +- delay/2, and
// the two bounds miss each other by no more than `tolerance`.
bool SamplesAgree(const ClockSample& a, const ClockSample& b, absl::Duration tolerance);

// NTP's clock filter, simplified: keep the most recent samples (bounded by count and age) and
// take the one with the smallest delay, whose offset is least disturbed by queueing.
//
// When a new sample does not agree with a kept one within kStepTolerance (SamplesAgree), no
// single offset explains both: the host's clock was stepped (an admin, a VM restored or
// resumed, a time service correcting a large error) or drifted, and the kept sample describes a
// clock that no longer exists. It is dropped. Without
// that, a kept sample from before a step with a smaller delay than every later one would go on
// being the estimate, hiding the step for up to max_samples exchanges.
class ClockFilter {
 public:
  // Far above what a working clock drifts within max_age (100 ppm over 15 minutes is 90 ms) and
  // far below the 5-minute Kerberos skew this estimate is judged against.
  static constexpr absl::Duration kStepTolerance = absl::Milliseconds(250);

  ClockFilter(int max_samples = 8, absl::Duration max_age = absl::Minutes(15))
      : max_samples_(max_samples), max_age_(max_age) {}

  void Add(const ClockSample& sample);
  // Empty when no sample is younger than max_age at `now` (reference clock).
  std::optional<ClockEstimateValue> Estimate(absl::Time now) const;
  size_t size() const { return samples_.size(); }

 private:
  int max_samples_;
  absl::Duration max_age_;
  std::deque<ClockSample> samples_;
};

// The host's offset to another host, both measured against the same reference:
// positive = `host` ahead of `other`. Uncertainties add.
ClockEstimateValue RelativeEstimate(const ClockEstimateValue& host,
                                    const ClockEstimateValue& other);

}  // namespace kerbside

#endif  // KERBSIDE_COMMON_TIME_EXCHANGE_H_
