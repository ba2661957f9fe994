#ifndef KERBSIDE_COMMON_MUTEX_MODE_H_
#define KERBSIDE_COMMON_MUTEX_MODE_H_

namespace kerbside {

// Turns off abseil's lock-order (deadlock) detector for the whole process. Debian builds abseil
// without NDEBUG, so the detector runs in every absl::Mutex lock and unlock, gRPC's own
// included: it records each mutex in a global graph behind one global lock and walks it for
// cycles. The agent and the collector call this first in main; measured on this kind of
// machine it is about 8 % of the collector's ingest CPU and a quarter of an idle agent's
// (README, "Performance"). Tests do not call it, so a lock-order inversion still aborts there.
void DisableMutexDeadlockDetection();

}  // namespace kerbside

#endif  // KERBSIDE_COMMON_MUTEX_MODE_H_
