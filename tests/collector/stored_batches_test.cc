#include "collector/stored_batches.h"

#include "gtest/gtest.h"

namespace kerbside::collector {
namespace {

TEST(StoredBatchesTest, ABatchSentAgainIsKnown) {
  StoredBatches s;
  EXPECT_FALSE(s.AlreadyStored("EX01", "spool-a", "host_tools", 3));
  EXPECT_TRUE(s.Record("EX01", "spool-a", "host_tools", 3));
  EXPECT_TRUE(s.AlreadyStored("EX01", "spool-a", "host_tools", 3));
  EXPECT_TRUE(s.AlreadyStored("EX01", "spool-a", "host_tools", 2));
  EXPECT_FALSE(s.AlreadyStored("EX01", "spool-a", "host_tools", 4));
  EXPECT_FALSE(s.AlreadyStored("EX01", "spool-b", "host_tools", 3));  // a new spool starts over
}

// Issue 12 item 5: one batch numbered 2^64-1 used to make every later batch of its source look
// "already stored": acknowledged and dropped, silently, until the agent's spool changed.
TEST(StoredBatchesTest, AJumpFarAheadIsNotRemembered) {
  StoredBatches s;
  EXPECT_TRUE(s.Record("EX01", "spool-a", "probes", 10));
  EXPECT_FALSE(s.Record("EX01", "spool-a", "probes", UINT64_MAX));
  EXPECT_FALSE(s.AlreadyStored("EX01", "spool-a", "probes", 11));
  EXPECT_FALSE(s.Record("EX02", "spool-c", "probes", UINT64_MAX));  // nor as a first sequence
  EXPECT_FALSE(s.AlreadyStored("EX02", "spool-c", "probes", 1));
  EXPECT_TRUE(s.Record("EX01", "spool-a", "probes", 10 + StoredBatches::kMaxSequenceJump));
}

TEST(StoredBatchesTest, SourcesPerHostAreBounded) {
  StoredBatches s;
  for (size_t i = 0; i < StoredBatches::kMaxSourcesPerHost + 10; ++i) {
    EXPECT_TRUE(s.Record("EX01", "spool-a", "source" + std::to_string(i), 1));
  }
  EXPECT_TRUE(s.AlreadyStored("EX01", "spool-a", "source0", 1));
  EXPECT_FALSE(s.AlreadyStored(
      "EX01", "spool-a", "source" + std::to_string(StoredBatches::kMaxSourcesPerHost + 5), 1));
}

// Issue 12 item 5: no cap on source names per agent (each a row set, a metric series, a line).
TEST(StoredBatchesTest, SourceNamesPerHostAreCapped) {
  StoredBatches s;
  for (size_t i = 0; i < StoredBatches::kMaxStoredSourcesPerHost; ++i) {
    EXPECT_TRUE(s.AdmitSource("EX01", "source" + std::to_string(i)));
  }
  EXPECT_FALSE(s.AdmitSource("EX01", "one-too-many"));
  EXPECT_TRUE(s.AdmitSource("EX01", "source0"));       // a name already admitted stays
  EXPECT_TRUE(s.AdmitSource("EX02", "one-too-many"));  // another host has its own count
}

}  // namespace
}  // namespace kerbside::collector
