#include "common/text/lines.h"

#include "absl/strings/str_cat.h"

namespace kerbside::text {

std::vector<Line> SplitLines(absl::string_view text) {
  std::vector<Line> lines;
  int number = 1;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    const size_t end = nl == absl::string_view::npos ? text.size() : nl;
    absl::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back({number++, line});
    if (nl == absl::string_view::npos) break;
    start = nl + 1;
  }
  return lines;
}

absl::Status ParseError(absl::string_view file, int line, absl::string_view what) {
  if (line <= 0) return absl::InvalidArgumentError(absl::StrCat(file, ": ", what));
  return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ": ", what));
}

}  // namespace kerbside::text
