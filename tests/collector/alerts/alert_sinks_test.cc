#include "collector/alerts/hmac.h"
#include "collector/alerts/sink.h"
#include "collector/alerts/sink_registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace kerbside::alerts {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1795000000);  // 2026-11-18T11:06:40Z

diagnoses::Alert SampleAlert() {
  diagnoses::Alert a;
  a.key = "clock_skew/EX02";
  a.cause = "clock_skew";
  a.blamed_host = "EX02";
  a.site = "HQ";
  a.severity = "critical";
  a.confidence = "confirmed";
  a.summary = "EX01 -> EX02 stuck: clock skew — EX02 is 7m ahead";
  a.fix = "w32tm /resync /rediscover on EX02";
  a.queues = {"EX01\\12 (EX01 -> EX02, 37 messages, Retry)"};
  a.senders = {"EX01"};
  a.targets = {"EX02"};
  a.starts_at = kT0;
  a.changed_at = kT0;
  return a;
}

std::unique_ptr<AlertSink> Make(const std::string& spec) {
  auto sinks = MakeSinks({spec});
  EXPECT_TRUE(sinks.ok()) << sinks.status();
  return std::move((*sinks)[0]);
}

std::string Header(const HttpRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST(HmacTest, Rfc4231Case2) {
  auto mac = HmacSha256Hex("Jefe", "what do ya want for nothing?");
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(*mac, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacTest, Rfc4231Case1) {
  auto mac = HmacSha256Hex(std::string(20, '\x0b'), "Hi There");
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(*mac, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(AlertmanagerSinkTest, TriggerHasLabelsAnnotationsAndFutureEndsAt) {
  auto sink = Make("alertmanager url=http://127.0.0.1:9093/ resend=30s");
  auto r = sink->Build(SampleAlert(), diagnoses::kActionTrigger, kT0 + absl::Seconds(10));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->url, "http://127.0.0.1:9093/api/v2/alerts");
  const auto j = nlohmann::json::parse(r->body);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["labels"], nlohmann::json({{"alertname", "KerbsideStuckQueue"},
                                            {"cause", "clock_skew"},
                                            {"blamed_host", "EX02"},
                                            {"site", "HQ"},
                                            {"severity", "critical"}}));
  EXPECT_EQ(j[0]["annotations"]["summary"], SampleAlert().summary);
  EXPECT_EQ(j[0]["annotations"]["fix"], SampleAlert().fix);
  EXPECT_EQ(j[0]["annotations"]["queues"], SampleAlert().queues[0]);
  EXPECT_EQ(j[0]["startsAt"], "2026-11-18T11:06:40.000Z");
  // Four missed refreshes of 30 s and Alertmanager resolves it by itself.
  EXPECT_EQ(j[0]["endsAt"], "2026-11-18T11:08:50.000Z");
  EXPECT_EQ(sink->refresh_interval(), absl::Seconds(30));
}

TEST(AlertmanagerSinkTest, ResolveEndsAtResolveTimeAndChangedCauseEndsTheOldOne) {
  auto sink = Make("alertmanager url=http://am:9093");
  diagnoses::Alert a = SampleAlert();
  a.ends_at = kT0 + absl::Minutes(5);
  auto r = sink->Build(a, diagnoses::kActionResolve, kT0 + absl::Minutes(6));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(nlohmann::json::parse(r->body)[0]["endsAt"], "2026-11-18T11:11:40.000Z");

  a = SampleAlert();
  a.cause = "spn_missing";
  a.previous_cause = "clock_skew";
  a.former = {{"clock_skew", "EX02", "HQ", "critical"}};
  r = sink->Build(a, diagnoses::kActionTrigger, kT0);
  const auto j = nlohmann::json::parse(r->body);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["labels"]["cause"], "spn_missing");
  EXPECT_EQ(j[1]["labels"]["cause"], "clock_skew");
  EXPECT_EQ(j[1]["endsAt"], "2026-11-18T11:06:40.000Z");

  // A -> B -> C, the blame moving from EX02 to DC02 on the way: every message ends both former
  // label sets as they were (again: ending twice is harmless).
  a = SampleAlert();
  a.cause = "dc_replication";
  a.blamed_host = "DC02";
  a.previous_cause = "spn_missing";
  a.former = {{"clock_skew", "EX02", "HQ", "critical"}, {"spn_missing", "EX02", "HQ", "warning"}};
  for (const char* action : {diagnoses::kActionTrigger, diagnoses::kActionResolve}) {
    r = sink->Build(a, action, kT0);
    ASSERT_TRUE(r.ok());
    const auto k = nlohmann::json::parse(r->body);
    ASSERT_EQ(k.size(), 3u) << action;
    EXPECT_EQ(k[0]["labels"]["cause"], "dc_replication");
    EXPECT_EQ(k[0]["labels"]["blamed_host"], "DC02");
    EXPECT_EQ(k[1]["labels"]["cause"], "clock_skew");
    EXPECT_EQ(k[1]["labels"]["blamed_host"], "EX02");
    EXPECT_EQ(k[2]["labels"]["cause"], "spn_missing");
    EXPECT_EQ(k[2]["labels"]["severity"], "warning");
    EXPECT_EQ(k[1]["endsAt"], "2026-11-18T11:06:40.000Z");
    EXPECT_EQ(k[2]["endsAt"], "2026-11-18T11:06:40.000Z");
  }
  // The same blame moved to another host, same cause: the old label set is ended too.
  a = SampleAlert();
  a.blamed_host = "DC02";
  a.former = {{"clock_skew", "EX02", "HQ", "critical"}};
  r = sink->Build(a, diagnoses::kActionTrigger, kT0);
  const auto moved = nlohmann::json::parse(r->body);
  ASSERT_EQ(moved.size(), 2u);
  EXPECT_EQ(moved[1]["labels"]["blamed_host"], "EX02");
  EXPECT_EQ(moved[1]["endsAt"], "2026-11-18T11:06:40.000Z");
}

TEST(PagerDutySinkTest, TriggerAndResolvePayloads) {
  auto sink = Make("pagerduty url=http://127.0.0.1:1/v2/enqueue routing_key=R0UT1NG");
  auto r = sink->Build(SampleAlert(), diagnoses::kActionTrigger, kT0);
  ASSERT_TRUE(r.ok());
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["routing_key"], "R0UT1NG");
  EXPECT_EQ(j["event_action"], "trigger");
  EXPECT_EQ(j["dedup_key"], "kerbside/clock_skew/EX02");
  EXPECT_EQ(j["payload"]["summary"], SampleAlert().summary);
  EXPECT_EQ(j["payload"]["source"], "EX02");
  EXPECT_EQ(j["payload"]["severity"], "critical");
  EXPECT_EQ(j["payload"]["custom_details"]["fix"], SampleAlert().fix);
  EXPECT_EQ(j["payload"]["custom_details"]["queues"][0], SampleAlert().queues[0]);

  diagnoses::Alert changed = SampleAlert();
  changed.cause = "spn_missing";  // same group, same incident
  j = nlohmann::json::parse(sink->Build(changed, diagnoses::kActionTrigger, kT0)->body);
  EXPECT_EQ(j["dedup_key"], "kerbside/clock_skew/EX02");
  EXPECT_EQ(j["payload"]["class"], "spn_missing");

  j = nlohmann::json::parse(sink->Build(SampleAlert(), diagnoses::kActionResolve, kT0)->body);
  EXPECT_EQ(j["event_action"], "resolve");
  EXPECT_EQ(j["dedup_key"], "kerbside/clock_skew/EX02");
  EXPECT_FALSE(j.contains("payload"));
}

TEST(PagerDutySinkTest, LongSummaryIsCut) {
  auto sink = Make("pagerduty routing_key=k");
  EXPECT_EQ(sink->config().url, "https://events.pagerduty.com/v2/enqueue");
  diagnoses::Alert a = SampleAlert();
  a.summary = std::string(3000, 'x');
  auto j = nlohmann::json::parse(sink->Build(a, diagnoses::kActionTrigger, kT0)->body);
  EXPECT_EQ(j["payload"]["summary"].get<std::string>().size(), 1024u);
}

TEST(WebhookSinkTest, SignsTheExactBody) {
  auto sink = Make("webhook name=chat url=http://127.0.0.1:1/hook secret=s3cret");
  auto r = sink->Build(SampleAlert(), diagnoses::kActionResolve, kT0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Header(*r, "X-Kerbside-Signature"), "sha256=" + *HmacSha256Hex("s3cret", r->body));
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["format"], "kerbside-alert/1");
  EXPECT_EQ(j["action"], "resolve");
  EXPECT_EQ(j["alert"]["blamed_host"], "EX02");
  auto unsigned_sink = Make("webhook url=http://127.0.0.1:1/hook");
  EXPECT_EQ(Header(*unsigned_sink->Build(SampleAlert(), "trigger", kT0), "X-Kerbside-Signature"),
            "");
}

TEST(SinkRegistryTest, RefusesWhatItDoesNotKnow) {
  EXPECT_THAT(MakeSinks({"smoke-signal url=x"}).status().message(),
              ::testing::HasSubstr("unknown kind 'smoke-signal'"));
  EXPECT_THAT(MakeSinks({"webhook url=x colour=red"}).status().message(),
              ::testing::HasSubstr("unknown key 'colour'"));
  EXPECT_THAT(MakeSinks({"pagerduty url=x"}).status().message(),
              ::testing::HasSubstr("routing_key"));
  EXPECT_THAT(MakeSinks({"webhook url=a name=x", "webhook url=b name=x"}).status().message(),
              ::testing::HasSubstr("used twice"));
  EXPECT_THAT(MakeSinks({"alertmanager url=x resend=soon"}).status().message(),
              ::testing::HasSubstr("resend"));
  auto two = MakeSinks({"webhook url=a", "webhook url=b"});
  ASSERT_TRUE(two.ok());
  EXPECT_EQ((*two)[1]->name(), "webhook-2");
}

}  // namespace
}  // namespace kerbside::alerts
