// Windows: Ctrl+C, Ctrl+Break and console close stand in for SIGINT/SIGTERM when the agent runs
// in a console. A service is stopped through the service control manager instead
// (agent/platform/service_win.cc), which calls the same stop path.
#include <windows.h>

#include <csignal>
#include <mutex>

#include "common/signals.h"

namespace kerbside {
namespace {

HANDLE TerminationEvent() {
  // Manual reset: once asked to stop, every waiter sees it.
  static HANDLE event = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  return event;
}

int g_signo = 0;

BOOL WINAPI OnConsoleControl(DWORD type) {
  switch (type) {
    case CTRL_C_EVENT:
      g_signo = SIGINT;
      break;
    case CTRL_BREAK_EVENT:
    case CTRL_CLOSE_EVENT:
    case CTRL_SHUTDOWN_EVENT:
      g_signo = SIGTERM;
      break;
    default:
      return FALSE;
  }
  SetEvent(TerminationEvent());
  return TRUE;
}

}  // namespace

void BlockTerminationSignals() {
  // Nothing to block on Windows: the console handler runs on a thread of its own. Installing it
  // here, first in main, keeps the default handler (which ends the process) from ever running.
  static std::once_flag once;
  std::call_once(once, [] { SetConsoleCtrlHandler(OnConsoleControl, TRUE); });
}

void IgnoreBrokenPipes() {}

std::thread WaitForTerminationSignal(std::function<void(int)> on_signal) {
  BlockTerminationSignals();
  return std::thread([on_signal = std::move(on_signal)] {
    if (WaitForSingleObject(TerminationEvent(), INFINITE) == WAIT_OBJECT_0) {
      on_signal(g_signo == 0 ? SIGTERM : g_signo);
    }
  });
}

void RaiseTermination() {
  g_signo = SIGTERM;
  SetEvent(TerminationEvent());
}

}  // namespace kerbside
