#include "common/mutex_mode.h"

#include "absl/synchronization/mutex.h"

namespace kerbside {

void DisableMutexDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace kerbside
