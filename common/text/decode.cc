#include "common/text/decode.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/text/lines.h"

namespace kerbside::text {
namespace {

// How much of the input the UTF-16 and binary heuristics look at (bytes). Command output is
// homogeneous, so the head is representative and the checks stay O(1) for big files.
constexpr size_t kSniffBytes = 64 * 1024;

// Windows-1252 code points for bytes 0x80..0x9F. The five bytes the code page leaves undefined
// map to the C1 control of the same value, as the WHATWG encoding standard does.
constexpr char32_t kCp1252High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

void AppendUtf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Length of the valid UTF-8 sequence starting at text[i], or 0 if it is invalid.
size_t Utf8SequenceLength(absl::string_view text, size_t i) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t c = b(i);
  if (c < 0x80) return 1;
  size_t len;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  }
  return len;
}

// Byte offset of the first invalid UTF-8 sequence, or npos.
size_t FirstInvalidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const size_t len = Utf8SequenceLength(text, i);
    if (len == 0) return i;
    i += len;
  }
  return absl::string_view::npos;
}

// UTF-16 of ASCII-heavy text has a NUL in every high byte; text in a single-byte encoding has
// none. Demands 40% NUL high bytes (non-ASCII letters lower the share) and at most 10% NUL low
// bytes (which would mean UTF-16BE or binary data).
bool LooksLikeUtf16Le(absl::string_view bytes) {
  const size_t n = std::min(bytes.size(), kSniffBytes) & ~size_t{1};
  if (n < 2) return false;
  size_t low_nul = 0, high_nul = 0;
  for (size_t i = 0; i < n; i += 2) {
    if (bytes[i] == '\0') ++low_nul;
    if (bytes[i + 1] == '\0') ++high_nul;
  }
  const size_t units = n / 2;
  return high_nul * 10 >= units * 4 && low_nul * 10 <= units;
}

absl::StatusOr<std::string> DecodeUtf16(absl::string_view bytes, bool big_endian,
                                        absl::string_view file, size_t offset) {
  if (bytes.size() % 2 != 0) {
    return ParseError(file, 0,
                      absl::StrCat("UTF-16 text with an odd number of bytes (",
                                   bytes.size() + offset, "): truncated file?"));
  }
  std::string out;
  out.reserve(bytes.size());
  const auto unit = [&](size_t i) -> char16_t {
    const auto b0 = static_cast<uint8_t>(bytes[i]);
    const auto b1 = static_cast<uint8_t>(bytes[i + 1]);
    return big_endian ? static_cast<char16_t>((b0 << 8) | b1)
                      : static_cast<char16_t>((b1 << 8) | b0);
  };
  for (size_t i = 0; i < bytes.size(); i += 2) {
    const char16_t u = unit(i);
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (i + 2 < bytes.size()) {
        const char16_t v = unit(i + 2);
        if (v >= 0xDC00 && v <= 0xDFFF) {
          AppendUtf8(0x10000 + ((char32_t{u} - 0xD800) << 10) + (char32_t{v} - 0xDC00), out);
          i += 2;
          continue;
        }
      }
      return ParseError(file, 0, absl::StrCat("UTF-16 lone high surrogate at byte ", i + offset));
    }
    if (u >= 0xDC00 && u <= 0xDFFF) {
      return ParseError(file, 0, absl::StrCat("UTF-16 lone low surrogate at byte ", i + offset));
    }
    AppendUtf8(u, out);
  }
  return out;
}

std::string DecodeWindows1252(absl::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 4);
  for (const char ch : bytes) {
    const auto c = static_cast<uint8_t>(ch);
    if (c < 0x80) {
      out.push_back(ch);
    } else if (c < 0xA0) {
      AppendUtf8(kCp1252High[c - 0x80], out);
    } else {
      AppendUtf8(c, out);
    }
  }
  return out;
}

// Text files have tabs, line ends and form feeds, and now and then an escape sequence or a
// Ctrl-Z; anything with a NUL or with more than 1% other C0 controls is taken for binary.
absl::Status CheckNotBinary(absl::string_view text, absl::string_view file) {
  const absl::string_view head = text.substr(0, kSniffBytes);
  size_t controls = 0;
  for (size_t i = 0; i < head.size(); ++i) {
    const auto c = static_cast<uint8_t>(head[i]);
    if (c == 0) {
      return ParseError(
          file, 0,
          absl::StrCat("binary data (NUL byte at offset ", i, " and not UTF-16): not a text file"));
    }
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') || c == 0x7F) {
      ++controls;
    }
  }
  if (controls > 8 && controls * 100 > head.size()) {
    return ParseError(file, 0,
                      absl::StrCat("binary data (", controls, " control characters in the first ",
                                   head.size(), " bytes): not a text file"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view EncodingName(Encoding encoding) {
  switch (encoding) {
    case Encoding::kUtf8:
      return "utf-8";
    case Encoding::kUtf8Bom:
      return "utf-8-bom";
    case Encoding::kUtf16LeBom:
      return "utf-16le-bom";
    case Encoding::kUtf16BeBom:
      return "utf-16be-bom";
    case Encoding::kUtf16Le:
      return "utf-16le";
    case Encoding::kWindows1252:
      return "windows-1252";
  }
  return "unknown";
}

bool IsValidUtf8(absl::string_view text) {
  return FirstInvalidUtf8(text) == absl::string_view::npos;
}

absl::StatusOr<DecodedText> DecodeToUtf8(absl::string_view bytes, absl::string_view file,
                                         size_t max_bytes) {
  if (bytes.size() > max_bytes) {
    return ParseError(file, 0,
                      absl::StrCat("file is ", bytes.size(), " bytes, more than the limit of ",
                                   max_bytes, " bytes"));
  }
  DecodedText out;
  if (absl::StartsWith(bytes, "\xEF\xBB\xBF")) {
    bytes.remove_prefix(3);
    if (const size_t bad = FirstInvalidUtf8(bytes); bad != absl::string_view::npos) {
      return ParseError(file, 0,
                        absl::StrCat("invalid UTF-8 at byte ", bad + 3, " after a UTF-8 BOM"));
    }
    out = {std::string(bytes), Encoding::kUtf8Bom};
  } else if (absl::StartsWith(bytes, "\xFF\xFE") || absl::StartsWith(bytes, "\xFE\xFF")) {
    const bool big_endian = bytes[0] == '\xFE';
    auto text = DecodeUtf16(bytes.substr(2), big_endian, file, 2);
    if (!text.ok()) return text.status();
    out = {*std::move(text), big_endian ? Encoding::kUtf16BeBom : Encoding::kUtf16LeBom};
  } else if (LooksLikeUtf16Le(bytes)) {
    auto text = DecodeUtf16(bytes, /*big_endian=*/false, file, 0);
    if (!text.ok()) return text.status();
    out = {*std::move(text), Encoding::kUtf16Le};
  } else if (IsValidUtf8(bytes)) {
    out = {std::string(bytes), Encoding::kUtf8};
  } else {
    // Checked on the raw bytes: decoding first would hide NULs behind a valid-looking result.
    if (absl::Status s = CheckNotBinary(bytes, file); !s.ok()) return s;
    out = {DecodeWindows1252(bytes), Encoding::kWindows1252};
  }
  if (absl::Status s = CheckNotBinary(out.text, file); !s.ok()) return s;
  return out;
}

}  // namespace kerbside::text
