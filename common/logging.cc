#include "common/logging.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace kerbside {

absl::Status SetupLogging(absl::string_view component, absl::string_view level,
                          std::vector<spdlog::sink_ptr> extra_sinks) {
  const spdlog::level::level_enum lvl = spdlog::level::from_str(std::string(level));
  // from_str maps anything unknown to "off"; only accept that when it was asked for.
  if (lvl == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError(absl::StrCat(
        "log level '", level, "' is not one of trace, debug, info, warn, error, critical, off"));
  }
  extra_sinks.insert(extra_sinks.begin(), std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto logger = std::make_shared<spdlog::logger>(std::string(component), extra_sinks.begin(),
                                                 extra_sinks.end());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %n: %v");
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return absl::OkStatus();
}

}  // namespace kerbside
