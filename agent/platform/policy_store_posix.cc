// Linux and Samba DCs: no Group Policy; the config file and flags are the whole configuration.
#include <condition_variable>
#include <mutex>

#include "agent/platform/policy_store.h"

namespace kerbside::agent::platform {
namespace {

class NoPolicyStore : public PolicyStore {
 public:
  absl::StatusOr<std::vector<PolicyValue>> Read() override { return std::vector<PolicyValue>{}; }
  std::string origin() const override { return "(no policy store on this platform)"; }
  bool WaitForChange() override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return cancelled_; });
    return false;
  }
  void Cancel() override {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool cancelled_ = false;
};

}  // namespace

std::unique_ptr<PolicyStore> MakePolicyStore(const std::string&) {
  return std::make_unique<NoPolicyStore>();
}

}  // namespace kerbside::agent::platform
