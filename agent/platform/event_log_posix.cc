#include "agent/platform/event_log.h"

namespace kerbside::agent::platform {

absl::StatusOr<std::unique_ptr<EventLogSubscription>> SubscribeEventLog(const std::string&,
                                                                        const std::string&) {
  return absl::UnimplementedError(
      "the Windows event log exists only on Windows; on Linux, export events into a host "
      "folder (host_folder) instead");
}

bool HasEventLog() { return false; }

}  // namespace kerbside::agent::platform
