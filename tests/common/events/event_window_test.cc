// The window's count across reads of an exported log: the same export again, grown, rotated,
// slid forward, an old copy back.
#include "common/events/event_window.h"

#include "common/proto_time.h"
#include "gtest/gtest.h"

namespace kerbside::events {
namespace {

// A read of an export holding one 1035 per second for seconds [from, to], record ids = seconds.
v1::EventAggregate Read(int from, int to) {
  v1::EventBatch b;
  for (int i = from; i <= to; ++i) {
    v1::EventRecord* r = b.add_events();
    r->set_provider("MSExchangeFrontEndTransport");
    r->set_event_id(1035);
    r->set_channel("Application");
    r->set_record_id(static_cast<uint64_t>(i));
    *r->mutable_time_created() = ToProto(absl::FromUnixSeconds(1800000000 + i));
    (*r->mutable_facts())["source_ip"] = "10.1.1.11";
  }
  return AggregateEvents(b)[0];
}

WindowEntry Reads(std::initializer_list<std::pair<int, int>> reads) {
  auto it = reads.begin();
  WindowEntry e = StartWindow(Read(it->first, it->second));
  for (++it; it != reads.end(); ++it) e = AdvanceWindow(e, Read(it->first, it->second));
  return e;
}

TEST(EventWindowTest, TheSameExportReadAgainCountsOnce) {
  const WindowEntry e = Reads({{1, 100}, {1, 100}, {1, 100}});
  EXPECT_EQ(e.total.count(), 100);
  EXPECT_FALSE(e.total.count_is_lower_bound());
}

TEST(EventWindowTest, AGrowingExportReplacesItsEarlierRead) {
  const WindowEntry e = Reads({{1, 100}, {1, 150}, {1, 151}});
  EXPECT_EQ(e.total.count(), 151);
  EXPECT_EQ(e.carried, 0);
  EXPECT_FALSE(e.total.count_is_lower_bound());
}

TEST(EventWindowTest, ARotatedExportThatGrowsIsCountedInFull) {
  // The review's case: [1,100] then a rotated [200,249], then that one grown to [200,300].
  const WindowEntry e = Reads({{1, 100}, {200, 249}, {200, 300}});
  EXPECT_EQ(e.total.count(), 201);
  EXPECT_EQ(e.carried, 100);
  EXPECT_FALSE(e.total.count_is_lower_bound());
  EXPECT_EQ(FromProto(e.total.first_seen()), absl::FromUnixSeconds(1800000001));
  EXPECT_EQ(FromProto(e.total.last_seen()), absl::FromUnixSeconds(1800000300));
  EXPECT_EQ(e.total.first_record_id(), 1u);
  EXPECT_EQ(e.total.last_record_id(), 300u);
}

TEST(EventWindowTest, AnExportWhoseStartMovedCarriesWhatLeftIt) {
  // "The last N events" with nothing new: the oldest fall out, exactly counted.
  const WindowEntry e = Reads({{1, 100}, {31, 100}});
  EXPECT_EQ(e.total.count(), 100);
  EXPECT_EQ(e.carried, 30);
  EXPECT_FALSE(e.total.count_is_lower_bound());
}

TEST(EventWindowTest, ASlidingExportIsALowerBound) {
  // [1,100] then [51,130]: 130 occurrences; which of the first read's left is not known.
  const WindowEntry e = Reads({{1, 100}, {51, 130}});
  EXPECT_EQ(e.total.count(), 100);
  EXPECT_TRUE(e.total.count_is_lower_bound());
  // Growth after the slide still counts.
  EXPECT_EQ(AdvanceWindow(e, Read(51, 140)).total.count(), 110);
}

TEST(EventWindowTest, AnOldCopyComingBackIsNotCountedAgain) {
  const WindowEntry e = Reads({{1, 100}, {200, 249}, {1, 100}});
  EXPECT_EQ(e.total.count(), 150);
  EXPECT_TRUE(e.total.count_is_lower_bound());
  // The newer read stays the reference: it growing still counts.
  EXPECT_EQ(AdvanceWindow(e, Read(200, 260)).total.count(), 161);
}

TEST(EventWindowTest, AFileMissingForOneReadIsNotCountedTwice) {
  // A log and its rotated copy read together (ids 1-7); one read misses the copy (locked, half
  // written: ids 6-7 only); the next sees both again. 7 occurrences, not 12.
  const WindowEntry e = Reads({{1, 7}, {6, 7}, {1, 7}});
  EXPECT_EQ(e.total.count(), 7);
  EXPECT_EQ(e.carried, 0);
  EXPECT_FALSE(e.total.count_is_lower_bound());
}

TEST(EventWindowTest, AReadMissingTheNewestIsPartialAndIgnored) {
  // A log loses its oldest events, never its newest: ids 1-60 after 1-100 is a partial read.
  const WindowEntry e = Reads({{1, 100}, {1, 60}});
  EXPECT_EQ(e.total.count(), 100);
  EXPECT_FALSE(e.total.count_is_lower_bound());
  // The next complete read carries on from the last complete one.
  EXPECT_EQ(AdvanceWindow(e, Read(1, 120)).total.count(), 120);
}

TEST(EventWindowTest, CarriedOccurrencesPartlyShownAgainAreDroppedNotDoubled) {
  // [1,100], then rotated [200,249] (100 carried, span 1-100), then a read [50,260] that shows
  // part of the carried span again: how much is unknown, so none is carried, a lower bound.
  const WindowEntry e = Reads({{1, 100}, {200, 249}, {50, 260}});
  EXPECT_EQ(e.total.count(), 211);
  EXPECT_TRUE(e.total.count_is_lower_bound());
}

TEST(EventWindowTest, CarriedOccurrencesOlderThanTheWindowAreForgotten) {
  WindowEntry e = Reads({{1, 100}, {200, 249}});
  ASSERT_EQ(e.total.count(), 150);
  // The cutoff is after the carried span (seconds 1-100) and before the latest read.
  ForgetCarriedBefore(e, absl::FromUnixSeconds(1800000150));
  EXPECT_EQ(e.total.count(), 50);
  EXPECT_EQ(FromProto(e.total.first_seen()), absl::FromUnixSeconds(1800000200));
  EXPECT_EQ(e.total.first_record_id(), 200u);
  // A cutoff inside the span keeps it.
  WindowEntry kept = Reads({{1, 100}, {200, 249}});
  ForgetCarriedBefore(kept, absl::FromUnixSeconds(1800000050));
  EXPECT_EQ(kept.total.count(), 150);
}

// The window's ageing (issue 13: moved out of the store). Seconds from 1800000000.
absl::Time At(int s) { return absl::FromUnixSeconds(1800000000 + s); }

TEST(EventWindowCutTest, LastSeenMovesToTheCollectorsClockAndNeverAfterArrival) {
  // A host 420 s ahead stamped its last occurrence at 1000 (host clock): 580 on the collector's.
  EXPECT_EQ(LastSeenOnCollectorClock(At(1000), At(2000), absl::Seconds(420)), At(580));
  // A clock ahead and not measured: stamped after its arrival, it counts as received.
  EXPECT_EQ(LastSeenOnCollectorClock(At(5000), At(2000), absl::ZeroDuration()), At(2000));
  // No time of its own (the epoch): when it was received.
  EXPECT_EQ(LastSeenOnCollectorClock(absl::UnixEpoch(), At(2000), absl::Seconds(420)), At(2000));
}

TEST(EventWindowCutTest, CarriedOccurrencesOlderThanTheWindowLeaveAndTheKeyStaysWhileSeen) {
  // Seconds 0..99 carried by a rotation, 100..149 in view.
  WindowEntry e = Reads({{0, 99}, {100, 149}});
  ASSERT_EQ(e.total.count(), 150);
  // The window starts at 120 on the collector's clock; the host is 10 s ahead, so the cut-off
  // on the host's clock is 130: the carried 0..99 go, the 50 in view stay.
  CutResult cut = CutToWindow(e, At(200), {.since = At(120), .host_offset = absl::Seconds(10)});
  EXPECT_TRUE(cut.keep);
  EXPECT_EQ(cut.last_seen_collector, At(139));
  EXPECT_EQ(e.carried, 0);
  EXPECT_EQ(e.total.count(), 50);
  // Last seen at 139 (collector clock): a window starting at 140 no longer keeps the key.
  WindowEntry late = Reads({{100, 149}});
  EXPECT_FALSE(
      CutToWindow(late, At(200), {.since = At(140), .host_offset = absl::Seconds(10)}).keep);
}

// An export of the Application log as a source sends it: records for seconds [from, to] from
// `ip`, record ids = seconds, read from `origin`.
v1::Evidence ExportItem(const std::string& origin, const std::string& ip, int from, int to) {
  v1::Evidence e;
  e.set_origin(origin);
  for (int i = from; i <= to; ++i) {
    v1::EventRecord* r = e.mutable_events()->add_events();
    r->set_provider("MSExchangeFrontEndTransport");
    r->set_event_id(1035);
    r->set_channel("Application");
    r->set_record_id(static_cast<uint64_t>(i));
    *r->mutable_time_created() = ToProto(absl::FromUnixSeconds(1800000000 + i));
    (*r->mutable_facts())["source_ip"] = ip;
  }
  return e;
}

TEST(CombineBatchReadsTest, ALogAndItsRotatedCopyAreOneReadPerKey) {
  v1::Evidence queues;
  queues.mutable_queues()->add_queues()->set_identity("EX02\\1");
  // The rotated copy (records 1-40 of .11) and the live log (41-50 of .11, 45-47 of .13), and
  // the live log's first 10 records again as a pre-aggregated item from a second file.
  v1::Evidence again = ExportItem("live-copy.xml", "10.1.1.11", 41, 50);
  v1::Evidence aggregated;
  aggregated.set_origin("live-copy.xml");
  *aggregated.mutable_event_aggregate() = AggregateEvents(again.events())[0];
  const std::vector<v1::Evidence> reads =
      CombineBatchReads({queues, ExportItem("rotated.xml", "10.1.1.11", 1, 40),
                         ExportItem("live.xml", "10.1.1.11", 41, 50),
                         ExportItem("live.xml", "10.1.1.13", 45, 47), aggregated});
  ASSERT_EQ(reads.size(), 2u);  // the queues are not an event read
  const v1::EventAggregate& a11 = reads[0].event_aggregate();
  EXPECT_EQ(a11.key_facts().at("source_ip"), "10.1.1.11");
  EXPECT_EQ(a11.count(), 50);  // disjoint files add up; the copy of 41-50 does not count twice
  EXPECT_FALSE(a11.count_is_lower_bound());
  EXPECT_EQ(a11.first_record_id(), 1u);
  EXPECT_EQ(a11.last_record_id(), 50u);
  EXPECT_EQ(reads[0].origin(), "live.xml");  // the newest read names the origin
  EXPECT_EQ(reads[1].event_aggregate().key_facts().at("source_ip"), "10.1.1.13");
  EXPECT_EQ(reads[1].event_aggregate().count(), 3);
}

TEST(CombineBatchReadsTest, NoEventsNoReads) {
  v1::Evidence queues;
  queues.mutable_queues()->add_queues()->set_identity("EX02\\1");
  EXPECT_TRUE(CombineBatchReads({queues}).empty());
  EXPECT_TRUE(CombineBatchReads({}).empty());
}

}  // namespace
}  // namespace kerbside::events
