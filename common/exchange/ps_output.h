#ifndef KERBSIDE_COMMON_EXCHANGE_PS_OUTPUT_H_
#define KERBSIDE_COMMON_EXCHANGE_PS_OUTPUT_H_

// Internal helpers for the two shapes PowerShell gives Exchange objects in a support bundle:
// Format-List text and ConvertTo-Json. Not part of the library's interface.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace kerbside::exchange::internal {

// Exchange cmdlet output is small (a big org has a few hundred queues and connectors, well
// under 1 MB); anything larger is the wrong file and is refused before any work.
inline constexpr size_t kMaxInputBytes = 8u << 20;  // 8 MiB

absl::Status CheckInputSize(absl::string_view text, absl::string_view file);

// ---------------------------------------------------------------------------------------------
// Format-List.

struct FlField {
  std::string label;
  std::string value;  // continuation lines joined (see ParseFormatList)
  int line = 0;       // 1-based line of "Label : value"
};

struct FlRecord {
  int line = 0;  // line of the first field
  std::vector<FlField> fields;
  // The field with this label (ASCII case-insensitive), or nullptr.
  const FlField* Find(absl::string_view label) const;
};

// Splits Format-List output into records of "Label : value" fields. Tolerates what copies of it
// look like: label padding aligned or collapsed; blank lines between every line (forum pastes);
// values wrapped at console width onto following lines, indented or not, joined with one space
// ("{...}" lists are joined without one, so a wrap inside an item does not split it); prompt
// and command echo lines ("PS C:\>", "[PS] C:\Windows\system32>", "Get-Queue | fl") ending the
// record in progress. A new record starts when a label repeats.
std::vector<FlRecord> ParseFormatList(absl::string_view text);

// Items of a Format-List multi-valued property "{a, b, c}" (braces optional). The "..." that
// $FormatEnumerationLimit appends to the last shown item is removed and reported through
// `truncated` (more items exist than are listed).
std::vector<std::string> SplitFlList(absl::string_view value, bool* truncated);

// ---------------------------------------------------------------------------------------------
// ConvertTo-Json.

// Parses ConvertTo-Json output, skipping prompt/echo lines before the first line that starts
// with '[' or '{' and anything after the last ']' or '}'. Errors name FILE:LINE.
absl::StatusOr<nlohmann::json> ParsePsJson(absl::string_view text, absl::string_view file);

// Member `key` of a JSON object, matched ASCII case-insensitively; nullptr if absent or not an
// object.
const nlohmann::json* Member(const nlohmann::json& object, absl::string_view key);

// A JSON scalar as text: strings as they are, integers in decimal, booleans "True"/"False".
// Windows PowerShell 5.1 sometimes wraps a value in {"value": X, ...} (PSObject with note
// properties, e.g. dates from Get-Date): X is used. nullopt for null, arrays and other objects.
std::optional<std::string> ScalarText(const nlohmann::json& value);

// "/Date(1700000000000)/" (Windows PowerShell 5.1's DateTime, milliseconds since the Unix epoch,
// optionally followed by a "+hhmm" offset that does not change the instant) becomes
// "2023-11-14T22:13:20Z"; anything else is returned unchanged (PowerShell 7 writes ISO 8601).
std::string NormalizePsDate(absl::string_view text);

// Names of the bits set in `value` from a [Flags] enum table {bit, name}; bits without a name
// are reported as "0x..." so nothing is silently lost. 0 gives the name of 0 if the table has
// one ("None"), else nothing.
std::vector<std::string> FlagNames(int64_t value,
                                   const std::vector<std::pair<int64_t, const char*>>& table);

}  // namespace kerbside::exchange::internal

#endif  // KERBSIDE_COMMON_EXCHANGE_PS_OUTPUT_H_
