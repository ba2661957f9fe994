#ifndef KERBSIDE_AGENT_CONFIG_POLICY_H_
#define KERBSIDE_AGENT_CONFIG_POLICY_H_

// Group Policy settings over the flags and the config file: on Windows the values under
// HKLM\SOFTWARE\Policies\Kerbside\Agent (written by the ADMX templates) have the names of the
// config keys, and a value set there wins over the file and the command line. Pure: the
// Windows reader (agent/platform) turns registry values into PolicyValue, this applies them.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "agent/config.h"

namespace kerbside::agent {

struct PolicyValue {
  // REG_SZ/REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD
  enum class Type { kString, kMultiString, kDword };
  std::string name;
  Type type = Type::kString;
  std::string text;                // kString (UTF-8)
  std::vector<std::string> items;  // kMultiString (UTF-8)
  uint32_t dword = 0;              // kDword
};

// Applies every value to `flags`. `origin` names where the values came from (the policy key) in
// errors. A value whose name is no config key, or whose type does not fit the key (a number for
// a list, 7 for a switch), is an error naming origin and value, and nothing is applied: the
// agent must not run on half a policy. `applied` (optional) receives the names applied.
absl::Status ApplyPolicy(absl::Span<const PolicyValue> values, absl::string_view origin,
                         AgentFlags* flags, std::vector<std::string>* applied = nullptr);

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_CONFIG_POLICY_H_
