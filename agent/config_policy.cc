#include "agent/config_policy.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "agent/config_keys.h"

namespace kerbside::agent {
namespace {

using T = PolicyValue::Type;

const char* TypeName(T t) {
  switch (t) {
    case T::kString:
      return "REG_SZ";
    case T::kMultiString:
      return "REG_MULTI_SZ";
    case T::kDword:
      return "REG_DWORD";
  }
  return "?";
}

absl::Status Bad(absl::string_view origin, const PolicyValue& v, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(origin, "\\", v.name, ": ", why));
}

absl::Status Apply(const ConfigKey& key, const PolicyValue& v, absl::string_view origin,
                   AgentFlags* f) {
  switch (key.kind) {
    case ConfigKeyKind::kText: {
      std::string& out = f->*std::get<std::string AgentFlags::*>(key.field);
      if (v.type == T::kString) {
        out = v.text;
      } else if (v.type == T::kDword) {
        out = absl::StrCat(v.dword);  // probe_concurrency as a number, say
      } else {
        return Bad(origin, v, absl::StrCat(TypeName(v.type), " for a single value: use REG_SZ"));
      }
      return absl::OkStatus();
    }
    case ConfigKeyKind::kList: {
      auto& out = f->*std::get<std::vector<std::string> AgentFlags::*>(key.field);
      if (v.type == T::kMultiString) {
        out.clear();
        for (const std::string& item : v.items) {
          if (!item.empty()) out.push_back(item);
        }
      } else if (v.type == T::kString) {
        out = {v.text};
      } else {
        return Bad(origin, v, "REG_DWORD for a list: use REG_MULTI_SZ");
      }
      return absl::OkStatus();
    }
    case ConfigKeyKind::kFlag:
    case ConfigKeyKind::kBoolean: {
      bool& out = f->*std::get<bool AgentFlags::*>(key.field);
      if (v.type == T::kDword && v.dword <= 1) {
        out = v.dword == 1;
      } else if (v.type == T::kString &&
                 (absl::AsciiStrToLower(v.text) == "true" || v.text == "1")) {
        out = true;
      } else if (v.type == T::kString &&
                 (absl::AsciiStrToLower(v.text) == "false" || v.text == "0")) {
        out = false;
      } else {
        return Bad(origin, v, "a switch takes REG_DWORD 0 or 1");
      }
      return absl::OkStatus();
    }
  }
  return absl::InternalError("unknown key kind");
}

}  // namespace

absl::Status ApplyPolicy(absl::Span<const PolicyValue> values, absl::string_view origin,
                         AgentFlags* flags, std::vector<std::string>* applied) {
  AgentFlags staged = *flags;
  std::vector<std::string> names;
  for (const PolicyValue& v : values) {
    // Registry value names are case-insensitive; the ADMX writes them in lower case.
    const std::string name = absl::AsciiStrToLower(v.name);
    const ConfigKey* key = FindConfigKey(name);
    if (key == nullptr) return Bad(origin, v, "not a setting of kerbside-agent");
    if (absl::Status s = Apply(*key, v, origin, &staged); !s.ok()) return s;
    names.push_back(name);
  }
  *flags = std::move(staged);
  if (applied != nullptr) *applied = std::move(names);
  return absl::OkStatus();
}

}  // namespace kerbside::agent
