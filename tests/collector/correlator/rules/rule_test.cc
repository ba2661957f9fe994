// PerTargetRule::EvaluateShared: the verdict of a rule that reads only the target is built once
// per correlation and target and shared by every one-target group of it; a rule that reads the
// group, or a group of several targets, gets its own.
#include "collector/correlator/rules/rule.h"

#include "collector/correlator/diagnosis.h"
#include "tests/collector/correlator/rules/rule_test_fleet.h"

namespace kerbside::correlator {
namespace {

class SharedVerdictTest : public RuleTestFleet {
 protected:
  void SetUp() override {
    RuleTestFleet::SetUp();
    Host("EX03", v1::ROLE_EXCHANGE, "10.1.1.13");
    Reindex();
  }

  // The index, matrix and clocks over the fleet as it is now, and a fresh memo.
  void Reindex() {
    memo_ = FleetMemo{};
    index_ = std::make_unique<FleetIndex>(fleet_, kNow, absl::Hours(24));
    matrix_ = std::make_unique<PairMatrix>(*index_);
    clocks_ = std::make_unique<ClockGraph>(*index_, kMaxSkew);
  }

  const Rule& RuleFor(const char* cause) {
    for (const Rule* r : Rules()) {
      if (std::string(r->cause()) == cause) return *r;
    }
    ADD_FAILURE() << "no rule " << cause;
    return *Rules().front();
  }

  std::shared_ptr<const CauseResult> Shared(const char* cause, const FailureGroup& group) {
    return RuleFor(cause).EvaluateShared(
        RuleContext{*index_, *matrix_, *clocks_, group, kMaxSkew, &memo_});
  }
  CauseResult Fresh(const char* cause, const FailureGroup& group) {
    FleetMemo memo;
    return RuleFor(cause).Evaluate(
        RuleContext{*index_, *matrix_, *clocks_, group, kMaxSkew, &memo});
  }

  static FailureGroup Group(std::set<std::string> senders, std::set<std::string> targets) {
    FailureGroup g;
    g.pattern_kind = "pair_only";
    g.senders = std::move(senders);
    g.targets = std::move(targets);
    return g;
  }
};

TEST_F(SharedVerdictTest, OneTargetGroupsOfATargetShareTheVerdictOfRulesThatReadOnlyTheTarget) {
  const FailureGroup from_ex01 = Group({"EX01"}, {"EX02"});
  const FailureGroup from_ex03 = Group({"EX03"}, {"EX02"});
  for (const char* cause : {kDcReplication, kSpnMissing}) {
    SCOPED_TRACE(cause);
    const std::shared_ptr<const CauseResult> first = Shared(cause, from_ex01);
    const std::shared_ptr<const CauseResult> second = Shared(cause, from_ex03);
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(first.get(), second.get());
    // The same verdict a group judged on its own gets.
    const CauseResult fresh = Fresh(cause, from_ex03);
    EXPECT_EQ(first->cause, fresh.cause);
    EXPECT_EQ(first->state, fresh.state);
    EXPECT_EQ(first->summary, fresh.summary);
    EXPECT_FALSE(first->summary.empty());
  }
  EXPECT_EQ(memo_.target_verdicts.size(), 2u);
}

TEST_F(SharedVerdictTest, ARuleThatReadsTheGroupIsJudgedPerGroup) {
  // spn_duplicate counts KRB_AP_ERR_MODIFIED on the group's senders too.
  const FailureGroup from_ex01 = Group({"EX01"}, {"EX02"});
  const FailureGroup from_ex03 = Group({"EX03"}, {"EX02"});
  const std::shared_ptr<const CauseResult> first = Shared(kSpnDuplicate, from_ex01);
  const std::shared_ptr<const CauseResult> second = Shared(kSpnDuplicate, from_ex03);
  EXPECT_NE(first.get(), second.get());
  EXPECT_TRUE(memo_.target_verdicts.empty());
}

TEST_F(SharedVerdictTest, AGroupOfSeveralTargetsGetsItsOwnVerdict) {
  // DC01 lists EX02's SMTP SPNs (spn_missing: ruled out for EX02); nothing lists EX03's.
  v1::Evidence listing = Item("DC01");
  listing.set_subject("EX02");
  listing.mutable_spn_listing()->set_account("EX02");
  listing.mutable_spn_listing()->add_spns("SMTPSVC/EX02");
  listing.mutable_spn_listing()->add_spns("SMTPSVC/ex02.contoso.com");
  Add(std::move(listing));
  Reindex();
  const std::shared_ptr<const CauseResult> one = Shared(kSpnMissing, Group({"EX01"}, {"EX02"}));
  const std::shared_ptr<const CauseResult> two =
      Shared(kSpnMissing, Group({"EX01"}, {"EX02", "EX03"}));
  EXPECT_EQ(one->state, CauseResult::State::kRuledOut) << one->summary;
  // EX03's missing listing makes the two-target group's verdict "not checked": not the
  // one-target verdict kept for EX02, and not kept for anyone.
  EXPECT_EQ(two->state, CauseResult::State::kNotChecked) << two->summary;
  EXPECT_NE(two->summary.find("EX03"), std::string::npos) << two->summary;
  EXPECT_EQ(memo_.target_verdicts.size(), 1u);
  EXPECT_EQ(Shared(kSpnMissing, Group({"EX03"}, {"EX02"})).get(), one.get());
}

}  // namespace
}  // namespace kerbside::correlator
