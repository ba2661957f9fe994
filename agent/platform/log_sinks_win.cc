#include <windows.h>

#include <filesystem>
#include <memory>

#include "agent/platform/log_sinks.h"
#include "agent/platform/service.h"
#include "agent/platform/win_util.h"
#include "spdlog/sinks/rotating_file_sink.h"
#include "spdlog/sinks/win_eventlog_sink.h"

namespace kerbside::agent::platform {

std::vector<spdlog::sink_ptr> PlatformLogSinks() {
  std::vector<spdlog::sink_ptr> sinks;
  // Event id 1000 is the "%1" entry of the message table in the executable
  // (agent/platform/messages.mc), registered as the source's EventMessageFile at install.
  auto events = std::make_shared<spdlog::sinks::win_eventlog_sink_mt>(kEventSource, 1000);
  events->set_level(spdlog::level::warn);
  sinks.push_back(events);
  const std::filesystem::path dir = std::filesystem::path(win::Widen(DataDirectory())) / L"logs";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!ec) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          (dir / "agent.log").string(), 10u << 20, 5));
    } catch (const spdlog::spdlog_ex&) {
      // No file log (a read-only ProgramData, say): the event log and stderr still work.
    }
  }
  return sinks;
}

}  // namespace kerbside::agent::platform
