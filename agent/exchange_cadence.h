#ifndef KERBSIDE_AGENT_EXCHANGE_CADENCE_H_
#define KERBSIDE_AGENT_EXCHANGE_CADENCE_H_

#include <optional>

#include "absl/time/time.h"
#include "common/time_exchange.h"

namespace kerbside::agent {

// How often the agent measures its clock against the collector's. Each exchange is three
// messages (request, reply, sample): at the collector's interval (10 s) they were most of an
// idle agent's CPU and, across 20,000 agents, 6,000 messages a second at the collector
// (issue 17). A clock that keeps agreeing with itself needs fewer: the interval doubles after
// each sample consistent with the one an interval before, up to kMaxFactor times the
// collector's (a minute at its default). It goes back to the collector's as soon as a sample
// disagrees, or the host's wall clock moved against its monotonic clock (a step: an admin, a VM
// restored), when an exchange is also due at once. "Consistent" is the collector's filter's
// test: SamplesAgree within kStepTolerance (common/time_exchange.h).
class ExchangeCadence {
 public:
  static constexpr int kMaxFactor = 6;
  // How far the wall clock may move against the monotonic clock between two looks before it
  // counts as a step (the same as the collector's filter).
  static constexpr absl::Duration kStepTolerance = ClockFilter::kStepTolerance;

  explicit ExchangeCadence(absl::Duration base) : base_(base), interval_(base) {}

  // The collector's interval (its hello acknowledgement); the cadence starts from it again.
  void Reset(absl::Duration base);
  void OnSample(const ClockSample& sample);
  // Compares the wall clock with the monotonic one (read together); true when the wall clock
  // was stepped since the last call, which also resets the interval.
  bool StepSeen(absl::Time wall, absl::Time monotonic);
  absl::Duration interval() const { return interval_; }

 private:
  absl::Duration base_;
  absl::Duration interval_;
  std::optional<ClockSample> last_;
  std::optional<absl::Duration> wall_minus_monotonic_;
};

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_EXCHANGE_CADENCE_H_
