#include "agent/platform/command_line.h"

namespace kerbside::agent {
namespace {

void AppendQuoted(const std::string& arg, std::string* out) {
  if (!arg.empty() && arg.find_first_of(" \t\n\v\"") == std::string::npos) {
    out->append(arg);
    return;
  }
  out->push_back('"');
  size_t backslashes = 0;
  for (char c : arg) {
    if (c == '\\') {
      ++backslashes;
      continue;
    }
    if (c == '"') {
      // Backslashes before a quote are literal only when doubled; the quote itself escaped.
      out->append(backslashes * 2 + 1, '\\');
    } else {
      out->append(backslashes, '\\');
    }
    backslashes = 0;
    out->push_back(c);
  }
  // Before the closing quote, every backslash is doubled so it does not escape it.
  out->append(backslashes * 2, '\\');
  out->push_back('"');
}

}  // namespace

std::string QuoteWindowsCommandLine(const std::vector<std::string>& argv) {
  std::string out;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (i > 0) out.push_back(' ');
    AppendQuoted(argv[i], &out);
  }
  return out;
}

}  // namespace kerbside::agent
