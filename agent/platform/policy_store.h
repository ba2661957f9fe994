#ifndef KERBSIDE_AGENT_PLATFORM_POLICY_STORE_H_
#define KERBSIDE_AGENT_PLATFORM_POLICY_STORE_H_

// Where Group Policy puts the agent's settings, behind an interface: the Windows registry
// (HKLM\SOFTWARE\Policies\Kerbside\Agent, policy_store_win.cc); on Linux there is none
// (policy_store_posix.cc), and tests give their own.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/config_policy.h"

namespace kerbside::agent::platform {

class PolicyStore {
 public:
  virtual ~PolicyStore() = default;
  // Every value set now; empty when the key does not exist (no policy applies).
  virtual absl::StatusOr<std::vector<PolicyValue>> Read() = 0;
  // Names the store in messages ("HKLM\SOFTWARE\Policies\Kerbside\Agent").
  virtual std::string origin() const = 0;
  // Blocks until the policy changes (true) or `Cancel()` is called (false).
  virtual bool WaitForChange() = 0;
  virtual void Cancel() = 0;
};

// The platform's store. `key_path` (Windows: under HKLM) defaults to the policy key.
std::unique_ptr<PolicyStore> MakePolicyStore(const std::string& key_path = "");

}  // namespace kerbside::agent::platform

#endif  // KERBSIDE_AGENT_PLATFORM_POLICY_STORE_H_
