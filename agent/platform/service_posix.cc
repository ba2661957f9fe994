#include "agent/platform/service.h"

namespace kerbside::agent::platform {
namespace {

absl::Status WindowsOnly(const char* what) {
  return absl::UnimplementedError(std::string(what) +
                                  " exists only on Windows; on Linux run the agent under systemd "
                                  "(the kerbside-agent package's unit)");
}

}  // namespace

absl::Status InstallService(const std::vector<std::string>&) { return WindowsOnly("--install"); }
absl::Status UninstallService(int) { return WindowsOnly("--uninstall"); }
absl::Status RunAsService(std::function<int()>, std::function<void()>) {
  return WindowsOnly("--service");
}
absl::Status ApplyServiceSettings() { return absl::OkStatus(); }

std::string DataDirectory() { return "/var/lib/kerbside"; }
std::string DefaultSpoolDirectory() { return ""; }
std::string DefaultEnrollCommand() { return ""; }
std::string DefaultEnrollDirectory() { return DataDirectory() + "/tls"; }

}  // namespace kerbside::agent::platform
