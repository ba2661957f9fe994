#ifndef KERBSIDE_AGENT_POLICY_TEMPLATES_H_
#define KERBSIDE_AGENT_POLICY_TEMPLATES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace kerbside::agent {

// A setting an AD admin sets fleet-wide through Group Policy: one of the agent's config keys
// (agent/config_keys.cc), shown in a category, explained with the KB 979174 step it serves.
// Per-host facts (names, addresses, the role's Exchange details), the loopback-only plaintext
// switch and the Linux-only settings (keytab, Samba) are not policies.
struct PolicySetting {
  const char* key;       // the config key, also the registry value name
  const char* category;  // a Category() name
  const char* explain;   // the ADML explanation, naming the KB step it serves
};

struct PolicyCategory {
  const char* name;  // "KerbsideCategory_Connection"; policies are "Kerbside_<key>"
  const char* display;
  const char* serves;  // the KB 979174 steps its settings serve, added to each explanation
};

absl::Span<const PolicySetting> PolicySettings();
absl::Span<const PolicyCategory> PolicyCategories();

// The registry key Group Policy writes and the agent reads (policy_store_win.cc).
inline constexpr char kPolicyRegistryKey[] = R"(SOFTWARE\Policies\Kerbside\Agent)";

struct PolicyTemplateFiles {
  std::string admx;  // deploy/windows/policy/kerbside.admx
  std::string adml;  // deploy/windows/policy/en-US/kerbside.adml
};

// Renders the ADMX and its en-US ADML from the tables: each setting's element follows its
// config key's kind (text → text, expandable for paths; list → multiText, REG_MULTI_SZ; switch →
// enabled/disabled DWORD 1/0), as the agent's policy reader (config_policy.cc) takes them.
// Errors: a setting naming no config key, a category that does not exist.
absl::StatusOr<PolicyTemplateFiles> RenderPolicyTemplates();

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_POLICY_TEMPLATES_H_
