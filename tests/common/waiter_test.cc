// The one waiter: notifications and stops end a wait at once and are not lost when they come
// before it; the deadline is read on the injected clock.
#include "common/waiter.h"

#include <thread>

#include "gtest/gtest.h"

namespace kerbside {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST(WaiterTest, ADeadlineAlreadyPassedOnTheInjectedClockReturnsAtOnce) {
  ManualClock clock(kT0);
  Waiter w(&clock);
  EXPECT_EQ(w.WaitUntil(kT0), Waiter::Woke::kDeadline);
  EXPECT_EQ(w.WaitUntil(kT0 - absl::Hours(1)), Waiter::Woke::kDeadline);
}

TEST(WaiterTest, ANotifyBeforeTheWaitIsNotLostAndIsConsumedOnce) {
  ManualClock clock(kT0);
  Waiter w(&clock);
  w.Notify();
  EXPECT_EQ(w.WaitUntil(kT0 + absl::Hours(1)), Waiter::Woke::kNotified);
  EXPECT_EQ(w.WaitUntil(kT0), Waiter::Woke::kDeadline);  // consumed
}

TEST(WaiterTest, NotifyAndStopWakeAWaitThatWouldLastAnHour) {
  ManualClock clock(kT0);
  Waiter w(&clock);
  std::thread notifier([&] { w.Notify(); });
  EXPECT_EQ(w.WaitUntil(kT0 + absl::Hours(1)), Waiter::Woke::kNotified);
  notifier.join();
  std::thread stopper([&] { w.Stop(); });
  EXPECT_EQ(w.WaitUntil(kT0 + absl::Hours(1)), Waiter::Woke::kStopped);
  stopper.join();
  EXPECT_TRUE(w.stopped());
  // Stopped stays stopped, and wins over a notification.
  w.Notify();
  EXPECT_EQ(w.WaitFor(absl::Hours(1)), Waiter::Woke::kStopped);
}

TEST(WaiterTest, SleepUntilIgnoresNotificationsButNotStop) {
  ManualClock clock(kT0);
  Waiter w(&clock);
  w.Notify();
  // The clock is advanced, then the sleeper told: it sees the deadline passed.
  std::thread advancer([&] {
    clock.Advance(absl::Minutes(5));
    w.Notify();
  });
  EXPECT_FALSE(w.SleepUntil(kT0 + absl::Minutes(5)));
  advancer.join();
  std::thread stopper([&] { w.Stop(); });
  EXPECT_TRUE(w.SleepUntil(kT0 + absl::Hours(1)));
  stopper.join();
}

TEST(WaiterTest, WaitsOnTheMonotonicClock) {
  Waiter w(&MonotonicClock());
  EXPECT_EQ(w.WaitFor(absl::Milliseconds(20)), Waiter::Woke::kDeadline);
}

}  // namespace
}  // namespace kerbside
