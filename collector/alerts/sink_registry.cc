#include "collector/alerts/sink_registry.h"

#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace kerbside::alerts {
namespace {

struct SinkKind {
  const char* kind;
  absl::StatusOr<std::unique_ptr<AlertSink>> (*make)(const SinkConfig&);
};

// The one table of sink kinds: adding a sink is a file and a line here.
constexpr SinkKind kSinkKinds[] = {
    {"alertmanager", &MakeAlertmanagerSink},
    {"pagerduty", &MakePagerDutySink},
    {"webhook", &MakeWebhookSink},
};

}  // namespace

std::string SinkKinds() {
  std::string out;
  for (const SinkKind& k : kSinkKinds) absl::StrAppend(&out, out.empty() ? "" : ", ", k.kind);
  return out;
}

absl::StatusOr<SinkConfig> ParseSinkSpec(absl::string_view spec) {
  std::vector<absl::string_view> words = absl::StrSplit(spec, ' ', absl::SkipWhitespace());
  if (words.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "alert sink: empty; expected \"KIND key=value ...\" with KIND one of ", SinkKinds()));
  }
  SinkConfig c;
  c.kind = std::string(words[0]);
  for (size_t i = 1; i < words.size(); ++i) {
    const size_t eq = words[i].find('=');
    if (eq == absl::string_view::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("alert sink '", spec, "': '", words[i], "' is not key=value"));
    }
    std::string key(words[i].substr(0, eq));
    std::string value(words[i].substr(eq + 1));
    if (key == "url") {
      c.url = value;
    } else if (key == "name") {
      c.name = value;
    } else if (!c.params.emplace(key, value).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("alert sink '", spec, "': '", key, "' given twice"));
    }
  }
  return c;
}

absl::StatusOr<std::vector<std::unique_ptr<AlertSink>>> MakeSinks(
    const std::vector<std::string>& specs) {
  std::vector<std::unique_ptr<AlertSink>> out;
  std::set<std::string> names;
  for (const std::string& spec : specs) {
    absl::StatusOr<SinkConfig> c = ParseSinkSpec(spec);
    if (!c.ok()) return c.status();
    if (c->name.empty()) {
      c->name = c->kind;
      for (int n = 2; names.count(c->name); ++n) c->name = absl::StrCat(c->kind, "-", n);
    }
    if (!names.insert(c->name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("alert sink name '", c->name, "' is used twice; give each name=..."));
    }
    const SinkKind* kind = nullptr;
    for (const SinkKind& k : kSinkKinds) {
      if (c->kind == k.kind) kind = &k;
    }
    if (kind == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("alert sink '", spec, "': unknown kind '",
                                                     c->kind, "' (known: ", SinkKinds(), ")"));
    }
    absl::StatusOr<std::unique_ptr<AlertSink>> sink = kind->make(*c);
    if (!sink.ok()) return sink.status();
    out.push_back(std::move(*sink));
  }
  return out;
}

}  // namespace kerbside::alerts
