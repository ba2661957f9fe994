#include "agent/sources/tool_source.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/sources/command.h"
#include "common/bundle/bundle_loader.h"
#include "common/proto_time.h"

namespace kerbside::agent {
namespace {

// Output larger than any real w32tm, repadmin or Get-Queue answer of one server.
constexpr size_t kMaxToolOutputBytes = 8u << 20;

std::string FirstLine(absl::string_view text) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) return std::string(line.substr(0, 200));
  }
  return "";
}

}  // namespace

v1::EvidenceBatch ToolSource::Collect(absl::Time now) {
  v1::EvidenceBatch batch;
  batch.set_source(id());
  std::vector<std::string> problems;
  for (const ToolCommand& c : commands_) {
    auto run = RunCommand(c.argv, timeout_, kMaxToolOutputBytes);
    if (!run.ok()) {
      problems.push_back(absl::StrCat(c.file_name, ": ", run.status().message()));
      continue;
    }
    if (run->exit_code != 0 && !c.output_decides) {
      problems.push_back(absl::StrCat(c.file_name, ": `", absl::StrJoin(c.argv, " "),
                                      "` exited with ", run->exit_code, ": ",
                                      FirstLine(run->err.empty() ? run->out : run->err)));
      continue;
    }
    auto items = bundle::ParseBundleFile(c.file_name, run->out);
    if (!items.ok()) {
      problems.push_back(std::string(items.status().message()));
      continue;
    }
    for (v1::Evidence& e : *items) {
      e.set_host(host_);
      e.set_source(id());
      *e.mutable_observed_host_time() = ToProto(now);
      *batch.add_items() = std::move(e);
    }
  }
  if (problems.empty()) {
    batch.mutable_health()->set_state(v1::SourceHealth::OK);
  } else {
    batch.mutable_health()->set_state(batch.items_size() > 0 ? v1::SourceHealth::DEGRADED
                                                             : v1::SourceHealth::FAILING);
    batch.mutable_health()->set_reason(absl::StrJoin(problems, "; "));
  }
  return batch;
}

}  // namespace kerbside::agent
