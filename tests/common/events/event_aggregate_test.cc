#include "common/events/event_aggregate.h"

#include "absl/strings/str_cat.h"
#include "common/proto_time.h"
#include "gtest/gtest.h"

namespace kerbside::events {
namespace {

v1::EventRecord Ev1035(int second, const std::string& ip, uint64_t record) {
  v1::EventRecord r;
  r.set_provider("MSExchangeTransport");
  r.set_event_id(1035);
  r.set_channel("Application");
  r.set_record_id(record);
  *r.mutable_time_created() =
      ToProto(absl::FromUnixSeconds(1800000000) + absl::Seconds(second));
  (*r.mutable_facts())["connector"] = "Default EX02";
  (*r.mutable_facts())["source_ip"] = ip;
  auto* f = r.add_fields();
  f->set_value("Default EX02");
  f = r.add_fields();
  f->set_value(ip);
  f = r.add_fields();
  f->set_name("Session");
  f->set_value(absl::StrCat("08DC", record));
  return r;
}

TEST(EventAggregateTest, OneAggregatePerKeyWithCountAndTimes) {
  v1::EventBatch b;
  for (int i = 0; i < 1000; ++i) *b.add_events() = Ev1035(1000 - i, "10.1.1.11", i);
  *b.add_events() = Ev1035(5, "10.1.1.13", 5000);
  const auto got = AggregateEvents(b);
  ASSERT_EQ(got.size(), 2u);
  const v1::EventAggregate& a = got[0];
  EXPECT_EQ(a.provider(), "MSExchangeTransport");
  EXPECT_EQ(a.event_id(), 1035u);
  EXPECT_EQ(a.count(), 1000);
  EXPECT_EQ(FromProto(a.first_seen()), absl::FromUnixSeconds(1800000001));  // not file order
  EXPECT_EQ(FromProto(a.last_seen()), absl::FromUnixSeconds(1800001000));
  EXPECT_EQ(a.key_facts().at("source_ip"), "10.1.1.11");
  ASSERT_EQ(a.examples_size(), 2);
  EXPECT_EQ(a.examples(0).record_id(), 999u);  // the first occurrence
  EXPECT_EQ(a.examples(1).record_id(), 0u);    // the last one
  EXPECT_EQ(got[1].count(), 1);
  EXPECT_EQ(got[1].examples_size(), 1);
}

TEST(EventAggregateTest, DistinctValuesAreBounded) {
  v1::EventBatch b;
  for (int i = 0; i < 40; ++i) *b.add_events() = Ev1035(i, "10.1.1.11", i % 20);
  const auto got = AggregateEvents(b, {.max_examples = 1, .max_distinct_values = 16});
  ASSERT_EQ(got.size(), 1u);
  const v1::EventAggregate& a = got[0];
  EXPECT_EQ(a.examples_size(), 1);
  ASSERT_EQ(a.distinct_values_size(), 3);
  EXPECT_EQ(a.distinct_values(0).field(), "#0");
  EXPECT_EQ(a.distinct_values(0).values_size(), 1);
  EXPECT_FALSE(a.distinct_values(0).truncated());
  EXPECT_EQ(a.distinct_values(2).field(), "Session");
  EXPECT_EQ(a.distinct_values(2).values_size(), 16);  // 20 distinct sessions, 16 kept
  EXPECT_TRUE(a.distinct_values(2).truncated());
}

TEST(EventAggregateTest, ExamplesOfGivesRecordsBack) {
  v1::EventBatch b;
  *b.add_events() = Ev1035(1, "10.1.1.11", 1);
  *b.add_events() = Ev1035(2, "10.1.1.11", 2);
  const auto got = AggregateEvents(b);
  const v1::EventBatch back = ExamplesOf(got[0]);
  ASSERT_EQ(back.events_size(), 2);
  EXPECT_EQ(back.events(0).facts().at("connector"), "Default EX02");
}

TEST(EventAggregateTest, EmptyBatch) { EXPECT_TRUE(AggregateEvents(v1::EventBatch()).empty()); }

}  // namespace
}  // namespace kerbside::events
