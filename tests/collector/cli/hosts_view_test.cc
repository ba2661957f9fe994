#include "collector/cli/hosts_view.h"

#include "common/duration_format.h"
#include "common/proto_time.h"
#include "gtest/gtest.h"

namespace kerbside::cli {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

v1::ListHostsResponse Sample() {
  v1::ListHostsResponse r;
  *r.mutable_collector_time() = ToProto(kNow);
  r.set_reference_host("DC01");
  r.set_reference_reason("PDC emulator");
  v1::HostStatus* dc = r.add_hosts();
  dc->mutable_identity()->set_netbios_name("DC01");
  dc->mutable_identity()->set_fqdn("dc01.contoso.com");
  dc->mutable_identity()->set_role(v1::ROLE_DC);
  dc->mutable_identity()->set_pdc_emulator(true);
  dc->set_connected(true);
  v1::HostStatus* ex = r.add_hosts();
  ex->mutable_identity()->set_netbios_name("EX02");
  ex->mutable_identity()->set_fqdn("ex02.contoso.com");
  ex->mutable_identity()->set_role(v1::ROLE_EXCHANGE);
  ex->mutable_identity()->set_site("HQ");
  ex->set_connected(false);
  *ex->mutable_last_seen() = ToProto(kNow - absl::Minutes(3));
  v1::ClockEstimate* c = ex->mutable_clock_vs_collector();
  *c->mutable_offset() = ToProto(absl::Seconds(432) + absl::Milliseconds(12));
  *c->mutable_uncertainty() = ToProto(absl::Microseconds(250));
  *c->mutable_delay() = ToProto(absl::Microseconds(500));
  *c->mutable_measured_at() = ToProto(kNow - absl::Minutes(4));
  c->set_window_samples(8);
  v1::ClockEstimate* rel = ex->mutable_clock_vs_reference();
  *rel->mutable_offset() = ToProto(absl::Seconds(432));
  *rel->mutable_uncertainty() = ToProto(absl::Milliseconds(1));
  ex->set_spooled_batches(3);
  return r;
}

TEST(FormatSignedDurationTest, SignsAndUnits) {
  using kerbside::FormatSignedDuration;
  EXPECT_EQ(FormatSignedDuration(absl::Seconds(432) + absl::Milliseconds(12)), "+7m12.012s");
  EXPECT_EQ(FormatSignedDuration(-absl::Milliseconds(4)), "-0.004s");
  EXPECT_EQ(FormatSignedDuration(absl::Hours(2) + absl::Seconds(4.5)), "+2h00m04.500s");
  EXPECT_EQ(FormatSignedDuration(absl::ZeroDuration()), "+0.000s");
  EXPECT_EQ(kerbside::FormatShortDuration(absl::Seconds(432)), "7m12s");
  EXPECT_EQ(kerbside::FormatShortDuration(absl::Minutes(5)), "5m");
  EXPECT_EQ(kerbside::FormatShortDuration(-absl::Seconds(4.25)), "4.2s");
}

TEST(HostsToTableTest, ShowsStateOffsetAndReference) {
  const std::string table = HostsToTable(Sample());
  EXPECT_NE(table.find("VS DC01 (PDC emulator)"), std::string::npos) << table;
  EXPECT_NE(table.find("dc (PDC)"), std::string::npos);
  EXPECT_NE(table.find("last seen 3m ago"), std::string::npos);
  EXPECT_NE(table.find("+7m12.012s ±0.25ms"), std::string::npos) << table;
  EXPECT_NE(table.find("+7m12.000s ±1.00ms"), std::string::npos) << table;
  EXPECT_NE(table.find("not measured"), std::string::npos);  // DC01 has no estimate
}

TEST(HostsToJsonTest, StableKeysAndSecondsAsNumbers) {
  nlohmann::ordered_json j = HostsToJson(Sample());
  EXPECT_EQ(j["reference_host"], "DC01");
  ASSERT_EQ(j["hosts"].size(), 2u);
  EXPECT_TRUE(j["hosts"][0]["clock_vs_collector"].is_null());
  const auto& ex = j["hosts"][1];
  EXPECT_EQ(ex["name"], "EX02");
  EXPECT_EQ(ex["role"], "exchange");
  EXPECT_FALSE(ex["connected"].get<bool>());
  EXPECT_DOUBLE_EQ(ex["clock_vs_collector"]["offset_seconds"].get<double>(), 432.012);
  EXPECT_DOUBLE_EQ(ex["clock_vs_reference"]["offset_seconds"].get<double>(), 432.0);
  EXPECT_EQ(ex["last_seen"], "2027-01-15T07:57:00.000Z");
  // Key order is part of the contract for scripts that diff outputs.
  std::vector<std::string> keys;
  for (auto it = ex.begin(); it != ex.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys.front(), "name");
  EXPECT_EQ(keys.back(), "spooled_batches");  // new keys go last
  EXPECT_EQ(ex["spooled_batches"], 3);
  EXPECT_TRUE(j["hosts"][0]["spooled_batches"].is_null());  // no heartbeat yet
}

}  // namespace
}  // namespace kerbside::cli
