#include "agent/platform/log_sinks.h"

namespace kerbside::agent::platform {

std::vector<spdlog::sink_ptr> PlatformLogSinks() { return {}; }

}  // namespace kerbside::agent::platform
