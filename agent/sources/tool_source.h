#ifndef KERBSIDE_AGENT_SOURCES_TOOL_SOURCE_H_
#define KERBSIDE_AGENT_SOURCES_TOOL_SOURCE_H_

#include <string>
#include <vector>

#include "agent/sources/source.h"

namespace kerbside::agent {

// One tool run: its output is read as the bundle file `file_name` (the same bytes
// Collect-KerbsideBundle.ps1 would save there, through the same parser).
struct ToolCommand {
  std::string file_name;  // "w32tm-status.txt", "repadmin-showrepl.csv", "get-queue.json"
  std::vector<std::string> argv;
  // Some tools exit non-zero on success (setspn -X on Server 2022): their output decides.
  bool output_decides = false;
};

// Runs the host's own tools every interval, each under a deadline, and parses what they print
// with the bundle parsers (common/): a live agent and a bundle judge the same bytes the same way.
// A tool that fails, hangs or prints what does not parse is that tool's problem (DEGRADED, or
// FAILING when nothing could be read), never silence.
class ToolSource : public Source {
 public:
  ToolSource(std::string host, std::vector<ToolCommand> commands, absl::Duration interval,
             absl::Duration timeout)
      : host_(std::move(host)),
        commands_(std::move(commands)),
        interval_(interval),
        timeout_(timeout) {}
  std::string id() const override { return "host_tools"; }
  absl::Duration interval() const override { return interval_; }
  v1::EvidenceBatch Collect(absl::Time now) override;

 private:
  std::string host_;
  std::vector<ToolCommand> commands_;
  absl::Duration interval_, timeout_;
};

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_SOURCES_TOOL_SOURCE_H_
