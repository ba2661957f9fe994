// Parameter helpers shared by the sinks.
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "collector/alerts/sink.h"

namespace kerbside::alerts {

absl::StatusOr<std::string> SecretParam(const SinkConfig& config, const std::string& key) {
  auto inline_value = config.params.find(key);
  auto file = config.params.find(key + "_file");
  if (inline_value != config.params.end() && file != config.params.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("alert sink ", config.name, ": give ", key, " or ", key, "_file, not both"));
  }
  if (inline_value != config.params.end()) return inline_value->second;
  if (file == config.params.end()) return std::string();
  std::ifstream in(file->second, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("alert sink ", config.name, ": ", key, "_file: cannot read ", file->second));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string value = ss.str();
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  return value;
}

absl::StatusOr<absl::Duration> DurationParam(const SinkConfig& config, const std::string& key,
                                             absl::Duration fallback) {
  auto it = config.params.find(key);
  if (it == config.params.end()) return fallback;
  absl::Duration d;
  if (!absl::ParseDuration(it->second, &d) || d <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("alert sink ", config.name, ": ", key, "='",
                                                   it->second,
                                                   "' is not a positive duration such as 30s"));
  }
  return d;
}

absl::Status CheckKeys(const SinkConfig& config, std::initializer_list<absl::string_view> known) {
  for (const auto& [key, value] : config.params) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("alert sink ", config.name, " (", config.kind, "): unknown key '", key,
                       "' (known: url, name, ", absl::StrJoin(known, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace kerbside::alerts
