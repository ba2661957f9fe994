#include "collector/ingest_writer.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/collector/store/temp_store.h"

namespace kerbside::collector {
namespace {

// The real SQLite store behind a gate: the first group waits until the test opens it, so what
// is submitted meanwhile piles up as it does while a commit is running. Later groups pass.
class GatedStore : public EvidenceStore {
 public:
  explicit GatedStore(EvidenceStore* real) : real_(real) {}
  void Open() { gate_.Notify(); }
  // The next batch of `host` fails (as on a full disk), without reaching the real store.
  void FailNextBatchOf(const std::string& host) {
    absl::MutexLock lock(&mu_);
    fail_next_ = host;
  }
  // Until the writer holds its first group at the gate.
  void WaitForFirstGroup() { reached_.WaitForNotification(); }
  std::vector<size_t> groups() {
    absl::MutexLock lock(&mu_);
    return groups_;
  }
  // Hosts in the order their batches were committed.
  std::vector<std::string> committed() {
    absl::MutexLock lock(&mu_);
    return committed_;
  }
  // Whether `n` batches were committed within `timeout`.
  bool WaitForCommits(size_t n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    wanted_ = n;
    return mu_.AwaitWithTimeout(absl::Condition(this, &GatedStore::HasWanted), timeout);
  }

  std::vector<absl::Status> ReplaceSourcesEvidence(
      const std::vector<SourceSnapshot>& snapshots) override {
    bool first = false;
    {
      absl::MutexLock lock(&mu_);
      first = !reached_.HasBeenNotified();
      if (first) reached_.Notify();
    }
    if (first) gate_.WaitForNotification();
    {
      absl::MutexLock lock(&mu_);
      groups_.push_back(snapshots.size());
    }
    std::vector<absl::Status> stored(snapshots.size());
    std::vector<SourceSnapshot> passed;
    std::vector<size_t> passed_at;
    {
      absl::MutexLock lock(&mu_);
      for (size_t i = 0; i < snapshots.size(); ++i) {
        if (!fail_next_.empty() && snapshots[i].host == fail_next_) {
          fail_next_.clear();
          stored[i] = absl::ResourceExhaustedError("disk full (test)");
        } else {
          passed.push_back(snapshots[i]);
          passed_at.push_back(i);
        }
      }
    }
    const std::vector<absl::Status> real = real_->ReplaceSourcesEvidence(passed);
    absl::MutexLock lock(&mu_);
    for (size_t j = 0; j < passed.size(); ++j) {
      stored[passed_at[j]] = real[j];
      committed_.push_back(passed[j].host);
    }
    return stored;
  }
  absl::Status UpsertHost(const HostRecord& h) override { return real_->UpsertHost(h); }
  absl::Status TouchHost(const std::string& n, absl::Time t) override {
    return real_->TouchHost(n, t);
  }
  absl::Status SaveClockEstimate(const std::string& n, const ClockEstimateValue& e) override {
    return real_->SaveClockEstimate(n, e);
  }
  absl::StatusOr<std::vector<HostRecord>> LoadHosts() override { return real_->LoadHosts(); }
  absl::StatusOr<std::vector<v1::Evidence>> LoadEvidence(const std::string& host) override {
    return real_->LoadEvidence(host);
  }
  absl::StatusOr<std::vector<v1::Evidence>> LoadEventWindow(const std::string& host,
                                                            absl::Time since) override {
    return real_->LoadEventWindow(host, since);
  }
  absl::StatusOr<int64_t> CountEventWindow(const std::string& host) override {
    return real_->CountEventWindow(host);
  }
  absl::StatusOr<std::vector<SourceHealthRecord>> LoadSourceHealth() override {
    return real_->LoadSourceHealth();
  }
  absl::StatusOr<int64_t> CountEvidence(const std::string& host) override {
    return real_->CountEvidence(host);
  }

 private:
  EvidenceStore* real_;
  absl::Notification gate_;
  absl::Notification reached_;
  absl::Mutex mu_;
  std::vector<size_t> groups_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> committed_ ABSL_GUARDED_BY(mu_);
  size_t wanted_ ABSL_GUARDED_BY(mu_) = 0;
  std::string fail_next_ ABSL_GUARDED_BY(mu_);
  bool HasWanted() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return committed_.size() >= wanted_; }
};

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

SourceSnapshot Snapshot(const std::string& host, int queues, uint64_t stream = 0) {
  SourceSnapshot s{.host = host,
                   .source = "queues",
                   .health = {},
                   .received_at = kNow,
                   .items = {},
                   .window = {.since = kNow - absl::Hours(24), .host_offset = absl::ZeroDuration()},
                   .stream = stream};
  s.health.set_state(v1::SourceHealth::OK);
  for (int i = 0; i < queues; ++i) {
    v1::Evidence e;
    e.set_host(host);
    e.set_source("queues");
    e.mutable_queues()->add_queues()->set_identity(host + "\\" + std::to_string(i));
    s.items.push_back(std::move(e));
  }
  return s;
}

// What the writer answered, per host, in the order it answered.
struct Answers {
  absl::Mutex mu;
  std::vector<std::pair<std::string, absl::Status>> got;
  IngestWriter::Done For(const std::string& host) {
    return [this, host](absl::Status s) {
      absl::MutexLock lock(&mu);
      got.emplace_back(host, std::move(s));
    };
  }
  size_t size() {
    absl::MutexLock lock(&mu);
    return got.size();
  }
};

TEST(IngestWriterTest, BatchesThatWaitTogetherAreStoredInOneTransaction) {
  testing_util::TempStore real;
  GatedStore store(real.get());
  Answers answers;
  {
    // One thread: a second would take the next group while the first waits at the gate.
    IngestWriter writer(&store, {.threads = 1});
    writer.Submit(Snapshot("EX01", 1), answers.For("EX01"));
    store.WaitForFirstGroup();
    // EX01's group is at the gate; these five wait behind it.
    for (const char* host : {"EX02", "EX03", "EX04", "EX05", "EX06"}) {
      writer.Submit(Snapshot(host, 2), answers.For(host));
    }
    store.Open();
  }  // the destructor answers everything first
  ASSERT_EQ(answers.size(), 6u);
  for (const auto& [host, status] : answers.got) EXPECT_TRUE(status.ok()) << host << status;
  EXPECT_EQ(answers.got[0].first, "EX01");
  EXPECT_EQ(answers.got[5].first, "EX06");  // in the order submitted
  EXPECT_EQ(store.groups(), (std::vector<size_t>{1, 5}));
  EXPECT_EQ(*real.get()->CountEvidence("EX06"), 2);
}

TEST(IngestWriterTest, AGroupStopsAtItsBounds) {
  testing_util::TempStore real;
  GatedStore store(real.get());
  Answers answers;
  {
    IngestWriter writer(&store, {.max_group_batches = 3, .max_group_items = 5, .threads = 1});
    writer.Submit(Snapshot("EX00", 1), answers.For("EX00"));
    store.WaitForFirstGroup();
    // Waiting: 2+2 items fit a group of 5 items, the third 2 does not; then a batch larger
    // than the item bound goes alone, whole; then three of one item make a group of three.
    writer.Submit(Snapshot("EX01", 2), answers.For("EX01"));
    writer.Submit(Snapshot("EX02", 2), answers.For("EX02"));
    writer.Submit(Snapshot("EX03", 2), answers.For("EX03"));
    writer.Submit(Snapshot("BIG", 9), answers.For("BIG"));
    for (const char* host : {"EX04", "EX05", "EX06", "EX07"}) {
      writer.Submit(Snapshot(host, 1), answers.For(host));
    }
    store.Open();
  }
  ASSERT_EQ(answers.size(), 9u);
  EXPECT_EQ(store.groups(), (std::vector<size_t>{1, 2, 1, 1, 3, 1}));
  EXPECT_EQ(*real.get()->CountEvidence("BIG"), 9);
}

// With two threads, one commits while the other answers: every batch is answered once, in
// whichever group took it.
TEST(IngestWriterTest, TwoThreadsAnswerEveryBatchOnce) {
  testing_util::TempStore real;
  Answers answers;
  {
    IngestWriter writer(real.get(), {.threads = 2});
    for (int i = 0; i < 300; ++i) {
      const std::string host = "EX" + std::to_string(i);
      writer.Submit(Snapshot(host, 1 + i % 3), answers.For(host));
    }
  }
  ASSERT_EQ(answers.size(), 300u);
  std::set<std::string> hosts;
  for (const auto& [host, status] : answers.got) {
    EXPECT_TRUE(status.ok()) << host << status;
    hosts.insert(host);
  }
  EXPECT_EQ(hosts.size(), 300u);
  EXPECT_EQ(*real.get()->CountEvidence("EX299"), 3);
}

// A source's batch replaces its evidence, so two of one source must commit in the order they
// came: with two threads, the second must not commit what came later while the first's group is
// still committing.
TEST(IngestWriterTest, GroupsCommitInTheOrderSubmittedWhateverTheThread) {
  testing_util::TempStore real;
  GatedStore store(real.get());
  Answers answers;
  {
    IngestWriter writer(&store, {.threads = 2});
    writer.Submit(Snapshot("EX01", 1), answers.For("EX01-1"));
    store.WaitForFirstGroup();
    // EX01's first batch is at the gate; its second, and others, come behind it.
    writer.Submit(Snapshot("EX01", 3), answers.For("EX01-2"));
    writer.Submit(Snapshot("EX02", 1), answers.For("EX02"));
    // The other thread is free: give it time to (wrongly) commit these before the gate opens.
    EXPECT_FALSE(store.WaitForCommits(1, absl::Milliseconds(300)));
    store.Open();
  }
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(store.committed(), (std::vector<std::string>{"EX01", "EX01", "EX02"}));
  EXPECT_EQ(*real.get()->CountEvidence("EX01"), 3);  // the second batch's, not the first's
}

// After a batch of a stream's source fails, the batches of that stream and source behind it
// (waiting, or submitted later) fail unstored: stored, they would be ahead of the failed one,
// which the agent sends again on its next stream. Other sources, and the next stream, store.
TEST(IngestWriterTest, AfterAFailedBatchTheStreamsLaterBatchesOfItsSourceAreNotStored) {
  testing_util::TempStore real;
  GatedStore store(real.get());
  Answers answers;
  {
    // One batch per group, so the failed one and those behind it are in different groups.
    IngestWriter writer(&store, {.max_group_batches = 1, .threads = 1});
    writer.Submit(Snapshot("EX09", 1), answers.For("EX09"));
    store.WaitForFirstGroup();
    store.FailNextBatchOf("EX01");
    writer.Submit(Snapshot("EX01", 1, /*stream=*/7), answers.For("EX01-1"));
    writer.Submit(Snapshot("EX01", 2, 7), answers.For("EX01-2 waiting"));
    SourceSnapshot other_source = Snapshot("EX01", 4, 7);
    other_source.source = "host_folder";
    writer.Submit(std::move(other_source), answers.For("EX01 host_folder"));
    store.Open();
    for (int i = 0; i < 500 && answers.size() < 4; ++i) absl::SleepFor(absl::Milliseconds(10));
    writer.Submit(Snapshot("EX01", 3, 7), answers.For("EX01-3 later"));
    // The agent's next stream: its batches store.
    writer.Submit(Snapshot("EX01", 5, 8), answers.For("EX01 next stream"));
  }
  ASSERT_EQ(answers.size(), 6u);
  std::map<std::string, absl::Status> got(answers.got.begin(), answers.got.end());
  EXPECT_TRUE(got["EX09"].ok());
  EXPECT_TRUE(absl::IsResourceExhausted(got["EX01-1"])) << got["EX01-1"];
  EXPECT_TRUE(absl::IsFailedPrecondition(got["EX01-2 waiting"])) << got["EX01-2 waiting"];
  EXPECT_TRUE(absl::IsFailedPrecondition(got["EX01-3 later"])) << got["EX01-3 later"];
  EXPECT_TRUE(got["EX01 host_folder"].ok()) << got["EX01 host_folder"];
  EXPECT_TRUE(got["EX01 next stream"].ok()) << got["EX01 next stream"];
  // Only the other source's 4 and the next stream's 5 queues were ever stored.
  EXPECT_EQ(store.committed(), (std::vector<std::string>{"EX09", "EX01", "EX01"}));
  EXPECT_EQ(*real.get()->CountEvidence("EX01"), 4 + 5);
}

TEST(IngestWriterTest, CountsGroupsAndBatches) {
  testing_util::TempStore real;
  IngestWriter writer(real.get(), {});
  Answers answers;
  writer.Submit(Snapshot("EX01", 1), answers.For("EX01"));
  for (int i = 0; i < 200 && answers.size() < 1; ++i) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(writer.counters().batches, 1u);
  EXPECT_EQ(writer.counters().groups, 1u);
}

}  // namespace
}  // namespace kerbside::collector
