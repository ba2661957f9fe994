#include "collector/open_file_limit.h"

#include <sys/resource.h>

#include "gtest/gtest.h"

namespace kerbside::collector {
namespace {

// A shell's soft limit (1,024 on Debian) is raised to the hard one, so --max_agent_streams is
// reachable without a systemd LimitNOFILE.
TEST(OpenFileLimitTest, RaisesTheSoftLimitToTheHardLimit) {
  struct rlimit limit {};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_max <= 64) GTEST_SKIP() << "hard limit " << limit.rlim_max << " leaves no room";
  limit.rlim_cur = 64;  // lowering the soft limit needs no privilege
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &limit), 0);
  auto raised = RaiseOpenFileLimit();
  ASSERT_TRUE(raised.ok()) << raised.status();
  EXPECT_EQ(raised->before, 64u);
  EXPECT_EQ(raised->now, limit.rlim_max);
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  EXPECT_EQ(limit.rlim_cur, limit.rlim_max);
}

}  // namespace
}  // namespace kerbside::collector
