#include "common/events/event_aggregate.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/events/event_xml.h"
#include "common/proto_time.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/common/events/test_data.h"

namespace kerbside::events {
namespace {

using ::kerbside::events::testing::ReadEventData;

v1::EventRecord Ev1035(int second, const std::string& ip, uint64_t record) {
  v1::EventRecord r;
  r.set_provider("MSExchangeTransport");
  r.set_event_id(1035);
  r.set_channel("Application");
  r.set_record_id(record);
  *r.mutable_time_created() = ToProto(absl::FromUnixSeconds(1800000000) + absl::Seconds(second));
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

// One aggregate of 1035s from 10.1.1.11 at seconds [from, to] of the test epoch, records
// numbered by second, as a source's snapshot of an exported file covering that range.
v1::EventAggregate Snapshot(int from, int to) {
  v1::EventBatch b;
  for (int i = from; i <= to; ++i) *b.add_events() = Ev1035(i, "10.1.1.11", i);
  auto got = AggregateEvents(b);
  EXPECT_EQ(got.size(), 1u);
  return got[0];
}

TEST(EventAggregateTest, KeyIgnoresFactOrderButNotFactValues) {
  v1::EventAggregate a = Snapshot(1, 2), b = a;
  b.mutable_key_facts()->clear();
  (*b.mutable_key_facts())["source_ip"] = "10.1.1.11";
  (*b.mutable_key_facts())["connector"] = "Default EX02";
  EXPECT_EQ(AggregateKey(a), AggregateKey(b));
  (*b.mutable_key_facts())["source_ip"] = "10.1.1.12";
  EXPECT_NE(AggregateKey(a), AggregateKey(b));
  b = a;
  b.set_event_id(1036);
  EXPECT_NE(AggregateKey(a), AggregateKey(b));
}

TEST(EventAggregateTest, RecordIdsSpanTheOccurrences) {
  const v1::EventAggregate a = Snapshot(5, 9);
  EXPECT_EQ(a.first_record_id(), 5u);
  EXPECT_EQ(a.last_record_id(), 9u);
  // One record without an id: the span is unknown, not partly known.
  v1::EventBatch b;
  *b.add_events() = Ev1035(1, "10.1.1.11", 7);
  *b.add_events() = Ev1035(2, "10.1.1.11", 0);
  const auto got = AggregateEvents(b);
  EXPECT_EQ(got[0].first_record_id(), 0u);
  EXPECT_EQ(got[0].last_record_id(), 0u);
}

TEST(EventAggregateTest, RangesCompareByRecordIdsElseByTime) {
  EXPECT_EQ(CompareRanges(Snapshot(1, 100), Snapshot(1, 100)), RangeRelation::kSame);
  EXPECT_EQ(CompareRanges(Snapshot(1, 100), Snapshot(101, 120)), RangeRelation::kAfter);
  EXPECT_EQ(CompareRanges(Snapshot(101, 120), Snapshot(1, 100)), RangeRelation::kBefore);
  EXPECT_EQ(CompareRanges(Snapshot(1, 100), Snapshot(1, 150)), RangeRelation::kBContainsA);
  EXPECT_EQ(CompareRanges(Snapshot(1, 150), Snapshot(20, 150)), RangeRelation::kBTrailsA);
  EXPECT_EQ(CompareRanges(Snapshot(1, 150), Snapshot(20, 60)), RangeRelation::kAContainsB);
  EXPECT_EQ(CompareRanges(Snapshot(1, 100), Snapshot(51, 130)), RangeRelation::kBSlidForward);
  EXPECT_EQ(CompareRanges(Snapshot(51, 130), Snapshot(1, 100)), RangeRelation::kBSlidBack);
  // The host's clock stepped back an hour between two exports: by time the newer export looks
  // older, by record id it is what it is, newer.
  v1::EventAggregate later = Snapshot(101, 120);
  *later.mutable_first_seen() = ToProto(FromProto(later.first_seen()) - absl::Hours(1));
  *later.mutable_last_seen() = ToProto(FromProto(later.last_seen()) - absl::Hours(1));
  EXPECT_EQ(CompareRanges(Snapshot(1, 100), later), RangeRelation::kAfter);
  later.set_first_record_id(0);
  EXPECT_EQ(CompareRanges(Snapshot(1, 100), later), RangeRelation::kBefore);
  // The log was cleared and its record ids started again: ids say "inside", times say "after".
  v1::EventAggregate restarted = Snapshot(20, 30);
  *restarted.mutable_first_seen() = ToProto(FromProto(restarted.first_seen()) + absl::Hours(2));
  *restarted.mutable_last_seen() = ToProto(FromProto(restarted.last_seen()) + absl::Hours(2));
  EXPECT_EQ(CompareRanges(Snapshot(1, 100), restarted), RangeRelation::kAfter);
}

TEST(EventAggregateTest, CombiningALogAndItsRotatedCopyCountsEachOccurrenceOnce) {
  const v1::EventAggregate both = CombineAggregates(Snapshot(1, 100), Snapshot(101, 130));
  EXPECT_EQ(both.count(), 130);
  EXPECT_FALSE(both.count_is_lower_bound());
  EXPECT_EQ(both.first_record_id(), 1u);
  EXPECT_EQ(both.last_record_id(), 130u);
  ASSERT_EQ(both.examples_size(), 2);
  EXPECT_EQ(both.examples(0).record_id(), 1u);
  EXPECT_EQ(both.examples(1).record_id(), 130u);
  // A copy of the same export: once.
  EXPECT_EQ(CombineAggregates(Snapshot(1, 100), Snapshot(1, 100)).count(), 100);
  EXPECT_EQ(CombineAggregates(Snapshot(1, 100), Snapshot(20, 60)).count(), 100);
  // Partly overlapping copies: the larger count, marked a lower bound.
  const v1::EventAggregate partly = CombineAggregates(Snapshot(1, 100), Snapshot(51, 130));
  EXPECT_EQ(partly.count(), 100);
  EXPECT_TRUE(partly.count_is_lower_bound());
}

TEST(EventAggregateTest, UnitingDetailsKeepsDistinctValuesWithinTheBound) {
  const v1::EventAggregate m =
      UniteDetails(Snapshot(1, 10), Snapshot(11, 30), {.max_distinct_values = 16});
  EXPECT_EQ(m.count(), 10);  // counts are the caller's business
  ASSERT_EQ(m.distinct_values_size(), 3);
  EXPECT_EQ(m.distinct_values(2).field(), "Session");
  EXPECT_EQ(m.distinct_values(2).values(0), "08DC1");  // kept's values come first
  EXPECT_EQ(m.distinct_values(2).values_size(), 16);
  EXPECT_TRUE(m.distinct_values(2).truncated());
  EXPECT_EQ(m.distinct_values(1).values_size(), 1);
  EXPECT_FALSE(m.distinct_values(1).truncated());
}

TEST(EventAggregateTest, LongValuesAreCutAtACharacterBoundary) {
  v1::EventRecord r = Ev1035(1, "10.1.1.11", 1);
  // 255 ASCII bytes, then "é" (2 bytes): a cut at 256 bytes would split it.
  r.mutable_fields(0)->set_value(std::string(255, 'a') + "\xC3\xA9" + "tail");
  v1::EventBatch b;
  *b.add_events() = r;
  const auto got = AggregateEvents(b);
  const std::string& kept = got[0].distinct_values(0).values(0);
  EXPECT_EQ(kept, std::string(255, 'a'));
  // So the aggregate still serializes and parses as a proto3 message.
  v1::EventAggregate back;
  EXPECT_TRUE(back.ParseFromString(got[0].SerializeAsString()));
}

// The agent's way: each event's XML read into views and added as it comes, records built only
// for the examples, asked for by tag. The aggregates are those of the records in memory.
TEST(EventAggregateTest, AggregatorOverViewsAsksOnlyForItsExamples) {
  // Samples with an event per line, each line as EvtRender hands an event over, with the
  // 1035s and 4769s repeated so that keys have several occurrences.
  std::vector<std::string> texts;
  for (const char* file :
       {"events-security-wevtutil.xml", "events-exchange.xml", "events-ntds.xml",
        "events-security-wevtutil.xml", "events-exchange.xml", "events-userdata.xml",
        "events-security-wevtutil.xml", "events-exchange.xml"}) {
    std::istringstream lines(ReadEventData(file));
    for (std::string line; std::getline(lines, line);) {
      if (line.find("<Event") != std::string::npos) texts.push_back(line);
    }
  }
  ASSERT_EQ(texts.size(), 24u);

  v1::EventBatch records;
  EventViews views;
  EventAggregator aggregator;
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_TRUE(views.Parse(texts[i], "event log").ok()) << texts[i];
    ASSERT_EQ(views.events().size(), 1u);
    aggregator.Add(views.events()[0], i);
    ToRecord(views.events()[0], records.add_events());
  }
  size_t asked = 0;
  const std::vector<v1::EventAggregate> got = aggregator.Finish([&](uint64_t tag) {
    ++asked;
    EXPECT_LT(tag, texts.size());
    return records.events(static_cast<int>(tag));
  });
  const std::vector<v1::EventAggregate> want = AggregateEvents(records);
  ASSERT_EQ(got.size(), want.size());
  ASSERT_LT(got.size(), texts.size());  // some keys did repeat
  size_t examples = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(got[i], want[i]))
        << i << ": " << got[i].DebugString() << want[i].DebugString();
    examples += static_cast<size_t>(got[i].examples_size());
  }
  EXPECT_EQ(asked, examples);
  EXPECT_LT(asked, texts.size());  // a key seen three times has two examples
  EXPECT_TRUE(aggregator.Finish([](uint64_t) { return v1::EventRecord(); }).empty());
}

// Keys are sets of facts: the order facts were found in does not split a key.
TEST(EventAggregateTest, FactOrderDoesNotSplitAKey) {
  EventView a;
  a.provider = "MSExchangeTransport";
  a.event_id = 1035;
  a.SetFact("connector", "Default EX02");
  a.SetFact("source_ip", "10.1.1.11");
  EventView b = a;
  b.facts.clear();
  b.SetFact("source_ip", "10.1.1.11");
  b.SetFact("connector", "Default EX02");
  EventView c = b;
  c.SetFact("source_ip", "10.1.1.12");  // replaces, does not add
  ASSERT_EQ(c.facts.size(), 2u);
  EventAggregator aggregator;
  aggregator.Add(a, 0);
  aggregator.Add(b, 1);
  aggregator.Add(c, 2);
  const auto got = aggregator.Finish([](uint64_t tag) {
    v1::EventRecord r;
    r.set_record_id(tag);
    return r;
  });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].count(), 2);
  EXPECT_EQ(got[0].key_facts().at("source_ip"), "10.1.1.11");
  EXPECT_EQ(got[1].count(), 1);
  EXPECT_EQ(got[1].key_facts().at("source_ip"), "10.1.1.12");
  ASSERT_EQ(got[1].examples_size(), 1);
  EXPECT_EQ(got[1].examples(0).record_id(), 2u);
}

TEST(EventAggregateTest, EmptyBatch) { EXPECT_TRUE(AggregateEvents(v1::EventBatch()).empty()); }

}  // namespace
}  // namespace kerbside::events
