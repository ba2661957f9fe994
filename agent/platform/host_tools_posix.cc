// Linux hosts and Samba DCs have no w32tm, repadmin or Exchange: their evidence comes from the
// samba_dc source, the probes and host folders.
#include "agent/platform/host_tools.h"

namespace kerbside::agent::platform {

std::vector<ToolCommand> HostToolCommands(const AgentConfig&) { return {}; }

}  // namespace kerbside::agent::platform
