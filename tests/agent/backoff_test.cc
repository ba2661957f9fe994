#include "agent/backoff.h"

#include "gtest/gtest.h"

namespace kerbside::agent {
namespace {

TEST(BackoffTest, DoublesUpToMaxWithEqualJitter) {
  double r = 0.0;
  Backoff b(absl::Seconds(1), absl::Seconds(8), [&] { return r; });
  // With no jitter the wait is half the current step.
  EXPECT_EQ(b.Next(), absl::Milliseconds(500));
  EXPECT_EQ(b.Next(), absl::Seconds(1));
  EXPECT_EQ(b.Next(), absl::Seconds(2));
  EXPECT_EQ(b.Next(), absl::Seconds(4));
  EXPECT_EQ(b.Next(), absl::Seconds(4));  // capped at max 8 s
  r = 0.999;
  const absl::Duration top = b.Next();
  EXPECT_GT(top, absl::Milliseconds(7990));
  EXPECT_LT(top, absl::Seconds(8));
}

TEST(BackoffTest, ResetStartsOver) {
  Backoff b(absl::Seconds(1), absl::Seconds(60), [] { return 0.5; });
  b.Next();
  b.Next();
  b.Next();
  b.Reset();
  EXPECT_EQ(b.Next(), absl::Milliseconds(750));
}

TEST(BackoffTest, JitterSpreadsAgents) {
  Backoff a(absl::Seconds(2), absl::Seconds(60), [] { return 0.1; });
  Backoff b(absl::Seconds(2), absl::Seconds(60), [] { return 0.9; });
  EXPECT_NE(a.Next(), b.Next());
}

}  // namespace
}  // namespace kerbside::agent
