#ifndef KERBSIDE_COMMON_SIGNALS_H_
#define KERBSIDE_COMMON_SIGNALS_H_

#include <functional>
#include <thread>

namespace kerbside {

// Blocks SIGTERM and SIGINT in the calling thread (call first in main, before any thread starts,
// so every thread inherits the mask) and starts a thread that waits for either and then runs
// `on_signal(signo)` once. The returned thread is detached-safe: join it or let it end.
std::thread HandleTerminationSignals(std::function<void(int)> on_signal);

}  // namespace kerbside

#endif  // KERBSIDE_COMMON_SIGNALS_H_
