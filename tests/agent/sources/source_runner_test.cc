#include "agent/sources/source_runner.h"

#include <algorithm>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace kerbside::agent {
namespace {

class FakeSource : public Source {
 public:
  FakeSource(std::string id, bool incremental) : id_(std::move(id)), incremental_(incremental) {}
  std::string id() const override { return id_; }
  absl::Duration interval() const override { return absl::Hours(1); }
  bool incremental() const override { return incremental_; }
  v1::EvidenceBatch Collect(absl::Time) override {
    v1::EvidenceBatch b;
    b.set_source(id_);
    return b;
  }
  void Acknowledged(uint64_t sequence, const std::string& token) override {
    acknowledged.emplace_back(sequence, token);
  }
  void ResumeAfterSpooled(const std::string& token) override { resumed_after = token; }

  std::vector<std::pair<uint64_t, std::string>> acknowledged;
  std::string resumed_after = "(none)";

 private:
  std::string id_;
  bool incremental_;
};

v1::EvidenceBatch Spooled(const std::string& source, uint64_t sequence, const std::string& token) {
  v1::EvidenceBatch b;
  b.set_source(source);
  b.set_sequence(sequence);
  b.set_resume_token(token);
  return b;
}

TEST(SourceRunnerTest, SnapshotsSupersedeIncrementsDoNot) {
  std::vector<std::unique_ptr<Source>> sources;
  sources.push_back(std::make_unique<FakeSource>("host_folder", false));
  sources.push_back(std::make_unique<FakeSource>("event_log", true));
  ManualClock clock(absl::FromUnixSeconds(1796000000));
  std::mutex mu;
  std::vector<std::pair<std::string, bool>> published;
  absl::Notification both;
  SourceRunner runner(std::move(sources), &clock, [&](v1::EvidenceBatch b, bool supersedes) {
    std::lock_guard lock(mu);
    published.emplace_back(b.source(), supersedes);
    if (published.size() == 2) both.Notify();
  });
  runner.Start();
  ASSERT_TRUE(both.WaitForNotificationWithTimeout(absl::Seconds(30)));
  runner.Stop();
  std::sort(published.begin(), published.end());  // each source runs on its own thread
  EXPECT_EQ(published, (std::vector<std::pair<std::string, bool>>{{"event_log", false},
                                                                  {"host_folder", true}}));
}

// A source stuck in Collect (a probe round waiting on the network) must not stop the others:
// found in the lab, where a stuck probe round left the host folder unread for over a minute.
class StuckSource : public FakeSource {
 public:
  StuckSource() : FakeSource("probes", false) {}
  v1::EvidenceBatch Collect(absl::Time now) override {
    release.WaitForNotification();
    return FakeSource::Collect(now);
  }
  absl::Notification release;
};

class CountingSource : public FakeSource {
 public:
  CountingSource() : FakeSource("host_folder", false) {}
  absl::Duration interval() const override { return absl::Milliseconds(10); }
};

TEST(SourceRunnerTest, AStuckSourceDoesNotStopTheOthers) {
  auto stuck = std::make_unique<StuckSource>();
  StuckSource* stuck_raw = stuck.get();
  std::vector<std::unique_ptr<Source>> sources;
  sources.push_back(std::move(stuck));
  sources.push_back(std::make_unique<CountingSource>());
  std::mutex mu;
  int folder_batches = 0;
  absl::Notification three;
  SourceRunner runner(std::move(sources), &MonotonicClock(), [&](v1::EvidenceBatch b, bool) {
    std::lock_guard lock(mu);
    if (b.source() == "host_folder" && ++folder_batches == 3) three.Notify();
  });
  runner.Start();
  EXPECT_TRUE(three.WaitForNotificationWithTimeout(absl::Seconds(30)));
  stuck_raw->release.Notify();
  runner.Stop();
}

TEST(SourceRunnerTest, AcknowledgementsAndTheSpoolReachTheirOwnSource) {
  auto folder = std::make_unique<FakeSource>("host_folder", false);
  auto events = std::make_unique<FakeSource>("event_log", true);
  FakeSource* folder_raw = folder.get();
  FakeSource* events_raw = events.get();
  std::vector<std::unique_ptr<Source>> sources;
  sources.push_back(std::move(folder));
  sources.push_back(std::move(events));
  ManualClock clock(absl::FromUnixSeconds(1796000000));
  SourceRunner runner(std::move(sources), &clock, [](v1::EvidenceBatch, bool) {});

  runner.ResumeAfterSpooled({Spooled("event_log", 3, "b3"), Spooled("host_folder", 4, ""),
                             Spooled("event_log", 5, "b5")});
  EXPECT_EQ(events_raw->resumed_after, "b5");      // the newest of its own
  EXPECT_EQ(folder_raw->resumed_after, "(none)");  // snapshots resume from nothing

  runner.Acknowledged(Spooled("event_log", 5, "b5"));
  EXPECT_EQ(events_raw->acknowledged, (std::vector<std::pair<uint64_t, std::string>>{{5, "b5"}}));
  EXPECT_TRUE(folder_raw->acknowledged.empty());
}

}  // namespace
}  // namespace kerbside::agent
