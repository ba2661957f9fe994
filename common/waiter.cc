#include "common/waiter.h"

#include <algorithm>

namespace kerbside {

Waiter::Woke Waiter::WaitUntil(absl::Time deadline) {
  // The time left is read once: a wall clock stepped back an hour during the wait must not make
  // it an hour longer.
  const absl::Duration left = std::max(deadline - clock_->Now(), absl::ZeroDuration());
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, absl::ToChronoNanoseconds(left), [this] { return stopped_ || notified_; });
  if (stopped_) return Woke::kStopped;
  if (notified_) {
    notified_ = false;
    return Woke::kNotified;
  }
  return Woke::kDeadline;
}

bool Waiter::SleepUntil(absl::Time deadline) {
  while (true) {
    switch (WaitUntil(deadline)) {
      case Woke::kStopped:
        return true;
      case Woke::kDeadline:
        return false;
      case Woke::kNotified:
        break;
    }
  }
}

void Waiter::Notify() {
  std::lock_guard lock(mu_);
  notified_ = true;
  cv_.notify_all();
}

void Waiter::Stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
  cv_.notify_all();
}

bool Waiter::stopped() const {
  std::lock_guard lock(mu_);
  return stopped_;
}

}  // namespace kerbside
