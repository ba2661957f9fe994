// What exsim writes must read back through kerbside's own parsers exactly as the real tools'
// output does: the lab is only a proof if the agent judges these files like Exchange's.
#include "tests/lab/exsim/exchange_files.h"

#include "common/events/event_xml.h"
#include "common/exchange/get_queue.h"
#include "gtest/gtest.h"

namespace kerbside::lab {
namespace {

const absl::Time kAt =
    absl::FromCivil(absl::CivilSecond(2026, 11, 27, 19, 58, 1), absl::UTCTimeZone());

TEST(ExsimFilesTest, StuckAndDrainedQueuesParseAsGetQueue) {
  QueueState stuck;
  stuck.identity = "EX01\\10";
  stuck.next_hop_domain = "ex02.lab.test";
  stuck.retry = true;
  stuck.message_count = 4;
  stuck.last_error =
      "451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary "
      "authentication failure.\"";
  stuck.peer_ip = "10.254.20.14";
  stuck.last_retry = kAt;
  QueueState drained;
  drained.identity = "EX01\\11";
  drained.next_hop_domain = "ex03.lab.test";
  drained.peer_ip = "10.254.20.15";
  drained.last_retry = kAt;
  QueueState refused = stuck;
  refused.identity = "EX01\\12";
  refused.last_error =
      "451 4.4.0 Primary target IP address responded with: \"451 5.7.3 "
      "Cannot achieve Exchange Server authentication.\"";

  EXPECT_EQ(LastErrorText(stuck).substr(0, 33), "[{LRT=11/27/2026 7:58:01 PM};{LED");
  auto parsed = exchange::ParseGetQueueJson(GetQueueJson({stuck, drained, refused}), "q.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->queues_size(), 3);
  const v1::Queue& q = parsed->queues(0);
  EXPECT_EQ(q.identity(), "EX01\\10");
  EXPECT_EQ(q.status(), "Retry");
  EXPECT_EQ(q.message_count(), 4);
  EXPECT_EQ(q.delivery_type(), "SmtpRelayToServers");
  EXPECT_EQ(q.last_retry_time(), "2026-11-27T19:58:01Z");
  EXPECT_EQ(q.last_error().failure_class(), v1::LastError::AUTH_TEMPORARY);
  EXPECT_EQ(q.last_error().inner().code(), 454);
  EXPECT_EQ(q.last_error().target_fqdn(), "ex02.lab.test");
  EXPECT_EQ(q.last_error().target_ip(), "10.254.20.14");
  EXPECT_EQ(q.last_error().last_endpoint(), "10.254.20.14:25");
  EXPECT_EQ(parsed->queues(1).status(), "Ready");
  EXPECT_FALSE(parsed->queues(1).has_last_error());
  EXPECT_EQ(parsed->queues(2).last_error().failure_class(),
            v1::LastError::EXCHANGE_AUTH_NOT_OFFERED);
}

TEST(ExsimFilesTest, Event1035ParsesWithItsFacts) {
  TransportEvent e;
  e.event_id = 1035;
  e.record_id = 7;
  e.time = kAt;
  e.computer = "ex02.lab.test";
  e.data = {"UnexpectedExchangeAuthBlobCheckForClockSkew", "Default EX02 <&>", "ExchangeAuth",
            "10.254.20.13"};
  auto batch = events::ParseEventsXml(EventsXml({e, e}), "events-transport.xml");
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->events_size(), 2);
  const v1::EventRecord& r = batch->events(0);
  EXPECT_EQ(r.event_id(), 1035u);
  EXPECT_EQ(r.record_id(), 7u);
  EXPECT_EQ(r.provider(), "MSExchangeTransport");
  EXPECT_EQ(r.time_created().seconds(), absl::ToUnixSeconds(kAt));
  EXPECT_EQ(r.facts().at("source_ip"), "10.254.20.13");
  EXPECT_EQ(r.facts().at("connector"), "Default EX02 <&>");
  EXPECT_EQ(r.facts().at("error"), "UnexpectedExchangeAuthBlobCheckForClockSkew");
  EXPECT_EQ(EventsXml({}), "");
}

}  // namespace
}  // namespace kerbside::lab
