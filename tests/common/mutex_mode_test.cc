#include "common/mutex_mode.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace kerbside {
namespace {

// Locks a then b, then b then a, one after the other in one thread: never a real deadlock,
// but an inverted lock order, which abseil's detector reports (and by default aborts on).
void LockInBothOrders() {
  absl::Mutex a, b;
  {
    absl::MutexLock la(&a);
    absl::MutexLock lb(&b);
  }
  {
    absl::MutexLock lb(&b);
    absl::MutexLock la(&a);
  }
}

// Runs LockInBothOrders in a child process (so that this binary keeps the detector on) after
// `setup`; returns the child's wait status.
template <typename F>
int StatusOfChild(F setup) {
  const pid_t pid = fork();
  if (pid == 0) {
    setup();
    LockInBothOrders();
    _exit(0);
  }
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  return status;
}

// The premise of DisableMutexDeadlockDetection: the abseil we link runs the detector, whatever
// our own NDEBUG says (it is abseil's build that decides).
TEST(MutexModeTest, TheLinkedAbseilAbortsOnAnInvertedLockOrderByDefault) {
  const int status = StatusOfChild([] {});
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    GTEST_SKIP() << "the linked abseil was built with NDEBUG: it has no deadlock detector, and "
                    "DisableMutexDeadlockDetection has nothing to save";
  }
  ASSERT_TRUE(WIFSIGNALED(status)) << "wait status " << status;
  EXPECT_EQ(WTERMSIG(status), SIGABRT);
}

TEST(MutexModeTest, AfterDisablingAnInvertedLockOrderNoLongerAborts) {
  const int status = StatusOfChild([] { DisableMutexDeadlockDetection(); });
  ASSERT_TRUE(WIFEXITED(status)) << "wait status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace kerbside
