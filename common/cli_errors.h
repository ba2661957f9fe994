#ifndef KERBSIDE_COMMON_CLI_ERRORS_H_
#define KERBSIDE_COMMON_CLI_ERRORS_H_

#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"

namespace kerbside {

// Turns a CLI11 parse failure into our exit codes: 0 for --help, 2 for every usage or
// configuration error, with the config file and the offending key named.
inline int ExitForParseError(CLI::App& app, const CLI::ParseError& e, const char* program) {
  const std::string file =
      app.get_config_ptr() != nullptr ? app.get_config_ptr()->as<std::string>() : "";
  if (dynamic_cast<const CLI::ConfigError*>(&e) != nullptr) {
    std::string what = e.what();
    // CLI11 says "INI was not able to parse KEY" for a key no option has.
    const std::string prefix = "INI was not able to parse ";
    if (what.rfind(prefix, 0) == 0) what = "unknown key '" + what.substr(prefix.size()) + "'";
    std::fprintf(stderr, "%s: configuration file %s: %s\n", program, file.c_str(), what.c_str());
    return 2;
  }
  if (dynamic_cast<const CLI::FileError*>(&e) != nullptr) {
    std::fprintf(stderr, "%s: configuration file: %s\n", program, e.what());
    return 2;
  }
  const int rc = app.exit(e);
  return rc == 0 ? 0 : 2;
}

}  // namespace kerbside

#endif  // KERBSIDE_COMMON_CLI_ERRORS_H_
