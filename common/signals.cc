#include "common/signals.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

namespace kerbside {
namespace {

sigset_t TerminationSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

void BlockTerminationSignals() {
  const sigset_t set = TerminationSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void IgnoreBrokenPipes() {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, nullptr);
}

std::thread WaitForTerminationSignal(std::function<void(int)> on_signal) {
  return std::thread([on_signal = std::move(on_signal)] {
    const sigset_t set = TerminationSet();
    int signo = 0;
    if (sigwait(&set, &signo) == 0) on_signal(signo);
  });
}

void RaiseTermination() { kill(getpid(), SIGTERM); }

}  // namespace kerbside
