#include "agent/spool.h"

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kerbside::agent {
namespace {

namespace fs = std::filesystem;

v1::EvidenceBatch Batch(const std::string& source, int items, size_t payload = 10) {
  v1::EvidenceBatch b;
  b.set_source(source);
  for (int i = 0; i < items; ++i) {
    v1::Evidence* e = b.add_items();
    e->set_host("EX01");
    e->set_origin(std::string(payload, 'x'));
  }
  return b;
}

std::vector<uint64_t> Sequences(const std::vector<v1::EvidenceBatch>& batches) {
  std::vector<uint64_t> out;
  for (const auto& b : batches) out.push_back(b.sequence());
  return out;
}

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::path(::testing::TempDir()) /
        ("spool-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(SpoolTest, KeepsUntilAcknowledgedInOrder) {
  auto spool = Spool::Open("", 1 << 20, "mem");
  ASSERT_TRUE(spool.ok());
  EXPECT_EQ(*(*spool)->Append(Batch("events", 1), false), 1u);
  EXPECT_EQ(*(*spool)->Append(Batch("events", 2), false), 2u);
  EXPECT_EQ(*(*spool)->Append(Batch("host_folder", 1), true), 3u);
  EXPECT_THAT(Sequences((*spool)->Pending()), ::testing::ElementsAre(1, 2, 3));
  EXPECT_THAT(Sequences((*spool)->PendingAfter(2)), ::testing::ElementsAre(3));
  // The acknowledged batch comes back to tell its source (the event log saves its bookmark).
  v1::EvidenceBatch with_token = Batch("event_log", 1);
  with_token.set_resume_token("<BookmarkList/>");
  EXPECT_EQ(*(*spool)->Append(with_token, false), 4u);
  auto acked = (*spool)->Acknowledge(4);
  ASSERT_TRUE(acked.has_value());
  EXPECT_EQ(acked->source(), "event_log");
  EXPECT_EQ(acked->resume_token(), "<BookmarkList/>");
  EXPECT_EQ(acked->sequence(), 4u);
  EXPECT_TRUE((*spool)->Acknowledge(2).has_value());
  EXPECT_FALSE((*spool)->Acknowledge(2).has_value());   // already acknowledged
  EXPECT_FALSE((*spool)->Acknowledge(99).has_value());  // unknown: nothing happens
  EXPECT_THAT(Sequences((*spool)->Pending()), ::testing::ElementsAre(1, 3));
  EXPECT_EQ((*spool)->pending_count(), 2u);
}

TEST_F(SpoolTest, ASnapshotSupersedesOnlyItsOwnSource) {
  auto spool = *Spool::Open("", 1 << 20, "mem");
  spool->Append(Batch("host_folder", 1), true).IgnoreError();
  spool->Append(Batch("events", 1), false).IgnoreError();
  spool->Append(Batch("host_folder", 2), true).IgnoreError();
  auto pending = spool->Pending();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].source(), "events");
  EXPECT_EQ(pending[1].source(), "host_folder");
  EXPECT_EQ(pending[1].items_size(), 2);
}

TEST_F(SpoolTest, FullSpoolDropsTheOldestAndCountsThem) {
  const uint64_t one = Batch("events", 1, 1000).ByteSizeLong() + 4;
  auto spool = *Spool::Open("", 3 * one, "mem");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(spool->Append(Batch("events", 1, 1000), false).ok());
  EXPECT_THAT(Sequences(spool->Pending()), ::testing::ElementsAre(3, 4, 5));
  EXPECT_EQ(spool->dropped_total(), 2u);
  EXPECT_EQ(spool->TakeDroppedSinceLastCall(), 2u);
  EXPECT_EQ(spool->TakeDroppedSinceLastCall(), 0u);
  EXPECT_LE(spool->pending_bytes(), 3 * one);
  // Larger than the whole spool: refused, nothing dropped for it.
  auto huge = spool->Append(Batch("events", 1, 10 * one), false);
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(spool->pending_count(), 3u);
}

TEST_F(SpoolTest, OnDiskItSurvivesARestartAndSequencesGoOn) {
  {
    auto spool = *Spool::Open(dir_.string(), 1 << 20, "first-id");
    spool->Append(Batch("events", 1), false).IgnoreError();
    spool->Append(Batch("events", 2), false).IgnoreError();
    spool->Append(Batch("events", 3), false).IgnoreError();
    spool->Acknowledge(1);
  }
  // A crash mid-write leaves a temporary file; garbage in a batch file is not a batch.
  std::ofstream(dir_ / "00000000000000000007.batch.tmp") << "half";
  std::ofstream(dir_ / "00000000000000000009.batch") << "not a protobuf";
  auto spool = *Spool::Open(dir_.string(), 1 << 20, "second-id");
  EXPECT_EQ(spool->id(), "first-id");
  EXPECT_THAT(Sequences(spool->Pending()), ::testing::ElementsAre(2, 3));
  EXPECT_EQ(spool->Pending()[1].items_size(), 3);
  ASSERT_EQ(spool->open_warnings().size(), 1u);
  EXPECT_THAT(spool->open_warnings()[0], ::testing::HasSubstr("00000000000000000009.batch"));
  EXPECT_FALSE(fs::exists(dir_ / "00000000000000000007.batch.tmp"));
  EXPECT_EQ(*spool->Append(Batch("events", 1), false), 4u);
}

TEST_F(SpoolTest, LostStateMeansANewId) {
  {
    (*Spool::Open(dir_.string(), 1 << 20, "first-id"))->Append(Batch("e", 1), false).IgnoreError();
  }
  fs::remove(dir_ / "spool-state");
  auto spool = *Spool::Open(dir_.string(), 1 << 20, "second-id");
  EXPECT_EQ(spool->id(), "second-id");
  // The batch left on disk is still delivered, and new sequences do not reuse its number.
  EXPECT_THAT(Sequences(spool->Pending()), ::testing::ElementsAre(1));
  EXPECT_EQ(*spool->Append(Batch("e", 1), false), 2u);
}

}  // namespace
}  // namespace kerbside::agent
