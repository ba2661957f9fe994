#include "agent/batch_limits.h"

#include <string>

#include "gtest/gtest.h"

namespace kerbside::agent {
namespace {

v1::EvidenceBatch Batch(int items, size_t origin_bytes) {
  v1::EvidenceBatch b;
  b.set_source("host_folder");
  b.set_resume_token("<BookmarkList/>");
  b.mutable_health()->set_state(v1::SourceHealth::DEGRADED);
  b.mutable_health()->set_reason("get-queue.txt: line 9: no Identity");
  for (int i = 0; i < items; ++i) b.add_items()->set_origin(std::string(origin_bytes, 'q'));
  return b;
}

TEST(BatchLimitsTest, ABatchWithinTheLimitsIsUntouched) {
  v1::EvidenceBatch b = Batch(10, 100);
  const std::string before = b.SerializeAsString();
  EXPECT_FALSE(EnforceBatchLimits(&b, 4096, 10));
  EXPECT_EQ(b.SerializeAsString(), before);
}

TEST(BatchLimitsTest, TooManyBytesBecomesAFailingHealthThatSaysWhy) {
  v1::EvidenceBatch b = Batch(10, 1000);
  EXPECT_TRUE(EnforceBatchLimits(&b, 4096, 100));
  EXPECT_EQ(b.items_size(), 0);
  EXPECT_EQ(b.health().state(), v1::SourceHealth::FAILING);
  EXPECT_NE(b.health().reason().find("this read made 10 items, "), std::string::npos);
  EXPECT_NE(b.health().reason().find("(100 items, 4096 bytes); none of it was sent"),
            std::string::npos)
      << b.health().reason();
  EXPECT_NE(b.health().reason().find("the source also said: get-queue.txt: line 9"),
            std::string::npos);
  EXPECT_EQ(b.resume_token(), "<BookmarkList/>");  // an increment is not read again
  EXPECT_EQ(b.source(), "host_folder");
}

TEST(BatchLimitsTest, TooManyItemsIsCutToo) {
  v1::EvidenceBatch b = Batch(101, 1);
  EXPECT_TRUE(EnforceBatchLimits(&b, 1 << 20, 100));
  EXPECT_EQ(b.items_size(), 0);
  EXPECT_NE(b.health().reason().find("this read made 101 items"), std::string::npos);
}

}  // namespace
}  // namespace kerbside::agent
