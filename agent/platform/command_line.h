#ifndef KERBSIDE_AGENT_PLATFORM_COMMAND_LINE_H_
#define KERBSIDE_AGENT_PLATFORM_COMMAND_LINE_H_

#include <string>
#include <vector>

namespace kerbside::agent {

// Joins argv into one Windows command line that CommandLineToArgvW and the C runtime split back
// into exactly argv: arguments with spaces, tabs or quotes are quoted, a quote is escaped as \",
// and backslashes are doubled only where they precede a quote. Pure, so it is tested natively;
// CreateProcessW (agent/sources/command_win.cc, the service install) is what takes it.
std::string QuoteWindowsCommandLine(const std::vector<std::string>& argv);

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_PLATFORM_COMMAND_LINE_H_
