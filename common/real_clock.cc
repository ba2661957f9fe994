// The one place in kerbside that reads the system clock.
#include <chrono>

#include "absl/time/clock.h"
#include "common/clock.h"

namespace kerbside {
namespace {

class SystemClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

class SteadyClock : public Clock {
 public:
  absl::Time Now() const override {
    return absl::UnixEpoch() +
           absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
  }
};

}  // namespace

Clock& MonotonicClock() {
  static SteadyClock* clock = new SteadyClock();
  return *clock;
}

Clock& RealClock() {
  static SystemClock* clock = new SystemClock();
  return *clock;
}

}  // namespace kerbside
