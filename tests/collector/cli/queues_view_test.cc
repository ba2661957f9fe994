// `kerbside queues` and `kerbside evidence HOST`, made from the typed answers: the JSON keys
// scripts rely on, null for what is unknown, and the tables.
#include "collector/cli/queues_view.h"

#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kerbside::cli {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

v1::ListQueuesResponse Queues() {
  v1::ListQueuesResponse r;
  *r.mutable_collector_time() = ToProto(kNow);
  v1::QueueStatus* stuck = r.add_queues();
  stuck->set_host("EX01");
  stuck->set_identity("EX01\\7");
  stuck->set_status("Retry");
  stuck->set_message_count(37);
  stuck->set_next_hop_domain("ex02.contoso.com");
  stuck->set_stuck(true);
  stuck->set_last_error("451 4.4.0 454 4.7.0 Temporary authentication failure");
  stuck->set_failure_class("auth_temporary");
  *stuck->mutable_observed_age() = ToProto(absl::Seconds(42));
  v1::QueueStatus* fine = r.add_queues();
  fine->set_host("EX01");
  fine->set_identity("EX01\\8");
  fine->set_status("Ready");
  fine->set_last_error("an old error");
  return r;
}

TEST(QueuesViewTest, JsonKeepsItsKeysAndSaysUnknownAsNull) {
  const nlohmann::ordered_json j = QueuesToJson(Queues());
  EXPECT_EQ(j["collector_time"], "2027-01-15T08:00:00.000Z");
  ASSERT_EQ(j["queues"].size(), 2u);
  EXPECT_EQ(j["queues"][0]["identity"], "EX01\\7");
  EXPECT_EQ(j["queues"][0]["message_count"], 37);
  EXPECT_EQ(j["queues"][0]["stuck"], true);
  EXPECT_EQ(j["queues"][0]["observed_age_seconds"], 42);
  EXPECT_TRUE(j["queues"][1]["observed_age_seconds"].is_null());
}

TEST(QueuesViewTest, TheTableShowsOnlyStuckQueuesErrors) {
  const std::string t = QueuesToTable(Queues());
  EXPECT_THAT(t, HasSubstr("Temporary authentication failure"));
  EXPECT_THAT(t, ::testing::Not(HasSubstr("an old error")));
  EXPECT_THAT(QueuesToTable({}), HasSubstr("(no agent has reported queues)"));
}

TEST(EvidenceViewTest, AgesAreOnTheCollectorsClock) {
  v1::GetEvidenceResponse r;
  r.set_host("EX02");
  *r.mutable_collector_time() = ToProto(kNow);
  v1::SourceStatus* s = r.add_sources();
  s->set_source("host_folder");
  s->set_health("degraded");
  s->set_reason("the collector refused 1 item(s)");
  *s->mutable_received_at() = ToProto(kNow - absl::Seconds(30));
  v1::EvidenceSummary* e = r.add_evidence();
  e->set_kind("event_aggregate");
  e->set_origin("events-frontend.xml");
  e->set_summary("MSExchangeFrontEndTransport 1035: 12 occurrence(s)");
  e->set_provider("MSExchangeFrontEndTransport");
  e->set_event_id(1035);
  e->set_count(12);
  *e->mutable_first_seen() = ToProto(kNow - absl::Hours(1));
  *e->mutable_last_seen() = ToProto(kNow - absl::Minutes(1));
  *e->mutable_observed_at() = ToProto(kNow - absl::Minutes(2));
  v1::EvidenceSummary* unknown = r.add_evidence();
  unknown->set_kind("queues");

  const nlohmann::ordered_json j = EvidenceToJson(r);
  EXPECT_EQ(j["sources"][0]["age_seconds"], 30);
  EXPECT_EQ(j["evidence"][0]["age_seconds"], 120);
  EXPECT_EQ(j["evidence"][0]["count"], 12);
  EXPECT_EQ(j["evidence"][0]["event_id"], 1035);
  EXPECT_TRUE(j["evidence"][1]["observed_at"].is_null());
  EXPECT_TRUE(j["evidence"][1]["age_seconds"].is_null());
  EXPECT_FALSE(j["evidence"][1].contains("count"));

  const std::string t = EvidenceToTable(r);
  EXPECT_THAT(t, HasSubstr("source host_folder  degraded"));
  EXPECT_THAT(t, HasSubstr("(30s ago)"));
  EXPECT_THAT(t, HasSubstr("[age unknown]"));
}

TEST(EvidenceViewTest, NoEvidenceIsNotHealthy) {
  v1::GetEvidenceResponse r;
  r.set_host("EX09");
  EXPECT_THAT(EvidenceToTable(r), HasSubstr("not collected, which is not healthy"));
}

}  // namespace
}  // namespace kerbside::cli
