#ifndef KERBSIDE_COMMON_TEXT_ESCAPE_H_
#define KERBSIDE_COMMON_TEXT_ESCAPE_H_

// Strings from agents, bundles and folder names reach logs and terminals. A control character
// in them (ESC starting a terminal sequence, CR rewriting a log line, a newline forging one) is
// shown as \xNN instead, so a compromised host cannot rewrite what on-call reads.

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace kerbside::text {

// C0 controls, DEL and the UTF-8 encoded C1 controls (U+0080..U+009F) as \xNN / \u00NN;
// with `keep_layout`, newline and tab stay (for whole tables we render ourselves).
std::string EscapeControl(absl::string_view s, bool keep_layout = false);

// EscapeControl, then cut to at most `max_bytes` bytes of input with "...(N more bytes)" said.
std::string BoundedForDisplay(absl::string_view s, size_t max_bytes);

}  // namespace kerbside::text

#endif  // KERBSIDE_COMMON_TEXT_ESCAPE_H_
