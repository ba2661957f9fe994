#ifndef KERBSIDE_COMMON_TEXT_LINES_H_
#define KERBSIDE_COMMON_TEXT_LINES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace kerbside::text {

// One line of a decoded text file: 1-based number, content without "\r\n" / "\n".
struct Line {
  int number;
  absl::string_view text;
};

// Splits UTF-8 text into lines; accepts CRLF, LF and a lone trailing CR. The views point
// into `text`, which must outlive them. A final line without a newline is kept.
std::vector<Line> SplitLines(absl::string_view text);

// The error every parser returns for bad input: "FILE:LINE: WHAT" (LINE 0 = the whole file),
// code InvalidArgument. Parsers take the file name only to put it in errors.
absl::Status ParseError(absl::string_view file, int line, absl::string_view what);

}  // namespace kerbside::text

#endif  // KERBSIDE_COMMON_TEXT_LINES_H_
