#ifndef KERBSIDE_COMMON_LOGGING_H_
#define KERBSIDE_COMMON_LOGGING_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace kerbside {

// Configures the default spdlog logger for a daemon or tool: stderr, one line per event,
// "ts level component: message key=value ...". `level` is trace|debug|info|warn|error|critical|off.
absl::Status SetupLogging(absl::string_view component, absl::string_view level);

}  // namespace kerbside

#endif  // KERBSIDE_COMMON_LOGGING_H_
