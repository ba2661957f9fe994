#ifndef KERBSIDE_AGENT_SOURCES_COMMAND_H_
#define KERBSIDE_AGENT_SOURCES_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace kerbside::agent {

struct CommandResult {
  int exit_code = 0;
  std::string out;
  std::string err;
};

// Runs argv[0] (looked up in PATH) with a hard deadline: when it passes, the child is killed
// (SIGKILL) and the result is DEADLINE_EXCEEDED, so a hung tool never stalls the sources. The
// deadline is a kernel timer (timerfd on CLOCK_MONOTONIC), not a reading of the clock. Output
// beyond `max_output_bytes` per stream is an error.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout,
                                         size_t max_output_bytes = 16u << 20);

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_SOURCES_COMMAND_H_
