// kerbside's own bundle files (docs/bundle-extensions.md), read from samples as the collector's
// export writes them.
#include <fstream>
#include <sstream>

#include "common/bundle/accounts_json.h"
#include "common/bundle/event_aggregates_json.h"
#include "common/proto_time.h"
#include "gtest/gtest.h"

namespace kerbside::bundle {
namespace {

std::string Sample(const std::string& name) {
  std::ifstream in(std::string(KERBSIDE_TEST_DATA) + "/kerbside/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(KerbsideFilesTest, ComputerAccountsKeepKvnoUsnAndWhenChanged) {
  auto got = ParseComputerAccountsJson(Sample("computer-accounts.json"), "computer-accounts.json");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->accounts_size(), 2);
  const v1::ComputerAccount& ex01 = got->accounts(0);
  EXPECT_EQ(ex01.sam_account_name(), "EX01$");
  EXPECT_EQ(ex01.key_version_number(), 3);
  EXPECT_EQ(ex01.usn_changed(), 12873);
  EXPECT_EQ(FormatRfc3339(FromProto(ex01.when_changed())), "2026-11-26T09:12:44.000Z");
  EXPECT_EQ(ex01.read_from_dc(), "dc01.contoso.com");
  EXPECT_EQ(ex01.spns_size(), 4);
  EXPECT_FALSE(got->accounts(1).has_when_changed());  // null: not read
  // Written back, it reads the same.
  auto again = ParseComputerAccountsJson(ComputerAccountsToJson(*got).dump(), "again");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->SerializeAsString(), got->SerializeAsString());
}

TEST(KerbsideFilesTest, EventAggregatesKeepCountSpanAndFacts) {
  auto got = ParseEventAggregatesJson(Sample("event-aggregates-frontend.json"),
                                      "event-aggregates-frontend.json");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 1u);
  const v1::EventAggregate& a = got->front();
  EXPECT_EQ(a.provider(), "MSExchangeFrontEndTransport");
  EXPECT_EQ(a.event_id(), 1035u);
  EXPECT_EQ(a.count(), 3412);
  EXPECT_FALSE(a.count_is_lower_bound());
  EXPECT_EQ(FormatRfc3339(FromProto(a.first_seen())), "2026-11-26T08:00:03.000Z");
  EXPECT_EQ(FormatRfc3339(FromProto(a.last_seen())), "2026-11-26T09:59:58.000Z");
  EXPECT_EQ(a.key_facts().at("source_ip"), "10.1.1.11");
  EXPECT_EQ(a.key_facts().at("connector"), "Default Frontend EX02");
  ASSERT_EQ(a.examples_size(), 2);
  EXPECT_EQ(a.examples(1).record_id(), 51622u);
  EXPECT_EQ(a.first_record_id(), 48211u);
  EXPECT_EQ(a.last_record_id(), 51622u);
  ASSERT_EQ(a.distinct_values_size(), 4);
  EXPECT_EQ(a.distinct_values(3).values(0), "10.1.1.11");
  auto again = ParseEventAggregatesJson(EventAggregatesToJson(*got).dump(), "again");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->front().count(), 3412);
  EXPECT_EQ(again->front().key_facts().at("source_ip"), "10.1.1.11");
}

}  // namespace
}  // namespace kerbside::bundle
