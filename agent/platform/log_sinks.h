#ifndef KERBSIDE_AGENT_PLATFORM_LOG_SINKS_H_
#define KERBSIDE_AGENT_PLATFORM_LOG_SINKS_H_

#include <vector>

#include "spdlog/common.h"

namespace kerbside::agent::platform {

// Where the agent's log lines go besides stderr. Windows: the Application event log (source
// kerbside-agent; warnings and above, since a service's stderr goes nowhere) and a rotating file
// %ProgramData%\Kerbside\logs\agent.log (10 MB x 5). Linux: none (the journal takes stderr).
std::vector<spdlog::sink_ptr> PlatformLogSinks();

}  // namespace kerbside::agent::platform

#endif  // KERBSIDE_AGENT_PLATFORM_LOG_SINKS_H_
