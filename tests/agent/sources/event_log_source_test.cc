// The event log source against a fake subscription (the real one is wevtapi, which runs only on
// Windows and not under Wine: tests/agent/platform/event_log_win_test.cc). The events are real
// EvtRender output: tests/data/events/events-exchange.xml holds one rendered <Event> per line.
#include "agent/sources/event_log_source.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"

namespace kerbside::agent {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> RenderedEvents() {
  std::ifstream in(std::string(KERBSIDE_TEST_DATA) + "/events/events-exchange.xml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    out.emplace_back(line);
  }
  return out;
}

// A log of events; bookmarks are "fake:N" (after the N-th event).
struct FakeLog {
  std::vector<std::string> events;
  std::vector<std::string> subscribed_with;  // every bookmark a subscription started after
  absl::Status subscribe_error = absl::OkStatus();
  absl::Status read_error = absl::OkStatus();
  std::string gap;

  class Subscription : public platform::EventLogSubscription {
   public:
    Subscription(FakeLog* log, size_t next) : log_(log), next_(next) {}
    absl::StatusOr<platform::EventLogRead> Read(size_t max_events) override {
      if (!log_->read_error.ok()) return log_->read_error;
      platform::EventLogRead r;
      while (next_ < log_->events.size() && r.events_xml.size() < max_events) {
        r.events_xml.push_back(log_->events[next_++]);
      }
      r.more = next_ < log_->events.size();
      if (!r.events_xml.empty()) r.bookmark_xml = absl::StrCat("fake:", next_);
      return r;
    }
    std::string gap() const override { return log_->gap; }

   private:
    FakeLog* log_;
    size_t next_;
  };

  platform::EventLogSubscriber subscriber() {
    return [this](const std::string& query, const std::string& bookmark)
               -> absl::StatusOr<std::unique_ptr<platform::EventLogSubscription>> {
      EXPECT_NE(query.find("<QueryList"), std::string::npos);
      subscribed_with.push_back(bookmark);
      if (!subscribe_error.ok()) return subscribe_error;
      size_t next = 0;
      if (!bookmark.empty()) {
        absl::string_view rest = bookmark;
        if (!absl::ConsumePrefix(&rest, "fake:") || !absl::SimpleAtoi(rest, &next)) {
          return absl::InvalidArgumentError("EvtCreateBookmark: the parameter is incorrect");
        }
      }
      return std::make_unique<Subscription>(this, next);
    };
  }
};

class EventLogSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    log_.events = RenderedEvents();
    ASSERT_EQ(log_.events.size(), 3u);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<EventLogSource> Make(size_t max_events = 100) {
    EventLogSource::Options o;
    o.host = "EX01";
    o.query_xml = "<QueryList/>";
    o.bookmark_path = (dir_ / "state" / "event-log.bookmark.xml").string();
    o.max_events = max_events;
    return std::make_unique<EventLogSource>(o, log_.subscriber());
  }
  std::string Saved() {
    std::ifstream in(dir_ / "state" / "event-log.bookmark.xml");
    if (!in) return "(none)";
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  fs::path dir_;
  FakeLog log_;
  const absl::Time now_ = absl::FromUnixSeconds(1796000000);
};

TEST_F(EventLogSourceTest, ReadsNewEventsAsAggregatesWithTheirBookmark) {
  auto source = Make();
  EXPECT_TRUE(source->incremental());
  v1::EvidenceBatch b = source->Collect(now_);
  EXPECT_EQ(b.source(), "event_log");
  EXPECT_EQ(b.health().state(), v1::SourceHealth::OK) << b.health().reason();
  ASSERT_EQ(b.items_size(), 3);  // two 1035 keys (two providers) and one 2017
  int64_t occurrences = 0;
  for (const v1::Evidence& e : b.items()) {
    EXPECT_EQ(e.host(), "EX01");
    EXPECT_EQ(e.source(), "event_log");
    EXPECT_EQ(e.origin(), "event log (Application)");
    ASSERT_TRUE(e.has_event_aggregate());
    occurrences += e.event_aggregate().count();
  }
  EXPECT_EQ(occurrences, 3);
  EXPECT_EQ(b.items(0).event_aggregate().key_facts().at("connector"), "Default EX02");
  EXPECT_EQ(b.resume_token(), "fake:3");
  EXPECT_EQ(log_.subscribed_with, std::vector<std::string>{""});

  // Nothing new: no items, the same bookmark, no new subscription.
  v1::EvidenceBatch again = source->Collect(now_ + absl::Seconds(10));
  EXPECT_EQ(again.items_size(), 0);
  EXPECT_EQ(again.health().state(), v1::SourceHealth::OK);
  EXPECT_EQ(again.resume_token(), "fake:3");
  EXPECT_EQ(log_.subscribed_with.size(), 1u);
}

TEST_F(EventLogSourceTest, TheBookmarkIsSavedOnlyWhenTheCollectorAcknowledged) {
  auto source = Make(/*max_events=*/2);
  v1::EvidenceBatch first = source->Collect(now_);
  v1::EvidenceBatch second = source->Collect(now_ + absl::Seconds(10));
  EXPECT_EQ(first.resume_token(), "fake:2");
  EXPECT_EQ(second.resume_token(), "fake:3");
  EXPECT_EQ(Saved(), "(none)");
  source->Acknowledged(8, second.resume_token());
  EXPECT_EQ(Saved(), "fake:3");
  // The older batch, sent again after a reconnection, acknowledged late: no step back.
  source->Acknowledged(7, first.resume_token());
  EXPECT_EQ(Saved(), "fake:3");
}

TEST_F(EventLogSourceTest, ARestartResumesAfterTheSavedBookmark) {
  {
    auto source = Make(/*max_events=*/2);
    v1::EvidenceBatch b = source->Collect(now_);
    source->Acknowledged(1, b.resume_token());
  }
  auto restarted = Make();
  v1::EvidenceBatch b = restarted->Collect(now_);
  EXPECT_EQ(log_.subscribed_with.back(), "fake:2");
  ASSERT_EQ(b.items_size(), 1);  // only the event not delivered before
  EXPECT_EQ(b.items(0).event_aggregate().event_id(), 2017u);
}

TEST_F(EventLogSourceTest, WhatIsStillSpooledIsNotReadAgain) {
  {
    auto source = Make(/*max_events=*/1);
    v1::EvidenceBatch b = source->Collect(now_);
    source->Acknowledged(1, b.resume_token());  // saved: fake:1
  }
  auto restarted = Make();
  restarted->ResumeAfterSpooled("fake:2");  // batch 2 was spooled on disk, not yet acknowledged
  v1::EvidenceBatch b = restarted->Collect(now_);
  EXPECT_EQ(log_.subscribed_with.back(), "fake:2");
  EXPECT_EQ(b.items_size(), 1);
}

TEST_F(EventLogSourceTest, AnUnreadableBookmarkStartsFromTheLookbackAndSaysSo) {
  fs::create_directories(dir_ / "state");
  std::ofstream(dir_ / "state" / "event-log.bookmark.xml") << "<BookmarkList><oops";
  auto source = Make();
  v1::EvidenceBatch b = source->Collect(now_);
  EXPECT_EQ(log_.subscribed_with, (std::vector<std::string>{"<BookmarkList><oops", ""}));
  EXPECT_EQ(b.health().state(), v1::SourceHealth::DEGRADED);
  EXPECT_NE(b.health().reason().find("event-log.bookmark.xml: EvtCreateBookmark"),
            std::string::npos)
      << b.health().reason();
  EXPECT_EQ(b.items_size(), 3);
}

TEST_F(EventLogSourceTest, ALogOverwrittenPastTheBookmarkIsSaidOnce) {
  log_.gap = "the event log was overwritten past the saved bookmark";
  auto source = Make();
  v1::EvidenceBatch b = source->Collect(now_);
  EXPECT_EQ(b.health().state(), v1::SourceHealth::DEGRADED);
  EXPECT_NE(b.health().reason().find("overwritten"), std::string::npos);
  v1::EvidenceBatch next = source->Collect(now_ + absl::Seconds(10));
  EXPECT_EQ(next.health().state(), v1::SourceHealth::OK) << next.health().reason();
}

TEST_F(EventLogSourceTest, ALogThatCannotBeReadIsFailingAndTriedAgain) {
  log_.subscribe_error =
      absl::UnimplementedError("EvtSubscribe: not implemented (Win32 error 120)");
  auto source = Make();
  v1::EvidenceBatch b = source->Collect(now_);
  EXPECT_EQ(b.health().state(), v1::SourceHealth::FAILING);
  EXPECT_NE(b.health().reason().find("event log: UNIMPLEMENTED: EvtSubscribe"), std::string::npos)
      << b.health().reason();
  EXPECT_EQ(b.items_size(), 0);

  log_.subscribe_error = absl::OkStatus();
  v1::EvidenceBatch ok = source->Collect(now_ + absl::Seconds(10));
  EXPECT_EQ(ok.health().state(), v1::SourceHealth::OK);
  EXPECT_EQ(ok.items_size(), 3);

  // A read that fails drops the subscription; the next one resumes after the last bookmark.
  log_.events.push_back(log_.events[0]);
  log_.read_error = absl::InternalError("EvtNext: the handle is invalid (Win32 error 6)");
  v1::EvidenceBatch failed = source->Collect(now_ + absl::Seconds(20));
  EXPECT_EQ(failed.health().state(), v1::SourceHealth::FAILING);
  EXPECT_EQ(failed.resume_token(), "fake:3");
  log_.read_error = absl::OkStatus();
  v1::EvidenceBatch resumed = source->Collect(now_ + absl::Seconds(30));
  EXPECT_EQ(log_.subscribed_with.back(), "fake:3");
  EXPECT_EQ(resumed.items_size(), 1);
}

TEST_F(EventLogSourceTest, AnEventThatDoesNotParseIsNamedAndTheOthersKept) {
  log_.events.insert(log_.events.begin() + 1, "<Event><System><EventID>1035</Event>");
  auto source = Make();
  v1::EvidenceBatch b = source->Collect(now_);
  EXPECT_EQ(b.health().state(), v1::SourceHealth::DEGRADED);
  EXPECT_NE(b.health().reason().find("event 2 of this read: "), std::string::npos)
      << b.health().reason();
  EXPECT_EQ(b.items_size(), 3);
  EXPECT_EQ(b.resume_token(), "fake:4");  // read past it: it will not parse the next time either
}

TEST_F(EventLogSourceTest, OneBatchHoldsAtMostMaxEventsAndSaysMoreAreWaiting) {
  auto source = Make(/*max_events=*/2);
  v1::EvidenceBatch b = source->Collect(now_);
  EXPECT_EQ(b.health().state(), v1::SourceHealth::DEGRADED);
  EXPECT_NE(b.health().reason().find("more than 2 new events"), std::string::npos);
  int64_t occurrences = 0;
  for (const v1::Evidence& e : b.items()) occurrences += e.event_aggregate().count();
  EXPECT_EQ(occurrences, 2);
}

}  // namespace
}  // namespace kerbside::agent
