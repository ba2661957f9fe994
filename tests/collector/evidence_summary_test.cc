// What `kerbside evidence HOST` says about each kind of evidence.
#include "collector/evidence_summary.h"

#include "common/proto_time.h"
#include "gtest/gtest.h"

namespace kerbside::collector {
namespace {

TEST(SummarizeEvidenceTest, QueuesCountTheStuckOnes) {
  v1::Evidence e;
  e.set_source("host_folder");
  e.set_origin("get-queue.json");
  v1::Queue* stuck = e.mutable_queues()->add_queues();
  stuck->set_status("Retry");
  stuck->set_message_count(3);
  stuck->mutable_last_error()->set_failure_class(v1::LastError::AUTH_TEMPORARY);
  e.mutable_queues()->add_queues()->set_status("Ready");
  *e.mutable_observed_host_time() = ToProto(absl::FromUnixSeconds(1'800'000'000));
  const v1::EvidenceSummary s = SummarizeEvidence(e);
  EXPECT_EQ(s.kind(), "queues");
  EXPECT_EQ(s.origin(), "get-queue.json");
  EXPECT_EQ(s.summary(), "2 queues, 1 stuck");
  EXPECT_TRUE(s.has_observed_at());
  EXPECT_FALSE(s.has_received_at());
}

TEST(SummarizeEvidenceTest, AnUnsynchronisedTimeServiceIsSaid) {
  v1::Evidence e;
  e.mutable_w32tm_status()->set_source("Local CMOS Clock");
  e.mutable_w32tm_status()->set_unsynchronized(true);
  EXPECT_EQ(SummarizeEvidence(e).summary(), "source Local CMOS Clock (NOT synchronised)");
}

TEST(SummarizeEvidenceTest, AnEventAggregateCarriesItsCountsAndSpan) {
  v1::Evidence e;
  v1::EventAggregate* a = e.mutable_event_aggregate();
  a->set_provider("MSExchangeFrontEndTransport");
  a->set_event_id(1035);
  a->set_count(12);
  a->set_count_is_lower_bound(true);
  *a->mutable_first_seen() = ToProto(absl::FromUnixSeconds(1'800'000'000));
  *a->mutable_last_seen() = ToProto(absl::FromUnixSeconds(1'800'000'600));
  const v1::EvidenceSummary s = SummarizeEvidence(e);
  EXPECT_EQ(s.kind(), "event_aggregate");
  EXPECT_EQ(s.event_id(), 1035u);
  EXPECT_EQ(s.count(), 12);
  EXPECT_TRUE(s.count_is_lower_bound());
  EXPECT_EQ(
      s.summary(),
      "MSExchangeFrontEndTransport 1035: at least 12 occurrence(s), 2027-01-15T08:00:00.000Z .. "
      "2027-01-15T08:10:00.000Z (host clock)");
}

}  // namespace
}  // namespace kerbside::collector
