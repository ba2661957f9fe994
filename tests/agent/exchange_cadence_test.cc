#include "agent/exchange_cadence.h"

#include "gtest/gtest.h"

namespace kerbside::agent {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);
const absl::Duration kMs = absl::Milliseconds(1);

ClockSample Sample(absl::Time at, absl::Duration offset, absl::Duration delay = 2 * kMs) {
  return {.offset = offset, .delay = delay, .measured_at = at};
}

// Samples of a steady clock, each one interval after the last, as the agent takes them.
void Steady(ExchangeCadence& cadence, absl::Time& at, int n) {
  for (int i = 0; i < n; ++i) {
    at += cadence.interval();
    cadence.OnSample(Sample(at, (3 + i % 2) * kMs));
  }
}

// A cadence that reached its slowest (60 s) on a steady clock; `at` is its last sample's time.
ExchangeCadence SlowestAfterASteadyClock(absl::Time& at) {
  ExchangeCadence cadence(absl::Seconds(10));
  at = kT0;
  cadence.OnSample(Sample(at, 3 * kMs));
  Steady(cadence, at, 4);
  return cadence;
}

TEST(ExchangeCadenceTest, ASteadyClockIsMeasuredLessOftenUpToSixTimesTheInterval) {
  ExchangeCadence cadence(absl::Seconds(10));
  EXPECT_EQ(cadence.interval(), absl::Seconds(10));
  absl::Time at = kT0;
  cadence.OnSample(Sample(at, 3 * kMs));  // nothing to compare with yet
  EXPECT_EQ(cadence.interval(), absl::Seconds(10));
  Steady(cadence, at, 1);
  EXPECT_EQ(cadence.interval(), absl::Seconds(20));
  Steady(cadence, at, 1);
  EXPECT_EQ(cadence.interval(), absl::Seconds(40));
  Steady(cadence, at, 1);
  EXPECT_EQ(cadence.interval(), absl::Seconds(60));
  Steady(cadence, at, 3);
  EXPECT_EQ(cadence.interval(), absl::Seconds(60));
}

// The connect burst (four exchanges a quarter of a second apart) agrees with itself, but says
// nothing about how the clock holds over an interval: the collector's interval stays.
TEST(ExchangeCadenceTest, TheConnectBurstDoesNotSlowTheCadence) {
  ExchangeCadence cadence(absl::Seconds(10));
  for (int i = 0; i < 4; ++i) {
    cadence.OnSample(Sample(kT0 + i * absl::Milliseconds(250), 3 * kMs));
  }
  EXPECT_EQ(cadence.interval(), absl::Seconds(10));
}

TEST(ExchangeCadenceTest, ASampleThatDisagreesBringsTheCollectorsIntervalBack) {
  absl::Time at;
  ExchangeCadence cadence = SlowestAfterASteadyClock(at);
  ASSERT_EQ(cadence.interval(), absl::Seconds(60));
  at += cadence.interval();
  cadence.OnSample(Sample(at, absl::Minutes(7)));
  EXPECT_EQ(cadence.interval(), absl::Seconds(10));
  // Within its delay's bounds and the tolerance, a slow sample still agrees.
  at += cadence.interval();
  cadence.OnSample(Sample(at, absl::Minutes(7) + 300 * kMs, 200 * kMs));
  EXPECT_EQ(cadence.interval(), absl::Seconds(20));
}

TEST(ExchangeCadenceTest, AWallClockStepAgainstTheMonotonicClockIsSeenAndResets) {
  absl::Time at;
  ExchangeCadence cadence = SlowestAfterASteadyClock(at);
  const absl::Time mono0 = absl::FromUnixSeconds(1000);
  EXPECT_FALSE(cadence.StepSeen(kT0, mono0));  // the first look has nothing to compare
  // Both advanced alike (a little drift): no step.
  EXPECT_FALSE(cadence.StepSeen(kT0 + absl::Seconds(60) + 5 * kMs, mono0 + absl::Seconds(60)));
  EXPECT_EQ(cadence.interval(), absl::Seconds(60));
  // The wall clock jumped 7 minutes ahead within 15 s.
  EXPECT_TRUE(
      cadence.StepSeen(kT0 + absl::Seconds(75) + absl::Minutes(7), mono0 + absl::Seconds(75)));
  EXPECT_EQ(cadence.interval(), absl::Seconds(10));
  // The next sample is the first of the new clock: nothing before it to agree with.
  cadence.OnSample(Sample(at + absl::Seconds(10), absl::Minutes(7)));
  EXPECT_EQ(cadence.interval(), absl::Seconds(10));
}

TEST(ExchangeCadenceTest, TheCollectorsNewIntervalStartsTheCadenceAgain) {
  absl::Time at;
  ExchangeCadence cadence = SlowestAfterASteadyClock(at);
  cadence.Reset(absl::Seconds(5));
  EXPECT_EQ(cadence.interval(), absl::Seconds(5));
  at += absl::Seconds(5);
  cadence.OnSample(Sample(at, 3 * kMs));
  EXPECT_EQ(cadence.interval(), absl::Seconds(5));  // the reset forgot the last sample
  Steady(cadence, at, 5);
  EXPECT_EQ(cadence.interval(), absl::Seconds(30));
}

}  // namespace
}  // namespace kerbside::agent
