#include "common/time_exchange.h"

#include "gtest/gtest.h"

namespace kerbside {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

// Builds the four timestamps for a host whose clock is `skew` ahead of the reference, with
// one-way network delays `up` (host -> reference) and `down`, and `hold` at the reference.
ExchangeTimestamps Exchange(absl::Duration skew, absl::Duration up, absl::Duration down,
                            absl::Duration hold = absl::Microseconds(50)) {
  const absl::Time true_send = kT0;
  ExchangeTimestamps ts;
  ts.t1_host_send = true_send + skew;
  ts.t2_reference_receive = true_send + up;
  ts.t3_reference_send = ts.t2_reference_receive + hold;
  ts.t4_host_receive = ts.t3_reference_send + down + skew;
  return ts;
}

TEST(ComputeClockSampleTest, HostAheadIsPositive) {
  auto s = ComputeClockSample(
      Exchange(absl::Seconds(420), absl::Milliseconds(2), absl::Milliseconds(2)));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->offset, absl::Seconds(420));
  EXPECT_EQ(s->delay, absl::Milliseconds(4));
}

TEST(ComputeClockSampleTest, HostBehindIsNegative) {
  auto s = ComputeClockSample(
      Exchange(absl::Seconds(-301), absl::Milliseconds(1), absl::Milliseconds(1)));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->offset, absl::Seconds(-301));
  EXPECT_EQ(s->delay, absl::Milliseconds(2));
}

TEST(ComputeClockSampleTest, AsymmetricDelayErrsByHalfTheAsymmetryWithinUncertainty) {
  // 30 ms up, 2 ms down: NTP's estimate is off by (up - down) / 2 = 14 ms, never more than
  // half the delay (16 ms), which is the uncertainty we report.
  auto s = ComputeClockSample(
      Exchange(absl::Seconds(10), absl::Milliseconds(30), absl::Milliseconds(2)));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->delay, absl::Milliseconds(32));
  EXPECT_EQ(s->offset, absl::Seconds(10) - absl::Milliseconds(14));
  EXPECT_LE(absl::AbsDuration(s->offset - absl::Seconds(10)), s->delay / 2);
}

TEST(ComputeClockSampleTest, HoldTimeAtReferenceIsNotDelay) {
  auto s = ComputeClockSample(Exchange(absl::ZeroDuration(), absl::Milliseconds(1),
                                       absl::Milliseconds(1), absl::Milliseconds(500)));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->delay, absl::Milliseconds(2));
  EXPECT_EQ(s->offset, absl::ZeroDuration());
}

TEST(ComputeClockSampleTest, RejectsHostClockSteppingBack) {
  ExchangeTimestamps ts =
      Exchange(absl::ZeroDuration(), absl::Milliseconds(1), absl::Milliseconds(1));
  ts.t4_host_receive = ts.t1_host_send - absl::Seconds(1);
  auto s = ComputeClockSample(ts);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("t4"), std::string::npos);
}

TEST(ComputeClockSampleTest, RejectsReferenceHoldLongerThanRoundTrip) {
  ExchangeTimestamps ts =
      Exchange(absl::ZeroDuration(), absl::Milliseconds(1), absl::Milliseconds(1));
  ts.t3_reference_send = ts.t2_reference_receive + absl::Seconds(5);
  EXPECT_FALSE(ComputeClockSample(ts).ok());
}

// Issue 12 item 5: a host reporting the year 9999 gave an 8000-year offset. A CMOS reset (26
// years behind) is still a clock, and must be reported as one.
TEST(ComputeClockSampleTest, RejectsTimestampsThatAreNoClock) {
  const absl::Time y9999 =
      absl::FromCivil(absl::CivilSecond(9999, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  auto s = ComputeClockSample(Exchange(y9999 - kT0, absl::Milliseconds(2), absl::Milliseconds(2)));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("t1 (host send) reads 9999-01-01"), std::string::npos)
      << s.status();
  auto cmos = ComputeClockSample(
      Exchange(-absl::Hours(24 * 365 * 26), absl::Milliseconds(2), absl::Milliseconds(2)));
  ASSERT_TRUE(cmos.ok()) << cmos.status();
  EXPECT_LT(cmos->offset, -absl::Hours(24 * 365 * 25));
}

TEST(ClockFilterTest, PicksMinimumDelaySampleAndHalfDelayUncertainty) {
  ClockFilter filter(8, absl::Minutes(15));
  filter.Add({absl::Seconds(420) + absl::Milliseconds(40), absl::Milliseconds(90), kT0});
  filter.Add(
      {absl::Seconds(420) + absl::Milliseconds(1), absl::Milliseconds(4), kT0 + absl::Seconds(10)});
  filter.Add({absl::Seconds(420) - absl::Milliseconds(25), absl::Milliseconds(60),
              kT0 + absl::Seconds(20)});
  auto e = filter.Estimate(kT0 + absl::Seconds(30));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->offset, absl::Seconds(420) + absl::Milliseconds(1));
  EXPECT_EQ(e->delay, absl::Milliseconds(4));
  EXPECT_EQ(e->uncertainty, absl::Milliseconds(2));
  EXPECT_EQ(e->measured_at, kT0 + absl::Seconds(10));
  EXPECT_EQ(e->window_samples, 3);
}

TEST(ClockFilterTest, KeepsOnlyTheMostRecentSamples) {
  ClockFilter filter(2, absl::Hours(1));
  const absl::Duration ms = absl::Milliseconds(1);
  filter.Add({absl::Seconds(1) + 1 * ms, 1 * ms, kT0});  // best delay, but evicted
  filter.Add({absl::Seconds(1) + 2 * ms, 5 * ms, kT0 + absl::Seconds(1)});
  filter.Add({absl::Seconds(1) + 3 * ms, 3 * ms, kT0 + absl::Seconds(2)});
  auto e = filter.Estimate(kT0 + absl::Seconds(3));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(filter.size(), 2u);
  EXPECT_EQ(e->offset, absl::Seconds(1) + 3 * ms);
}

// The host's clock is stepped 7 minutes ahead: the samples before it, with the smaller delays,
// no longer win; the first sample after the step is the estimate at once.
TEST(ClockFilterTest, ASteppedClockIsSeenAtTheFirstSampleAfterTheStep) {
  ClockFilter filter(8, absl::Minutes(15));
  const absl::Duration ms = absl::Milliseconds(1);
  filter.Add({2 * ms, 1 * ms, kT0});
  filter.Add({3 * ms, 2 * ms, kT0 + absl::Seconds(10)});
  filter.Add({absl::Minutes(7) + 4 * ms, 30 * ms, kT0 + absl::Seconds(20)});
  auto e = filter.Estimate(kT0 + absl::Seconds(20));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->offset, absl::Minutes(7) + 4 * ms);
  EXPECT_EQ(filter.size(), 1u);
  EXPECT_EQ(e->window_samples, 1);
  // Back again (the time service corrected it): the same, the other way.
  filter.Add({5 * ms, 40 * ms, kT0 + absl::Seconds(30)});
  EXPECT_EQ(filter.Estimate(kT0 + absl::Seconds(30))->offset, 5 * ms);
}

// Samples that disagree by no more than their delays allow, plus the tolerance, are one clock:
// a slow path's sample does not push out a fast path's.
TEST(ClockFilterTest, SamplesWithinTheirUncertaintyAndTheToleranceStay) {
  ClockFilter filter(8, absl::Minutes(15));
  const absl::Duration ms = absl::Milliseconds(1);
  filter.Add({10 * ms, 2 * ms, kT0});
  // 400 ms away, but with a 400 ms delay (+-200 ms) and the 250 ms tolerance: consistent.
  filter.Add({410 * ms, 400 * ms, kT0 + absl::Seconds(10)});
  EXPECT_EQ(filter.size(), 2u);
  EXPECT_EQ(filter.Estimate(kT0 + absl::Seconds(10))->offset, 10 * ms);
  // 300 ms away with 2 ms delays on both sides: beyond 2/2 + 2/2 + 250 ms, a step.
  filter.Add({310 * ms, 2 * ms, kT0 + absl::Seconds(20)});
  EXPECT_EQ(filter.Estimate(kT0 + absl::Seconds(20))->offset, 310 * ms);
}

TEST(ClockFilterTest, OldSamplesLeaveTheWindow) {
  ClockFilter filter(8, absl::Minutes(15));
  filter.Add({absl::Seconds(1), absl::Milliseconds(1), kT0});
  filter.Add({absl::Seconds(2), absl::Milliseconds(9), kT0 + absl::Minutes(10)});
  auto e = filter.Estimate(kT0 + absl::Minutes(20));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->offset, absl::Seconds(2));
  EXPECT_FALSE(filter.Estimate(kT0 + absl::Hours(2)).has_value());
}

TEST(RelativeEstimateTest, OffsetsSubtractUncertaintiesAdd) {
  ClockEstimateValue host{absl::Seconds(432), absl::Milliseconds(2), absl::Milliseconds(4), kT0, 8};
  ClockEstimateValue pdc{absl::Seconds(12), absl::Milliseconds(1), absl::Milliseconds(2),
                         kT0 - absl::Seconds(5), 6};
  ClockEstimateValue rel = RelativeEstimate(host, pdc);
  EXPECT_EQ(rel.offset, absl::Seconds(420));
  EXPECT_EQ(rel.uncertainty, absl::Milliseconds(3));
  EXPECT_EQ(rel.measured_at, kT0 - absl::Seconds(5));
  EXPECT_EQ(rel.window_samples, 6);
}

}  // namespace
}  // namespace kerbside
