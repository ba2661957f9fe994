// The keeper's state machine as pure steps, and a kept diagnosis to and from its stored record.
#include "collector/diagnoses/kept_diagnosis.h"

#include "gtest/gtest.h"

namespace kerbside::diagnoses {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1795000000);
const Holds kHolds{
    .hold = absl::Seconds(60), .resolve_hold = absl::Seconds(30), .keep_resolved = absl::Hours(1)};

KeptDiagnosis Kept(DiagnosisState state, bool paged = false) {
  KeptDiagnosis k;
  k.cause = "clock_skew";
  k.blamed_host = "EX02";
  k.alert_key = "clock_skew/EX02";
  k.state = state;
  k.first_seen = kT0;
  k.last_changed = kT0;
  k.last_seen = kT0;
  k.paged = paged;
  return k;
}

TEST(DiagnosisStateTest, NamesRoundTrip) {
  for (DiagnosisState s : kDiagnosisStates) {
    EXPECT_EQ(ParseDiagnosisState(DiagnosisStateName(s)), s);
  }
  EXPECT_FALSE(ParseDiagnosisState("Active").has_value());
  EXPECT_FALSE(ParseDiagnosisState("").has_value());
}

TEST(WhenSeenTest, PendingPagesOnlyOnceTheHoldIsOver) {
  const KeptDiagnosis k = Kept(DiagnosisState::kPending);
  Step s = WhenSeen(k, /*pages=*/true, /*material=*/false, kT0 + absl::Seconds(59), kHolds);
  EXPECT_EQ(s.next, DiagnosisState::kPending);
  EXPECT_FALSE(s.notify);
  EXPECT_FALSE(s.changed);
  s = WhenSeen(k, true, false, kT0 + absl::Seconds(60), kHolds);
  EXPECT_EQ(s.next, DiagnosisState::kActive);
  EXPECT_TRUE(s.notify);
  EXPECT_TRUE(s.paged);
  EXPECT_TRUE(s.changed);
}

TEST(WhenSeenTest, ACauseThatDoesNotPageTurnsActiveSilently) {
  const Step s = WhenSeen(Kept(DiagnosisState::kPending), /*pages=*/false, false,
                          kT0 + absl::Minutes(5), kHolds);
  EXPECT_EQ(s.next, DiagnosisState::kActive);
  EXPECT_FALSE(s.notify);
  EXPECT_FALSE(s.paged);
}

TEST(WhenSeenTest, ActiveUnpagedPagesWhenItsCauseStartsToPage) {
  const Step s = WhenSeen(Kept(DiagnosisState::kActive, /*paged=*/false), /*pages=*/true, false,
                          kT0 + absl::Minutes(5), kHolds);
  EXPECT_TRUE(s.notify);
  EXPECT_TRUE(s.paged);
  EXPECT_TRUE(s.changed);
}

TEST(WhenSeenTest, ActivePagedNotifiesOnlyMaterialChanges) {
  const KeptDiagnosis k = Kept(DiagnosisState::kActive, /*paged=*/true);
  EXPECT_FALSE(WhenSeen(k, true, /*material=*/false, kT0 + absl::Minutes(5), kHolds).notify);
  const Step s = WhenSeen(k, true, /*material=*/true, kT0 + absl::Minutes(5), kHolds);
  EXPECT_TRUE(s.notify);
  EXPECT_TRUE(s.changed);
  // Now a cause that does not page: the update is not sent.
  EXPECT_FALSE(WhenSeen(k, /*pages=*/false, true, kT0 + absl::Minutes(5), kHolds).notify);
}

TEST(WhenSeenTest, ClearingComesBackActiveWithoutAPage) {
  KeptDiagnosis k = Kept(DiagnosisState::kClearing, /*paged=*/true);
  k.absent_since = kT0 + absl::Seconds(100);
  const Step s = WhenSeen(k, true, false, kT0 + absl::Seconds(110), kHolds);
  EXPECT_EQ(s.next, DiagnosisState::kActive);
  EXPECT_FALSE(s.notify);
  EXPECT_TRUE(s.changed);
}

TEST(WhenAbsentTest, PendingIsSwallowedByTheFlappingGuard) {
  const Step s = WhenAbsent(Kept(DiagnosisState::kPending), kT0 + absl::Seconds(10), kHolds);
  EXPECT_EQ(s.next, DiagnosisState::kResolved);
  EXPECT_FALSE(s.notify);
}

TEST(WhenAbsentTest, ActiveClearsThenResolvesAfterTheResolveHold) {
  Step s = WhenAbsent(Kept(DiagnosisState::kActive, true), kT0 + absl::Seconds(100), kHolds);
  EXPECT_EQ(s.next, DiagnosisState::kClearing);
  EXPECT_TRUE(s.absence_starts);
  EXPECT_FALSE(s.notify);
  KeptDiagnosis clearing = Kept(DiagnosisState::kClearing, true);
  clearing.absent_since = kT0 + absl::Seconds(100);
  s = WhenAbsent(clearing, kT0 + absl::Seconds(129), kHolds);
  EXPECT_EQ(s.next, DiagnosisState::kClearing);
  EXPECT_FALSE(s.changed);
  s = WhenAbsent(clearing, kT0 + absl::Seconds(130), kHolds);
  EXPECT_EQ(s.next, DiagnosisState::kResolved);
  EXPECT_TRUE(s.notify);  // it paged, so its receivers are told
  clearing.paged = false;
  EXPECT_FALSE(WhenAbsent(clearing, kT0 + absl::Seconds(130), kHolds).notify);
}

TEST(WhenAbsentTest, ResolvedIsForgottenAfterKeepResolved) {
  const KeptDiagnosis k = Kept(DiagnosisState::kResolved);
  EXPECT_FALSE(WhenAbsent(k, kT0 + absl::Hours(1), kHolds).forget);
  EXPECT_TRUE(WhenAbsent(k, kT0 + absl::Hours(1) + absl::Seconds(1), kHolds).forget);
}

TEST(KeptRecordTest, RoundTripsThroughTheStoredRecord) {
  KeptDiagnosis k = Kept(DiagnosisState::kClearing, true);
  k.absent_since = kT0 + absl::Seconds(5);
  k.alert.key = k.alert_key;
  k.alert.cause = "clock_skew";
  k.alert.site = "HQ";
  k.alert.former.push_back({"spn_missing", "EX02", "HQ", "critical"});
  k.queue_ids = {"EX01|EX01\\12", "EX03|EX03\\4"};
  const collector::KeptDiagnosisRecord r = KeptToRecord(k);
  EXPECT_EQ(r.state, "clearing");
  auto back = KeptFromRecord(r);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->state, DiagnosisState::kClearing);
  EXPECT_EQ(back->absent_since, k.absent_since);
  EXPECT_TRUE(back->paged);
  EXPECT_EQ(back->queue_ids, k.queue_ids);
  EXPECT_EQ(back->alert.site, "HQ");
  ASSERT_EQ(back->alert.former.size(), 1u);
  EXPECT_EQ(back->alert.former[0].cause, "spn_missing");
  EXPECT_FALSE(back->unreadable_detail.has_value());
}

TEST(KeptRecordTest, AnUnknownStateIsAnErrorNamingTheRow) {
  collector::KeptDiagnosisRecord r = KeptToRecord(Kept(DiagnosisState::kActive));
  r.state = "paging";
  auto k = KeptFromRecord(r);
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.status().message().find("clock_skew/EX02"), std::string::npos);
  EXPECT_NE(k.status().message().find("paging"), std::string::npos);
}

TEST(KeptRecordTest, AnUnreadableDetailIsKeptAsItWas) {
  collector::KeptDiagnosisRecord r = KeptToRecord(Kept(DiagnosisState::kActive));
  r.detail_json = "{\"alert\": 3";
  auto k = KeptFromRecord(r);
  ASSERT_TRUE(k.ok());
  ASSERT_TRUE(k->unreadable_detail.has_value());
  EXPECT_EQ(KeptToRecord(*k).detail_json, r.detail_json);
}

}  // namespace
}  // namespace kerbside::diagnoses
