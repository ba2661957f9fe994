#ifndef KERBSIDE_COMMON_TEXT_DECODE_H_
#define KERBSIDE_COMMON_TEXT_DECODE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kerbside::text {

// How the bytes of a file were encoded, as detected by DecodeToUtf8.
enum class Encoding {
  kUtf8,         // valid UTF-8 (or plain ASCII) without a BOM
  kUtf8Bom,      // EF BB BF, then UTF-8
  kUtf16LeBom,   // FF FE: Windows PowerShell 5.1's `>`, Out-File
  kUtf16BeBom,   // FE FF: rare, accepted because it costs nothing
  kUtf16Le,      // no BOM, recognised by its NUL high bytes
  kWindows1252,  // not UTF-8: cmd.exe output in an OEM/ANSI code page
};

// "utf-8", "utf-8-bom", "utf-16le-bom", "utf-16be-bom", "utf-16le", "windows-1252".
absl::string_view EncodingName(Encoding encoding);

struct DecodedText {
  std::string text;  // UTF-8, BOM removed
  Encoding encoding;
};

// Support-bundle files are command outputs (kilobytes to a few megabytes); the cap keeps a
// mistaken 1 GB file from exhausting memory. Callers with bigger legitimate inputs (event log
// exports) pass their own limit.
inline constexpr size_t kDefaultMaxInputBytes = 32u << 20;  // 32 MiB

// Turns the bytes of a support-bundle file into UTF-8 text. Order of detection:
//   1. UTF-8 BOM (stripped; the rest must be valid UTF-8),
//   2. UTF-16LE BOM FF FE / UTF-16BE BOM FE FF (converted; surrogate pairs joined),
//   3. UTF-16LE without BOM, when most high bytes of the first code units are NUL,
//   4. valid UTF-8 as is,
//   5. otherwise Windows-1252. Output redirected from cmd.exe is in the console's OEM code page
//      (CP437/CP850/...), which cannot be told apart from ANSI reliably; Windows-1252 is chosen
//      because ASCII (every label, number and address the parsers look at) decodes the same in
//      all of them and only accented letters in names may come out wrong.
// Errors (InvalidArgument, "FILE: ..."): more than `max_bytes`, UTF-16 with an odd byte count or
// a lone surrogate, invalid UTF-8 after a UTF-8 BOM, and binary input (NUL bytes that are not
// UTF-16, or many control characters).
absl::StatusOr<DecodedText> DecodeToUtf8(absl::string_view bytes, absl::string_view file,
                                         size_t max_bytes = kDefaultMaxInputBytes);

// True if `text` is entirely valid UTF-8 (no overlong forms, surrogates or code points above
// U+10FFFF).
bool IsValidUtf8(absl::string_view text);

}  // namespace kerbside::text

#endif  // KERBSIDE_COMMON_TEXT_DECODE_H_
