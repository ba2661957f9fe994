// clock_skew, one branch per test: a host off its reference (alone, corroborated, or following
// its DC), a Kerberos leg too wide though each end is within the limit, and what the errors and
// missing readings allow when no clock is off.
#include <string>

#include "gmock/gmock.h"
#include "tests/collector/correlator/rules/rule_test_fleet.h"

namespace kerbside::correlator {
namespace {

using ::testing::HasSubstr;

class ClockSkewRuleTest : public RuleTestFleet {
 protected:
  // `host` is `offset` ahead of the collector, measured on its stream.
  void Reading(const std::string& host, absl::Duration offset) {
    v1::Evidence e = Item(host);
    v1::ClockReading* r = e.mutable_clock_reading();
    r->set_method(v1::ClockReading::COLLECTOR_EXCHANGE);
    r->set_reference("collector");
    *r->mutable_offset() = ToProto(offset);
    *r->mutable_uncertainty() = ToProto(absl::Milliseconds(1));
    *r->mutable_measured_at() = ToProto(kNow - absl::Minutes(1));
    Add(e);
  }
  void TimeSource(const std::string& host, const std::string& source) {
    v1::Evidence e = Item(host);
    e.mutable_w32tm_status()->set_source(source);
    Add(e);
  }
  void QueueSaysTimeSkew() { FailingQueue().mutable_last_error()->set_security_status("TimeSkew"); }
  CauseResult Judge() { return RuleTestFleet::Judge(kClockSkew); }
};

TEST_F(ClockSkewRuleTest, AHostOffThePdcEmulatorIsBlamedLikelyAlone) {
  Reading("DC01", absl::ZeroDuration());
  Reading("EX01", absl::ZeroDuration());
  Reading("EX02", absl::Minutes(7));
  const CauseResult r = Judge();
  EXPECT_EQ(r.state, CauseResult::State::kSupported);
  EXPECT_EQ(r.confidence, Confidence::kLikely);
  EXPECT_EQ(r.blamed_host, "EX02");
  EXPECT_EQ(r.summary, "EX02 is 7m ahead of the PDC emulator DC01 (limit 5m)");
  EXPECT_EQ(r.remediation.front(), "On EX02: w32tm /resync /rediscover");
  EXPECT_EQ(r.remediation.back(), "Then retry the queues: Retry-Queue -Identity <queue> on EX01");
}

TEST_F(ClockSkewRuleTest, TheQueuesTimeSkewConfirmsIt) {
  Reading("DC01", absl::ZeroDuration());
  Reading("EX01", absl::ZeroDuration());
  Reading("EX02", -absl::Minutes(9));
  QueueSaysTimeSkew();
  const CauseResult r = Judge();
  EXPECT_EQ(r.confidence, Confidence::kConfirmed);
  EXPECT_EQ(r.summary,
            "EX02 is 9m behind the PDC emulator DC01 (limit 5m); confirmed by 'Security status "
            "TimeSkew' in the queues");
}

TEST_F(ClockSkewRuleTest, AMemberOffWithTheDcItSyncsFromLeavesTheBlameOnTheDc) {
  Host("DC02", v1::ROLE_DC, "10.1.1.2");
  TimeSource("EX02", "dc02.contoso.com");
  Reading("DC01", absl::ZeroDuration());
  Reading("DC02", absl::Minutes(7));
  Reading("EX01", absl::ZeroDuration());
  Reading("EX02", absl::Minutes(7) + absl::Seconds(30));
  const CauseResult r = Judge();
  EXPECT_EQ(r.blamed_host, "DC02");
  EXPECT_THAT(r.summary, HasSubstr("DC02 is 7m ahead of the PDC emulator DC01"));
  EXPECT_THAT(r.summary, HasSubstr("EX02 is +7m30.000s too (it syncs from DC02)"));
  EXPECT_THAT(r.remediation,
              ::testing::Contains("Once DC02 is right, on EX02 (which syncs from it): w32tm "
                                  "/resync"));
}

TEST_F(ClockSkewRuleTest, AMemberFarOffItsOwnDcIsItsOwnFault) {
  Host("DC02", v1::ROLE_DC, "10.1.1.2");
  TimeSource("EX02", "dc02.contoso.com");
  Reading("DC01", absl::ZeroDuration());
  Reading("DC02", absl::Minutes(6));
  Reading("EX01", absl::ZeroDuration());
  Reading("EX02", absl::Minutes(45));
  EXPECT_EQ(Judge().blamed_host, "EX02");
}

TEST_F(ClockSkewRuleTest, ALegTooWideThoughEachEndIsWithinTheLimit) {
  Reading("DC01", absl::ZeroDuration());
  Reading("EX01", -absl::Minutes(3));
  Reading("EX02", absl::Minutes(3));
  const CauseResult r = Judge();
  EXPECT_EQ(r.state, CauseResult::State::kSupported);
  EXPECT_EQ(r.blamed_host, "EX01");
  EXPECT_THAT(r.summary,
              HasSubstr("EX01 and EX02 are 6m apart (EX01 -3m00.000s, EX02 +3m00.000s against "
                        "the PDC emulator DC01), more than the limit 5m"));
}

TEST_F(ClockSkewRuleTest, ErrorsWithEveryClockWithinAreOnlyPossible) {
  Reading("DC01", absl::ZeroDuration());
  Reading("EX01", absl::ZeroDuration());
  Reading("EX02", absl::Minutes(1));
  QueueSaysTimeSkew();
  const CauseResult r = Judge();
  EXPECT_EQ(r.state, CauseResult::State::kSupported);
  EXPECT_EQ(r.confidence, Confidence::kPossible);
  EXPECT_EQ(r.blamed_host, "EX02");
  EXPECT_THAT(r.summary, HasSubstr("yet every measured clock is within 5m"));
}

TEST_F(ClockSkewRuleTest, EveryClockWithinRulesItOut) {
  Reading("DC01", absl::ZeroDuration());
  Reading("EX01", absl::ZeroDuration());
  Reading("EX02", absl::Minutes(1));
  const CauseResult r = Judge();
  EXPECT_EQ(r.state, CauseResult::State::kRuledOut);
  EXPECT_THAT(r.summary, HasSubstr("every clock on the path is within 5m of the PDC emulator"));
  EXPECT_THAT(r.summary, HasSubstr("EX02 +1m"));
}

TEST_F(ClockSkewRuleTest, AnUnmeasuredTargetIsNotChecked) {
  Reading("DC01", absl::ZeroDuration());
  Reading("EX01", absl::ZeroDuration());
  const CauseResult r = Judge();
  EXPECT_EQ(r.state, CauseResult::State::kNotChecked);
  EXPECT_THAT(r.summary, HasSubstr("no clock reading for EX02"));
}

TEST_F(ClockSkewRuleTest, AnUnmeasuredTargetWithErrorsIsPossibleAndBlamed) {
  Reading("DC01", absl::ZeroDuration());
  Reading("EX01", absl::ZeroDuration());
  QueueSaysTimeSkew();
  const CauseResult r = Judge();
  EXPECT_EQ(r.confidence, Confidence::kPossible);
  EXPECT_EQ(r.blamed_host, "EX02");
  EXPECT_THAT(r.summary, HasSubstr("no offset measured for EX02"));
  EXPECT_THAT(r.remediation.front(), HasSubstr("w32tm /stripchart"));
}

}  // namespace
}  // namespace kerbside::correlator
