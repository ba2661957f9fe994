#ifndef KERBSIDE_AGENT_CONFIG_KEYS_H_
#define KERBSIDE_AGENT_CONFIG_KEYS_H_

// The one table of the agent's settings: each key is a long flag (--key), a key of the config
// file and, on Windows, a value name under the policy key HKLM\SOFTWARE\Policies\Kerbside\Agent.
// The command line, the file, the policy reader and the Group Policy templates all come from it,
// so none of them can know a key the others do not.

#include <string>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "agent/config.h"

namespace kerbside::agent {

enum class ConfigKeyKind {
  kText,    // one string (durations, names, paths, numbers as text)
  kList,    // repeated: "ip", "kdc", "peer", "exchange_server"
  kFlag,    // a switch: present means true (--plaintext)
  kBoolean  // true|false (--samba_showrepl false)
};

struct ConfigKey {
  const char* name;
  ConfigKeyKind kind;
  std::variant<std::string AgentFlags::*, std::vector<std::string> AgentFlags::*,
               bool AgentFlags::*>
      field;
  const char* help;
};

absl::Span<const ConfigKey> AgentConfigKeys();
// nullptr when `name` is no setting of the agent. Exact match: keys are lower case.
const ConfigKey* FindConfigKey(absl::string_view name);

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_CONFIG_KEYS_H_
