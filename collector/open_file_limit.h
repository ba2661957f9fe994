#ifndef KERBSIDE_COLLECTOR_OPEN_FILE_LIMIT_H_
#define KERBSIDE_COLLECTOR_OPEN_FILE_LIMIT_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace kerbside::collector {

struct OpenFileLimit {
  uint64_t before = 0;  // soft limit found at start
  uint64_t now = 0;     // soft limit after raising it to the hard limit
};

// Raises this process's soft RLIMIT_NOFILE to its hard limit. Every agent stream is a socket:
// under a shell's default soft limit of 1,024 the collector would stop accepting agents near a
// thousand (issue 17), far below --max_agent_streams. The systemd unit sets LimitNOFILE; this
// covers a collector started by hand or by another supervisor. Errors carry errno's text.
absl::StatusOr<OpenFileLimit> RaiseOpenFileLimit();

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_OPEN_FILE_LIMIT_H_
