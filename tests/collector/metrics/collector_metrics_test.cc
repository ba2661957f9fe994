// The ingest families of /metrics, from the events the agent service tells its observers. A
// real (empty) SQLite store behind the rest of the page.
#include "collector/metrics/collector_metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/collector/store/temp_store.h"

namespace kerbside::metrics {
namespace {

using ::testing::HasSubstr;
using Kind = collector::IngestEvent::Kind;

TEST(CollectorMetricsTest, CountsBatchesClockSamplesAndInventoryTraffic) {
  testing_util::TempStore store;
  ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  IngestCounters ingest;
  ingest.Record({Kind::kConnected, "EX01", "", 0});
  ingest.Record({Kind::kBatchStored, "EX01", "queues", 3});
  ingest.Record({Kind::kBatchStored, "EX01", "spn", 2});
  ingest.Record({Kind::kBatchFailed, "EX01", "queues", 3});
  ingest.Record({Kind::kClockSample, "EX01", "", 0});
  ingest.Record({Kind::kInventorySent, "EX01", "full", 2000, 180'000});
  ingest.Record({Kind::kInventorySent, "EX01", "delta", 1, 95});
  ingest.Record({Kind::kInventorySent, "EX02", "delta", 2, 190});

  const std::string page =
      RenderCollectorMetrics({.list_hosts = [] { return v1::ListHostsResponse(); },
                              .evidence = store.get(),
                              .outbox = nullptr,
                              .clock = &clock,
                              .keeper = nullptr,
                              .dispatcher = nullptr,
                              .ingest = &ingest});
  EXPECT_THAT(page, HasSubstr("\nkerbside_agent_connections_total 1\n"));
  EXPECT_THAT(page, HasSubstr("\nkerbside_ingest_batches_total{result=\"stored\"} 2\n"));
  EXPECT_THAT(page, HasSubstr("\nkerbside_ingest_batches_total{result=\"failed\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("\nkerbside_ingest_evidence_items_total 5\n"));
  EXPECT_THAT(page, HasSubstr("\nkerbside_ingest_clock_samples_total 1\n"));
  EXPECT_THAT(page, HasSubstr("\nkerbside_inventory_sent_total{kind=\"full\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("\nkerbside_inventory_sent_total{kind=\"delta\"} 2\n"));
  EXPECT_THAT(page, HasSubstr("\nkerbside_inventory_hosts_sent_total 2003\n"));
  EXPECT_THAT(page, HasSubstr("\nkerbside_inventory_bytes_sent_total 180285\n"));
}

}  // namespace
}  // namespace kerbside::metrics
