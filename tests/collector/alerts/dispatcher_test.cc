#include "collector/alerts/dispatcher.h"

#include <deque>

#include "collector/alerts/sink_registry.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/collector/store/temp_store.h"

namespace kerbside::alerts {
namespace {

using testing_util::TempStore;

const absl::Time kT0 = absl::FromUnixSeconds(1795000000);

// Answers from a script; records what it was sent.
class ScriptedHttp : public HttpClient {
 public:
  absl::StatusOr<HttpResponse> Post(const HttpRequest& r) override {
    posted.push_back(r.body);
    if (script.empty()) return HttpResponse{202, "{}", std::nullopt, std::nullopt};
    absl::StatusOr<HttpResponse> next = script.front();
    script.pop_front();
    return next;
  }
  std::deque<absl::StatusOr<HttpResponse>> script;
  std::vector<std::string> posted;
};

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sinks = MakeSinks({"pagerduty name=pd url=http://127.0.0.1:1/ routing_key=k"});
    ASSERT_TRUE(sinks.ok());
    DispatcherOptions o;
    o.initial_backoff = absl::Seconds(1);
    o.max_backoff = absl::Seconds(8);
    o.give_up_after = absl::Minutes(30);
    dispatcher_ =
        std::make_unique<Dispatcher>(store_.get(), &clock_, &http_, std::move(*sinks), o, nullptr);
  }
  void Queue(const std::string& action, const std::string& key) {
    diagnoses::Alert a;
    a.key = key;
    a.cause = "clock_skew";
    a.blamed_host = "EX02";
    a.starts_at = a.changed_at = kT0;
    collector::OutboxRecord o;
    o.sink = "pd";
    o.alert_key = key;
    o.action = action;
    o.alert_json = diagnoses::AlertToJson(a).dump();
    o.created = o.next_attempt = clock_.Now();
    ASSERT_TRUE(store_.get()->CommitDiagnoses({}, {}, {o}).ok());
  }
  std::vector<std::string> Posted() {
    std::vector<std::string> out;
    for (const std::string& b : http_.posted) {
      auto j = nlohmann::json::parse(b);
      out.push_back(j["event_action"].get<std::string>() + " " + j["dedup_key"].get<std::string>());
    }
    return out;
  }
  absl::Time Step() {
    auto next = dispatcher_->Step(0, clock_.Now());
    EXPECT_TRUE(next.ok()) << next.status();
    return *next;
  }
  int64_t Count(const char* result) {
    auto counts = dispatcher_->Counts();
    auto it = counts.find({"pd", "pagerduty", result});
    return it == counts.end() ? 0 : it->second;
  }

  TempStore store_;
  ManualClock clock_{kT0};
  ScriptedHttp http_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST(RetryDelayTest, DoublesUpToTheCapAndHonoursRetryAfter) {
  DispatcherOptions o;
  o.initial_backoff = absl::Seconds(1);
  o.max_backoff = absl::Seconds(60);
  o.max_retry_after = absl::Minutes(10);
  EXPECT_EQ(RetryDelay(o, 1, std::nullopt), absl::Seconds(1));
  EXPECT_EQ(RetryDelay(o, 2, std::nullopt), absl::Seconds(2));
  EXPECT_EQ(RetryDelay(o, 4, std::nullopt), absl::Seconds(8));
  EXPECT_EQ(RetryDelay(o, 7, std::nullopt), absl::Seconds(60));
  EXPECT_EQ(RetryDelay(o, 100, std::nullopt), absl::Seconds(60));
  EXPECT_EQ(RetryDelay(o, 1, absl::Seconds(30)), absl::Seconds(30));
  EXPECT_EQ(RetryDelay(o, 1, absl::Hours(5)), absl::Minutes(10));
}

TEST_F(DispatcherTest, TooManyRequestsThenAcceptedDeliversOnceInOrder) {
  Queue("trigger", "clock_skew/EX02");
  Queue("resolve", "clock_skew/EX02");
  http_.script.push_back(HttpResponse{429, "slow down", absl::Seconds(3), std::nullopt});
  EXPECT_EQ(Step(), kT0 + absl::Seconds(3));  // Retry-After beats the 1 s backoff
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Step(), kT0 + absl::Seconds(3));  // not due: nothing sent, the resolve waits too
  EXPECT_EQ(http_.posted.size(), 1u);
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(Step(), clock_.Now());
  EXPECT_EQ(Step(), clock_.Now());
  EXPECT_EQ(Step(), absl::InfiniteFuture());
  EXPECT_EQ(Posted(), (std::vector<std::string>{"trigger kerbside/clock_skew/EX02",
                                                "trigger kerbside/clock_skew/EX02",
                                                "resolve kerbside/clock_skew/EX02"}));
  EXPECT_EQ(Count(kRetried), 1);
  EXPECT_EQ(Count(kDelivered), 2);
}

TEST_F(DispatcherTest, RetryAfterAsAnInstantIsMeasuredOnTheCollectorClock) {
  Queue("trigger", "clock_skew/EX02");
  const HttpResponse busy{503, "", std::nullopt, kT0 + absl::Seconds(45)};
  http_.script.push_back(busy);
  EXPECT_EQ(Step(), kT0 + absl::Seconds(45));
}

TEST(ParseRetryAfterTest, SecondsOrHttpDate) {
  HttpResponse r;
  ParseRetryAfter("120", "", &r);
  EXPECT_EQ(r.retry_after, absl::Seconds(120));
  // The date form is measured against the response's own Date: the server's clock both times.
  ParseRetryAfter("Fri, 27 Nov 2026 10:02:00 GMT", "Fri, 27 Nov 2026 10:00:30 GMT", &r);
  EXPECT_EQ(r.retry_after, absl::Seconds(90));
  EXPECT_FALSE(r.retry_at.has_value());
  ParseRetryAfter("Fri, 27 Nov 2026 09:00:00 GMT", "Fri, 27 Nov 2026 10:00:30 GMT", &r);
  EXPECT_EQ(r.retry_after, absl::ZeroDuration());  // already past: no negative waits
  // Without a Date the instant itself goes to the caller.
  ParseRetryAfter("Fri, 27 Nov 2026 10:02:00 GMT", "", &r);
  EXPECT_FALSE(r.retry_after.has_value());
  ASSERT_TRUE(r.retry_at.has_value());
  EXPECT_EQ(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", *r.retry_at, absl::UTCTimeZone()),
            "2026-11-27T10:02:00Z");
  for (const char* junk : {"", "soon", "-5", "Fri, 99 Nov 2026"}) {
    ParseRetryAfter(junk, "", &r);
    EXPECT_FALSE(r.retry_after.has_value()) << junk;
    EXPECT_FALSE(r.retry_at.has_value()) << junk;
  }
}

TEST_F(DispatcherTest, SinkDownBacksOffThenDeliversEverythingInOrder) {
  Queue("trigger", "a/EX02");
  Queue("resolve", "a/EX02");
  Queue("trigger", "b/EX03");
  // Ten minutes of refused connections and 503s.
  std::vector<absl::Duration> waits;
  for (int i = 0; i < 20; ++i) {
    http_.script.push_back(i % 2 ? absl::StatusOr<HttpResponse>(HttpResponse{503, "", {}, {}})
                                 : absl::UnavailableError("curl: Connection refused (CURLcode 7)"));
  }
  absl::Time next = Step();
  while (!http_.script.empty()) {
    waits.push_back(next - clock_.Now());
    clock_.Set(next);
    next = Step();
  }
  EXPECT_EQ(waits[0], absl::Seconds(1));
  EXPECT_EQ(waits[1], absl::Seconds(2));
  EXPECT_EQ(waits[2], absl::Seconds(4));
  EXPECT_EQ(waits[3], absl::Seconds(8));
  EXPECT_EQ(waits[10], absl::Seconds(8));  // capped
  clock_.Set(next);
  while (Step() <= clock_.Now()) {
  }
  const auto posted = Posted();
  ASSERT_EQ(posted.size(), 23u);
  EXPECT_EQ(std::vector<std::string>(posted.end() - 3, posted.end()),
            (std::vector<std::string>{"trigger kerbside/a/EX02", "resolve kerbside/a/EX02",
                                      "trigger kerbside/b/EX03"}));
}

TEST_F(DispatcherTest, BadRequestIsNeverRetried) {
  Queue("trigger", "a/EX02");
  Queue("trigger", "b/EX03");
  http_.script.push_back(HttpResponse{400, R"({"status":"invalid event"})", {}, {}});
  EXPECT_EQ(Step(), clock_.Now());
  EXPECT_EQ(Step(), clock_.Now());
  EXPECT_EQ(Step(), absl::InfiniteFuture());
  EXPECT_EQ(Posted(),
            (std::vector<std::string>{"trigger kerbside/a/EX02", "trigger kerbside/b/EX03"}));
  EXPECT_EQ(Count(kRejected), 1);
  EXPECT_EQ(Count(kRetried), 0);
}

TEST_F(DispatcherTest, GivesUpAfterTheBound) {
  Queue("trigger", "a/EX02");
  for (int i = 0; i < 1000; ++i) http_.script.push_back(HttpResponse{500, "", {}, {}});
  absl::Time next = Step();
  while (Count(kGaveUp) == 0) {
    clock_.Set(next);
    next = Step();
  }
  EXPECT_GE(clock_.Now() - kT0, absl::Minutes(30));
  EXPECT_LT(clock_.Now() - kT0, absl::Minutes(31));
  EXPECT_EQ(Step(), absl::InfiniteFuture());
}

TEST_F(DispatcherTest, OutboxSurvivesARestart) {
  Queue("trigger", "a/EX02");
  http_.script.push_back(absl::UnavailableError("down"));
  const absl::Time next = Step();
  store_.Reopen();
  dispatcher_.reset();
  SetUp();
  clock_.Set(next);
  EXPECT_EQ(Step(), clock_.Now());
  EXPECT_EQ(Posted(),
            (std::vector<std::string>{"trigger kerbside/a/EX02", "trigger kerbside/a/EX02"}));
}

}  // namespace
}  // namespace kerbside::alerts
