// The one place in kerbside that reads the system clock.
#include "absl/time/clock.h"
#include "common/clock.h"

namespace kerbside {
namespace {

class SystemClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

Clock& RealClock() {
  static SystemClock* clock = new SystemClock();
  return *clock;
}

}  // namespace kerbside
