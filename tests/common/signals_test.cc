#include "common/signals.h"

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "gtest/gtest.h"

namespace kerbside {
namespace {

// Writes twice to a stream socket whose peer is closed, with plain write() as OpenSSL's socket
// BIO does: the first write may fail with ECONNRESET, a later one raises SIGPIPE unless it is
// ignored. Exits 0 when the writes failed with EPIPE and the process lived.
[[noreturn]] void WriteToClosedPeer() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) std::_Exit(2);
  close(fds[1]);
  const char byte = 'x';
  for (int i = 0; i < 2; ++i) {
    if (write(fds[0], &byte, 1) != -1 || errno != EPIPE) std::_Exit(3);
  }
  std::_Exit(0);
}

TEST(SignalsDeathTest, BrokenPipeEndsAProcessThatDoesNotIgnoreIt) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // The hazard the function exists for: without it a write to a reset peer kills the process.
  EXPECT_EXIT(
      {
        signal(SIGPIPE, SIG_DFL);
        WriteToClosedPeer();
      },
      testing::KilledBySignal(SIGPIPE), "");
}

TEST(SignalsDeathTest, IgnoreBrokenPipesTurnsTheSignalIntoEpipe) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        signal(SIGPIPE, SIG_DFL);
        IgnoreBrokenPipes();
        WriteToClosedPeer();
      },
      testing::ExitedWithCode(0), "");
}

TEST(SignalsTest, IgnoreBrokenPipesLeavesTerminationSignalsAlone) {
  IgnoreBrokenPipes();
  struct sigaction now {};
  ASSERT_EQ(sigaction(SIGPIPE, nullptr, &now), 0);
  EXPECT_EQ(now.sa_handler, SIG_IGN);
  ASSERT_EQ(sigaction(SIGTERM, nullptr, &now), 0);
  EXPECT_NE(now.sa_handler, SIG_IGN);
}

}  // namespace
}  // namespace kerbside
