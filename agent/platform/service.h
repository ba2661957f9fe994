#ifndef KERBSIDE_AGENT_PLATFORM_SERVICE_H_
#define KERBSIDE_AGENT_PLATFORM_SERVICE_H_

// The agent as a Windows service (service_win.cc): installed by hand with --install (the MSI
// does the same), started by the service control manager with --service. Elsewhere these return
// UNIMPLEMENTED: on Linux the agent runs under systemd.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace kerbside::agent::platform {

inline constexpr char kServiceName[] = "kerbside-agent";
inline constexpr char kServiceDisplayName[] = "kerbside agent";
// The event log source (Application log) the agent writes to.
inline constexpr char kEventSource[] = "kerbside-agent";

// Registers this executable as an automatic LocalSystem service started with `service_args`
// (after --service), with restart-on-failure actions (10 s, 30 s, 60 s; count reset after a
// day, non-crash failures included) and the event log source. ALREADY_EXISTS when installed.
absl::Status InstallService(const std::vector<std::string>& service_args);

// Stops the service (waiting up to `stop_timeout_ms`), deletes it and its event log source.
absl::Status UninstallService(int stop_timeout_ms = 30000);

// Hands the process to the service control manager: `body` runs while the service is RUNNING
// and its return value is the service's exit code; a stop or shutdown control calls `stop`,
// which must make `body` return. FAILED_PRECONDITION when not started by the SCM.
absl::Status RunAsService(std::function<int()> body, std::function<void()> stop);

// What the MSI (wixl's WiX subset) cannot set, done by the service itself when it starts:
// the restart-on-failure actions of InstallService, and the data folder's ACL (SYSTEM and
// Administrators only, not inherited from %ProgramData%, which every user may read). Best
// effort: the error names what could not be set. OK elsewhere (packages do it on Linux).
absl::Status ApplyServiceSettings();
// Where the agent keeps its state and logs: %ProgramData%\Kerbside on Windows,
// /var/lib/kerbside elsewhere.
std::string DataDirectory();

// Where the spool goes when the configuration names none: DataDirectory()\spool on Windows (a
// service must not lose evidence to a restart); empty on Linux (memory), where packages set it.
std::string DefaultSpoolDirectory();

// The enrollment tool and folder when enroll_template is set and they are not: certreq.exe and
// DataDirectory()\tls on Windows; no tool elsewhere (it must be named) and DataDirectory()/tls.
std::string DefaultEnrollCommand();
std::string DefaultEnrollDirectory();

}  // namespace kerbside::agent::platform

#endif  // KERBSIDE_AGENT_PLATFORM_SERVICE_H_
