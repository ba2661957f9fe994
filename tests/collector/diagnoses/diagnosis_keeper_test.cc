#include "collector/diagnoses/diagnosis_keeper.h"

#include "common/clock.h"
#include "gtest/gtest.h"
#include "tests/collector/store/temp_store.h"

namespace kerbside::diagnoses {
namespace {

using testing_util::MakeDiagnosis;
using testing_util::TempStore;

const absl::Time kT0 = absl::FromUnixSeconds(1795000000);

CorrelationRun Correlated(std::vector<correlator::Diagnosis> ds) {
  CorrelationRun r;
  r.diagnoses.diagnoses = std::move(ds);
  r.site_by_host = {{"EX02", "HQ"}};
  return r;
}

// Everything in the outbox, per sink in delivery order, as "action cause".
std::vector<std::string> Drain(collector::Store* store, const std::string& sink) {
  std::vector<std::string> out;
  while (true) {
    auto head = store->OutboxHead(sink);
    EXPECT_TRUE(head.ok());
    if (!head->has_value()) break;
    auto a = AlertFromJson((*head)->alert_json);
    EXPECT_TRUE(a.ok());
    out.push_back((*head)->action + " " + a->cause + " " + a->key);
    EXPECT_TRUE(store->OutboxDone((*head)->id).ok());
  }
  return out;
}

class KeeperTest : public ::testing::Test {
 protected:
  std::unique_ptr<DiagnosisKeeper> MakeKeeper() {
    KeeperOptions o;
    o.hold = absl::Seconds(60);
    o.resolve_hold = absl::Seconds(30);
    o.sinks = {"am", "pd"};
    auto k = std::make_unique<DiagnosisKeeper>(store_.get(), &clock_, o, nullptr);
    EXPECT_TRUE(k->Load().ok());
    return k;
  }
  TempStore store_;
  ManualClock clock_{kT0};
};

TEST_F(KeeperTest, FlappingDiagnosisNeverPages) {
  auto keeper = MakeKeeper();
  const auto skew = MakeDiagnosis(correlator::kClockSkew, "EX02");
  ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0).ok());
  ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0 + absl::Seconds(30)).ok());
  ASSERT_TRUE(keeper->Observe(Correlated({}), kT0 + absl::Seconds(40)).ok());
  ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0 + absl::Seconds(50)).ok());
  ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0 + absl::Seconds(100)).ok());
  EXPECT_TRUE(Drain(store_.get(), "am").empty());
  auto kept = keeper->Kept();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].state, DiagnosisState::kPending);
  EXPECT_EQ(kept[0].first_seen, kT0 + absl::Seconds(50));  // the hold started again
}

TEST_F(KeeperTest, PagesOnceAfterHoldAndResolvesInOrder) {
  auto keeper = MakeKeeper();
  const auto skew = MakeDiagnosis(correlator::kClockSkew, "EX02");
  for (int s : {0, 30, 60, 90, 120}) {
    ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0 + absl::Seconds(s)).ok());
  }
  auto kept = keeper->Kept();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].state, DiagnosisState::kActive);
  EXPECT_TRUE(kept[0].paged);
  EXPECT_EQ(kept[0].first_seen, kT0);
  EXPECT_EQ(kept[0].last_changed, kT0 + absl::Seconds(60));
  // Gone: clearing for the resolve hold, then resolved; back within the hold: no second page.
  ASSERT_TRUE(keeper->Observe(Correlated({}), kT0 + absl::Seconds(130)).ok());
  EXPECT_EQ(keeper->Kept()[0].state, DiagnosisState::kClearing);
  ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0 + absl::Seconds(140)).ok());
  EXPECT_EQ(keeper->Kept()[0].state, DiagnosisState::kActive);
  ASSERT_TRUE(keeper->Observe(Correlated({}), kT0 + absl::Seconds(150)).ok());
  ASSERT_TRUE(keeper->Observe(Correlated({}), kT0 + absl::Seconds(185)).ok());
  EXPECT_EQ(keeper->Kept()[0].state, DiagnosisState::kResolved);
  const std::vector<std::string> want = {"trigger clock_skew clock_skew/EX02",
                                         "resolve clock_skew clock_skew/EX02"};
  EXPECT_EQ(Drain(store_.get(), "am"), want);
  EXPECT_EQ(Drain(store_.get(), "pd"), want);
}

TEST_F(KeeperTest, ChangedCauseOnSameGroupUpdatesTheAlert) {
  auto keeper = MakeKeeper();
  const auto skew = MakeDiagnosis(correlator::kClockSkew, "EX02");
  ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0).ok());
  ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0 + absl::Seconds(60)).ok());
  const auto spn = MakeDiagnosis(correlator::kSpnMissing, "EX02");
  ASSERT_TRUE(keeper->Observe(Correlated({spn}), kT0 + absl::Seconds(70)).ok());
  auto kept = keeper->Kept();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].cause, correlator::kSpnMissing);
  EXPECT_EQ(kept[0].alert_key, "clock_skew/EX02");
  EXPECT_EQ(kept[0].first_seen, kT0);
  EXPECT_EQ(kept[0].last_changed, kT0 + absl::Seconds(70));
  EXPECT_EQ(Drain(store_.get(), "am"),
            (std::vector<std::string>{"trigger clock_skew clock_skew/EX02",
                                      "trigger spn_missing clock_skew/EX02"}));
  std::optional<Alert> alert = kept[0].alert;
  EXPECT_EQ(alert->previous_cause, correlator::kClockSkew);
}

TEST_F(KeeperTest, EveryFormerCauseTravelsWithTheAlert) {
  auto keeper = MakeKeeper();
  const auto skew = MakeDiagnosis(correlator::kClockSkew, "EX02");
  const auto spn = MakeDiagnosis(correlator::kSpnMissing, "EX02");
  const auto repl = MakeDiagnosis(correlator::kDcReplication, "EX02");
  ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0).ok());
  ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0 + absl::Seconds(60)).ok());
  ASSERT_TRUE(keeper->Observe(Correlated({spn}), kT0 + absl::Seconds(70)).ok());
  ASSERT_TRUE(keeper->Observe(Correlated({spn}), kT0 + absl::Seconds(75)).ok());  // no change
  ASSERT_TRUE(keeper->Observe(Correlated({repl}), kT0 + absl::Seconds(80)).ok());
  auto kept = keeper->Kept();
  ASSERT_EQ(kept.size(), 1u);
  std::optional<Alert> alert = kept[0].alert;
  EXPECT_EQ(alert->cause, correlator::kDcReplication);
  EXPECT_EQ(alert->previous_cause, correlator::kSpnMissing);
  auto causes = [](const Alert& x) {
    std::vector<std::string> out;
    for (const Alert::Former& f : x.former) out.push_back(f.cause + "/" + f.blamed_host);
    return out;
  };
  EXPECT_EQ(causes(*alert), (std::vector<std::string>{"clock_skew/EX02", "spn_missing/EX02"}));
  // Back to the first cause: it is current again, not former.
  ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0 + absl::Seconds(90)).ok());
  alert = keeper->Kept()[0].alert;
  EXPECT_EQ(causes(*alert), (std::vector<std::string>{"spn_missing/EX02", "dc_replication/EX02"}));
  // And the resolve ends them all.
  ASSERT_TRUE(keeper->Observe(Correlated({}), kT0 + absl::Seconds(100)).ok());
  ASSERT_TRUE(keeper->Observe(Correlated({}), kT0 + absl::Seconds(140)).ok());
  std::vector<std::string> delivered = Drain(store_.get(), "am");
  ASSERT_FALSE(delivered.empty());
  EXPECT_EQ(delivered.back(), "resolve clock_skew clock_skew/EX02");
}

TEST_F(KeeperTest, BlameMovedToAnotherHostEndsTheOldLabels) {
  // A member's clock was blamed, then the DC it follows (same queues, same cause).
  auto keeper = MakeKeeper();
  const auto member = MakeDiagnosis(correlator::kClockSkew, "EX02");
  const auto dc = MakeDiagnosis(correlator::kClockSkew, "DC02");
  ASSERT_TRUE(keeper->Observe(Correlated({member}), kT0).ok());
  ASSERT_TRUE(keeper->Observe(Correlated({member}), kT0 + absl::Seconds(60)).ok());
  ASSERT_TRUE(keeper->Observe(Correlated({dc}), kT0 + absl::Seconds(70)).ok());
  auto kept = keeper->Kept();
  ASSERT_EQ(kept.size(), 1u);
  std::optional<Alert> alert = kept[0].alert;
  EXPECT_EQ(alert->blamed_host, "DC02");
  EXPECT_EQ(alert->key, "clock_skew/EX02");  // the same alert, updated
  EXPECT_TRUE(alert->previous_cause.empty());
  ASSERT_EQ(alert->former.size(), 1u);
  EXPECT_EQ(alert->former[0].blamed_host, "EX02");
  EXPECT_EQ(alert->former[0].site, "HQ");
}

TEST_F(KeeperTest, ChangedSeverityIsAnUpdateThatEndsTheOldLabels) {
  auto keeper = MakeKeeper();
  auto skew = MakeDiagnosis(correlator::kClockSkew, "EX02");
  ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0).ok());
  ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0 + absl::Seconds(60)).ok());
  std::optional<Alert> before = keeper->Kept()[0].alert;
  // The same diagnosis, its site now known: a label of the alert changed.
  CorrelationRun run = Correlated({skew});
  run.site_by_host["EX02"] = "Branch";
  ASSERT_TRUE(keeper->Observe(run, kT0 + absl::Seconds(70)).ok());
  std::optional<Alert> after = keeper->Kept()[0].alert;
  EXPECT_EQ(after->site, "Branch");
  ASSERT_EQ(after->former.size(), 1u);
  EXPECT_EQ(after->former[0].site, "HQ");
  EXPECT_EQ(keeper->Kept()[0].last_changed, kT0 + absl::Seconds(70));
  EXPECT_EQ(Drain(store_.get(), "am"),
            (std::vector<std::string>{"trigger clock_skew clock_skew/EX02",
                                      "trigger clock_skew clock_skew/EX02"}));
  // Unchanged next time: no update.
  ASSERT_TRUE(keeper->Observe(run, kT0 + absl::Seconds(80)).ok());
  EXPECT_TRUE(Drain(store_.get(), "am").empty());
}

TEST_F(KeeperTest, RestartNeitherLosesNorRefires) {
  const auto skew = MakeDiagnosis(correlator::kClockSkew, "EX02");
  {
    auto keeper = MakeKeeper();
    ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0).ok());
    ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0 + absl::Seconds(60)).ok());
  }
  store_.Reopen();
  auto keeper = MakeKeeper();
  ASSERT_EQ(keeper->Kept().size(), 1u);
  EXPECT_EQ(keeper->Kept()[0].state, DiagnosisState::kActive);
  ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0 + absl::Seconds(90)).ok());
  EXPECT_EQ(Drain(store_.get(), "pd"),
            (std::vector<std::string>{"trigger clock_skew clock_skew/EX02"}));
  ASSERT_TRUE(keeper->Observe(Correlated({}), kT0 + absl::Seconds(100)).ok());
  store_.Reopen();
  keeper = MakeKeeper();
  EXPECT_EQ(keeper->Kept()[0].state, DiagnosisState::kClearing);
  ASSERT_TRUE(keeper->Observe(Correlated({}), kT0 + absl::Seconds(140)).ok());
  EXPECT_EQ(Drain(store_.get(), "pd"),
            (std::vector<std::string>{"resolve clock_skew clock_skew/EX02"}));
}

TEST_F(KeeperTest, DamagedRowsNeitherStopTheKeeperNorPageWrongly) {
  collector::KeptDiagnosisRecord unknown_state;
  unknown_state.cause = "clock_skew";
  unknown_state.blamed_host = "EX07";
  unknown_state.alert_key = "clock_skew/EX07";
  unknown_state.state = "paging";
  unknown_state.first_seen = unknown_state.last_changed = unknown_state.last_seen = kT0;
  unknown_state.detail_json = "{}";
  collector::KeptDiagnosisRecord lost_detail = unknown_state;
  lost_detail.blamed_host = "EX08";
  lost_detail.alert_key = "clock_skew/EX08";
  lost_detail.state = "active";
  lost_detail.paged = true;
  lost_detail.detail_json = "{not json";
  ASSERT_TRUE(store_.get()->CommitDiagnoses({unknown_state, lost_detail}, {}, {}).ok());
  auto keeper = MakeKeeper();
  // The unknown state is skipped; the lost detail is tracked...
  ASSERT_EQ(keeper->Kept().size(), 1u);
  EXPECT_EQ(keeper->Kept()[0].blamed_host, "EX08");
  ASSERT_TRUE(keeper->Kept()[0].unreadable_detail.has_value());
  // ...and, gone past the resolve hold, resolved without a resolve its receivers could not
  // match; its detail is written back as it was.
  ASSERT_TRUE(keeper->Observe(Correlated({}), kT0 + absl::Seconds(10)).ok());
  ASSERT_TRUE(keeper->Observe(Correlated({}), kT0 + absl::Seconds(60)).ok());
  EXPECT_EQ(keeper->Kept()[0].state, DiagnosisState::kResolved);
  EXPECT_TRUE(Drain(store_.get(), "am").empty());
  auto rows = store_.get()->LoadKeptDiagnoses();
  ASSERT_TRUE(rows.ok());
  for (const auto& r : *rows) {
    if (r.blamed_host == "EX08") {
      EXPECT_EQ(r.detail_json, "{not json");
    }
  }
}

TEST_F(KeeperTest, OutOfScopeIsKeptButNeverPaged) {
  auto keeper = MakeKeeper();
  const auto dns = MakeDiagnosis(correlator::kOutOfScope, "EX09");
  ASSERT_TRUE(keeper->Observe(Correlated({dns}), kT0).ok());
  ASSERT_TRUE(keeper->Observe(Correlated({dns}), kT0 + absl::Minutes(5)).ok());
  EXPECT_EQ(keeper->Kept()[0].state, DiagnosisState::kActive);
  EXPECT_FALSE(keeper->Kept()[0].paged);
  EXPECT_TRUE(Drain(store_.get(), "am").empty());
}

// Seen in the lab: EX02 restarting refuses connections (out_of_scope, never paged) past the
// hold, then comes back 7 minutes ahead (clock_skew on the same queues): that pages at once.
TEST_F(KeeperTest, ANonPagingDiagnosisThatBecomesAPagingCausePagesAtOnce) {
  auto keeper = MakeKeeper();
  const auto refused = MakeDiagnosis(correlator::kOutOfScope, "EX02");
  ASSERT_TRUE(keeper->Observe(Correlated({refused}), kT0).ok());
  ASSERT_TRUE(keeper->Observe(Correlated({refused}), kT0 + absl::Seconds(90)).ok());
  EXPECT_TRUE(Drain(store_.get(), "am").empty());
  const auto skew = MakeDiagnosis(correlator::kClockSkew, "EX02");
  ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0 + absl::Seconds(95)).ok());
  EXPECT_EQ(Drain(store_.get(), "am"),
            (std::vector<std::string>{"trigger clock_skew out_of_scope/EX02"}));
  ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0 + absl::Seconds(100)).ok());
  EXPECT_TRUE(Drain(store_.get(), "am").empty());  // paged once
  EXPECT_TRUE(keeper->Kept()[0].paged);
}

TEST_F(KeeperTest, AlertCarriesSiteSeverityFixAndQueues) {
  auto keeper = MakeKeeper();
  const auto skew = MakeDiagnosis(correlator::kClockSkew, "EX02");
  ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0).ok());
  ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0 + absl::Seconds(60)).ok());
  std::optional<Alert> a = keeper->Kept()[0].alert;
  EXPECT_EQ(a->site, "HQ");
  EXPECT_EQ(a->severity, "critical");
  EXPECT_EQ(a->fix, "w32tm /resync /rediscover on EX02");
  ASSERT_EQ(a->queues.size(), 1u);
  EXPECT_EQ(a->queues[0], "EX01\\12 (EX01 -> EX02, 37 messages, Retry)");
  EXPECT_EQ(a->starts_at, kT0);
}

}  // namespace
}  // namespace kerbside::diagnoses

namespace kerbside::diagnoses {
namespace {

TEST_F(KeeperTest, TheNextHoldExpiryIsKnown) {
  auto keeper = MakeKeeper();  // hold 60 s, resolve hold 30 s
  EXPECT_FALSE(keeper->NextHoldExpiry().has_value());
  const auto skew = MakeDiagnosis(correlator::kClockSkew, "EX02");
  ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0).ok());
  EXPECT_EQ(keeper->NextHoldExpiry(), kT0 + absl::Seconds(60));
  ASSERT_TRUE(keeper->Observe(Correlated({skew}), kT0 + absl::Seconds(60)).ok());
  EXPECT_FALSE(keeper->NextHoldExpiry().has_value());  // paged: no hold running
  ASSERT_TRUE(keeper->Observe(Correlated({}), kT0 + absl::Seconds(70)).ok());
  EXPECT_EQ(keeper->NextHoldExpiry(), kT0 + absl::Seconds(100));
}

// Issue 16: alerts came one diagnosis interval late, because nothing woke the keeper when a hold
// ran out. With a 30 s recheck and a 1 s hold, the page must come about 1 s after the
// diagnosis, not 30 s. (The injected clock is advanced by hand; the loop waits in real time.)
TEST(KeeperLoopTest, PagesWhenTheHoldRunsOutNotAtTheNextRecheck) {
  testing_util::TempStore store;
  ManualClock clock{kT0};
  KeeperOptions o;
  o.min_interval = absl::Seconds(5);
  o.recheck_interval = absl::Seconds(30);
  o.hold = absl::Seconds(1);
  o.sinks = {"am"};
  const auto skew = MakeDiagnosis(correlator::kClockSkew, "EX02");
  DiagnosisKeeper keeper(store.get(), &clock, o, [&](absl::Time) -> absl::StatusOr<CorrelationRun> {
    return Correlated({skew});
  });
  ASSERT_TRUE(keeper.Load().ok());
  keeper.Start();
  auto state = [&] {
    auto kept = keeper.Kept();
    return kept.empty() ? std::string("none") : std::string(DiagnosisStateName(kept[0].state));
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (state() != "pending" && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_EQ(state(), "pending");
  clock.Advance(absl::Seconds(1));
  while (state() != "active" && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  keeper.Stop();
  EXPECT_EQ(state(), "active") << "not paged within 10 s of the hold running out";
  EXPECT_EQ(keeper.runs(), 2);  // the first look and the one at the hold's end: no busy loop
}

}  // namespace
}  // namespace kerbside::diagnoses
