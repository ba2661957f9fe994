#ifndef KERBSIDE_COMMON_LOGGING_H_
#define KERBSIDE_COMMON_LOGGING_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "spdlog/common.h"

namespace kerbside {

// Configures the default spdlog logger for a daemon or tool: stderr, one line per event,
// "ts level component: message key=value ...". `level` is trace|debug|info|warn|error|critical|off.
// `extra_sinks` receive every line too (the Windows agent's event log and file), each with its
// own level.
absl::Status SetupLogging(absl::string_view component, absl::string_view level,
                          std::vector<spdlog::sink_ptr> extra_sinks = {});

}  // namespace kerbside

#endif  // KERBSIDE_COMMON_LOGGING_H_
