#ifndef KERBSIDE_COMMON_WAITER_H_
#define KERBSIDE_COMMON_WAITER_H_

#include <condition_variable>
#include <mutex>

#include "absl/time/time.h"
#include "common/clock.h"

namespace kerbside {

// The one way kerbside's loops wait (stream client, source runner, diagnosis keeper, alert
// dispatcher, stream watchdog): until a time on the loop's injected clock, a Notify(), or Stop().
//
// The time left is read from the injected clock when each wait starts and slept on
// std::condition_variable, which waits on CLOCK_MONOTONIC: absl's timed waits turn timeouts into
// CLOCK_REALTIME deadlines, which never arrive when libfaketime shifts only this process's wall
// clock (how the demo and the lab make a skewed host). A loop that needs to see a stepped or
// manual clock sooner caps its own deadline; a test that advances a ManualClock calls Notify().
class Waiter {
 public:
  enum class Woke { kDeadline, kNotified, kStopped };

  explicit Waiter(const Clock* clock) : clock_(clock) {}
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

  // Blocks for the time left until `deadline` as the clock reads it now, or until a Notify()
  // not yet consumed, or Stop() (which wins over the others). Consumes the notification it
  // returns. A deadline already passed returns at once (after a pending Notify or Stop).
  Woke WaitUntil(absl::Time deadline);
  Woke WaitFor(absl::Duration d) { return WaitUntil(clock_->Now() + d); }
  // Like WaitUntil, but a notification only makes it read the clock again: it ends at the
  // deadline or on Stop(). True when stopped.
  bool SleepUntil(absl::Time deadline);

  // Wakes the current wait, or the next one if none is waiting. Any thread.
  void Notify();
  // Wakes every wait, now and later. Any thread.
  void Stop();
  bool stopped() const;

  const Clock* clock() const { return clock_; }

 private:
  const Clock* clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;  // guarded by mu_
  bool stopped_ = false;   // guarded by mu_
};

}  // namespace kerbside

#endif  // KERBSIDE_COMMON_WAITER_H_
