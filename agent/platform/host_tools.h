#ifndef KERBSIDE_AGENT_PLATFORM_HOST_TOOLS_H_
#define KERBSIDE_AGENT_PLATFORM_HOST_TOOLS_H_

#include <vector>

#include "agent/config.h"
#include "agent/sources/tool_source.h"

namespace kerbside::agent::platform {

// The tools this platform runs for the host_tools source, for this host's role and targets,
// each with the bundle file its output is read as (the commands of
// deploy/windows/Collect-KerbsideBundle.ps1). Windows: w32tm everywhere; Get-Queue and
// Get-ReceiveConnector on Exchange servers; repadmin and setspn on DCs. Linux: none.
std::vector<ToolCommand> HostToolCommands(const AgentConfig& config);

}  // namespace kerbside::agent::platform

#endif  // KERBSIDE_AGENT_PLATFORM_HOST_TOOLS_H_
