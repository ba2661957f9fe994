#ifndef KERBSIDE_AGENT_BACKOFF_H_
#define KERBSIDE_AGENT_BACKOFF_H_

#include <functional>

#include "absl/time/time.h"

namespace kerbside::agent {

// Exponential backoff with "equal jitter": the n-th wait is d/2 + U(0, d/2) with
// d = min(max, initial * 2^n). Jitter keeps a fleet of agents from reconnecting in lockstep
// after the collector restarts; the d/2 floor keeps a single agent from hammering it.
class Backoff {
 public:
  // `uniform01` returns a value in [0, 1); injected so tests are deterministic.
  Backoff(absl::Duration initial, absl::Duration max, std::function<double()> uniform01)
      : initial_(initial), max_(max), uniform01_(std::move(uniform01)), current_(initial) {}

  absl::Duration Next();
  void Reset() { current_ = initial_; }

 private:
  absl::Duration initial_;
  absl::Duration max_;
  std::function<double()> uniform01_;
  absl::Duration current_;
};

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_BACKOFF_H_
