#include "agent/platform/host_identity.h"

namespace kerbside::agent::platform {

LocalHostNames DetectLocalHostNames() { return {}; }

}  // namespace kerbside::agent::platform
