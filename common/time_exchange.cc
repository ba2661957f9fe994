#include "common/time_exchange.h"

#include <algorithm>
#include <tuple>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/wire_limits.h"

namespace kerbside {

absl::StatusOr<ClockSample> ComputeClockSample(const ExchangeTimestamps& ts) {
  const absl::Duration host_round_trip = ts.t4_host_receive - ts.t1_host_send;
  const absl::Duration reference_hold = ts.t3_reference_send - ts.t2_reference_receive;
  if (host_round_trip < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("time exchange: t4 (host receive) is before t1 (host send) by ",
                     absl::FormatDuration(-host_round_trip), "; the host clock stepped back"));
  }
  if (reference_hold < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("time exchange: t3 (reference send) is before t2 (reference receive) by ",
                     absl::FormatDuration(-reference_hold)));
  }
  for (const auto& [host, reference, what] :
       {std::tuple{ts.t1_host_send, ts.t2_reference_receive, "t1 (host send)"},
        std::tuple{ts.t4_host_receive, ts.t3_reference_send, "t4 (host receive)"}}) {
    if (absl::AbsDuration(host - reference) > kMaxHostClockError) {
      return absl::InvalidArgumentError(absl::StrCat(
          "time exchange: ", what, " reads ", absl::FormatTime(host), ", more than ",
          absl::FormatDuration(kMaxHostClockError), " from the reference's clock; not a clock"));
    }
  }
  const absl::Duration delay = host_round_trip - reference_hold;
  if (delay < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("time exchange: negative delay ", absl::FormatDuration(delay),
                     " (reference held the request longer than the host's round trip)"));
  }
  ClockSample s;
  s.offset =
      ((ts.t1_host_send - ts.t2_reference_receive) + (ts.t4_host_receive - ts.t3_reference_send)) /
      2;
  s.delay = delay;
  s.measured_at = ts.t3_reference_send;
  return s;
}

bool SamplesAgree(const ClockSample& a, const ClockSample& b, absl::Duration tolerance) {
  return absl::AbsDuration(a.offset - b.offset) <= (a.delay + b.delay) / 2 + tolerance;
}

void ClockFilter::Add(const ClockSample& sample) {
  std::erase_if(samples_, [&](const ClockSample& kept) {
    return !SamplesAgree(kept, sample, kStepTolerance);
  });
  samples_.push_back(sample);
  while (static_cast<int>(samples_.size()) > max_samples_) samples_.pop_front();
}

std::optional<ClockEstimateValue> ClockFilter::Estimate(absl::Time now) const {
  const ClockSample* best = nullptr;
  int in_window = 0;
  for (const ClockSample& s : samples_) {
    if (now - s.measured_at > max_age_) continue;
    ++in_window;
    if (best == nullptr || s.delay < best->delay) best = &s;
  }
  if (best == nullptr) return std::nullopt;
  ClockEstimateValue e;
  e.offset = best->offset;
  e.delay = best->delay;
  e.uncertainty = best->delay / 2;
  e.measured_at = best->measured_at;
  e.window_samples = in_window;
  return e;
}

ClockEstimateValue RelativeEstimate(const ClockEstimateValue& host,
                                    const ClockEstimateValue& other) {
  ClockEstimateValue e;
  e.offset = host.offset - other.offset;
  e.uncertainty = host.uncertainty + other.uncertainty;
  e.delay = host.delay + other.delay;
  e.measured_at = std::min(host.measured_at, other.measured_at);
  e.window_samples = std::min(host.window_samples, other.window_samples);
  return e;
}

}  // namespace kerbside
