#include "common/text/escape.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kerbside::text {

std::string EscapeControl(absl::string_view s, bool keep_layout) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (keep_layout && (c == '\n' || c == '\t')) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    } else if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(s[i + 1]) <= 0x9f) {
      absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(s[i + 1]));
      ++i;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string BoundedForDisplay(absl::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return EscapeControl(s);
  return absl::StrCat(EscapeControl(s.substr(0, max_bytes)), "...(", s.size() - max_bytes,
                      " more bytes)");
}

}  // namespace kerbside::text
