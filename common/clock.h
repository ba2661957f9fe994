#ifndef KERBSIDE_COMMON_CLOCK_H_
#define KERBSIDE_COMMON_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace kerbside {

// Every component takes its time from a Clock so tests and the correlator stay deterministic.
// Only real_clock.cc reads the system clock.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The process's wall clock (CLOCK_REALTIME, the clock libfaketime shifts in the demo).
Clock& RealClock();

// A clock for deadlines only: CLOCK_MONOTONIC from an arbitrary origin, so a step of the wall
// clock (NTP at boot, an admin) neither expires every deadline at once nor suspends them. Its
// Now() is no date.
Clock& MonotonicClock();

// A clock that moves only when told to; for tests.
class ManualClock : public Clock {
 public:
  explicit ManualClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_;
};

}  // namespace kerbside

#endif  // KERBSIDE_COMMON_CLOCK_H_
