#include "common/signals.h"

#include <pthread.h>
#include <signal.h>

namespace kerbside {

std::thread HandleTerminationSignals(std::function<void(int)> on_signal) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return std::thread([set, on_signal = std::move(on_signal)] {
    int signo = 0;
    if (sigwait(&set, &signo) == 0) on_signal(signo);
  });
}

}  // namespace kerbside
