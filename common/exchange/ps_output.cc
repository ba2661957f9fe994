#include "common/exchange/ps_output.h"

#include <cstdint>
#include <exception>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/text/lines.h"

namespace kerbside::exchange::internal {
namespace {

using nlohmann::json;

// "PS C:\>", "PS /home/x>", "[PS] C:\Windows\system32>", "C:\>", and a cmdlet invocation such as
// "Get-Queue | fl" or "Get-ADPermission ..." (Verb-Noun at the start of the line).
bool IsPromptOrEcho(absl::string_view line) {
  if (absl::StartsWith(line, "[PS]")) return true;
  if (absl::StartsWith(line, "PS ") && absl::StrContains(line, ">")) return true;
  if (line.size() >= 3 && absl::ascii_isalpha(line[0]) && line[1] == ':' && line[2] == '\\' &&
      absl::StrContains(line, ">")) {
    return true;
  }
  size_t i = 0;
  if (i < line.size() && absl::ascii_isupper(line[i])) {
    ++i;
    while (i < line.size() && absl::ascii_islower(line[i])) ++i;
    if (i > 1 && i + 1 < line.size() && line[i] == '-' && absl::ascii_isupper(line[i + 1])) {
      i += 2;
      while (i < line.size() && absl::ascii_isalnum(line[i])) ++i;
      return i == line.size() || line[i] == ' ';
    }
  }
  return false;
}

// Matches "Label : value" / "Label: value" at column 0; sets `label` and `value`. A label is one
// word; with no space before the colon it must start with a capital letter, so that a wrapped
// "responded with: ..." is not taken for a field.
bool MatchField(absl::string_view line, absl::string_view& label, absl::string_view& value) {
  if (line.empty() || !absl::ascii_isalpha(line[0])) return false;
  size_t i = 0;
  while (i < line.size() &&
         (absl::ascii_isalnum(line[i]) || line[i] == '_' || line[i] == '-' || line[i] == '.')) {
    ++i;
  }
  const size_t label_end = i;
  while (i < line.size() && line[i] == ' ') ++i;
  if (i >= line.size() || line[i] != ':') return false;
  if (i == label_end && !absl::ascii_isupper(line[0])) return false;
  if (i + 1 < line.size() && line[i + 1] != ' ' && line[i + 1] != '\t') return false;
  label = line.substr(0, label_end);
  value = absl::StripAsciiWhitespace(line.substr(i + 1));
  return true;
}

}  // namespace

absl::Status CheckInputSize(absl::string_view text, absl::string_view file) {
  if (text.size() > kMaxInputBytes) {
    return text::ParseError(file, 0,
                            absl::StrCat("file is ", text.size(), " bytes, more than the ",
                                         kMaxInputBytes, "-byte limit for Exchange cmdlet output"));
  }
  return absl::OkStatus();
}

const FlField* FlRecord::Find(absl::string_view label) const {
  for (const FlField& f : fields) {
    if (absl::EqualsIgnoreCase(f.label, label)) return &f;
  }
  return nullptr;
}

std::vector<FlRecord> ParseFormatList(absl::string_view text) {
  std::vector<FlRecord> records;
  FlRecord current;
  // Lower-cased labels of `current`, so that spotting a repeated label stays O(1) per line even
  // for a hostile record with millions of fields.
  absl::flat_hash_set<std::string> labels;
  bool list_open = false;  // the last value started a "{..." list not yet closed
  const auto flush = [&] {
    if (!current.fields.empty()) records.push_back(std::move(current));
    current = FlRecord();
    labels.clear();
    list_open = false;
  };
  for (const text::Line& line : text::SplitLines(text)) {
    const absl::string_view raw = absl::StripTrailingAsciiWhitespace(line.text);
    const absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(raw);
    if (trimmed.empty()) continue;
    if (IsPromptOrEcho(trimmed)) {
      flush();
      continue;
    }
    absl::string_view label, value;
    if (!list_open && MatchField(raw, label, value)) {
      if (!labels.insert(absl::AsciiStrToLower(label)).second) {
        flush();
        labels.insert(absl::AsciiStrToLower(label));
      }
      if (current.fields.empty()) current.line = line.number;
      current.fields.push_back({std::string(label), std::string(value), line.number});
      list_open = absl::StartsWith(value, "{") && !absl::StrContains(value, "}");
      continue;
    }
    if (current.fields.empty()) continue;  // text before the first field
    std::string& v = current.fields.back().value;
    if (list_open) {
      v.append(trimmed.data(), trimmed.size());
      if (absl::StrContains(trimmed, "}")) list_open = false;
    } else if (absl::StartsWith(v, "{")) {
      flush();  // a closed list is complete: an unindented line after it belongs to no field
    } else {
      if (!v.empty()) v.push_back(' ');
      v.append(trimmed.data(), trimmed.size());
    }
  }
  flush();
  return records;
}

std::vector<std::string> SplitFlList(absl::string_view value, bool* truncated) {
  value = absl::StripAsciiWhitespace(value);
  absl::ConsumePrefix(&value, "{");
  absl::ConsumeSuffix(&value, "}");
  std::vector<std::string> items;
  for (absl::string_view item : absl::StrSplit(value, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (item.empty()) continue;
    // PowerShell appends "..." to the last item it shows ("{a, b, c, d...}"): d is real.
    if (absl::ConsumeSuffix(&item, "...") || absl::ConsumeSuffix(&item, "\xE2\x80\xA6")) {
      if (truncated != nullptr) *truncated = true;
      item = absl::StripAsciiWhitespace(item);
      if (item.empty()) continue;
    }
    items.emplace_back(item);
  }
  return items;
}

absl::StatusOr<json> ParsePsJson(absl::string_view text, absl::string_view file) {
  int first_line = 0;
  size_t start = absl::string_view::npos;
  for (const text::Line& line : text::SplitLines(text)) {
    const absl::string_view t = absl::StripLeadingAsciiWhitespace(line.text);
    if (absl::StartsWith(t, "[") || absl::StartsWith(t, "{")) {
      start = static_cast<size_t>(t.data() - text.data());
      first_line = line.number;
      break;
    }
  }
  if (start == absl::string_view::npos) {
    return text::ParseError(file, 0, "no JSON object or array found");
  }
  const size_t end = text.find_last_of("]}");
  if (end == absl::string_view::npos || end < start) {
    return text::ParseError(file, first_line, "JSON is not closed");
  }
  const absl::string_view body = text.substr(start, end - start + 1);
  try {
    return json::parse(body.begin(), body.end());
  } catch (const json::parse_error& e) {
    // e.byte is 1-based within `body`; turn it into a line of the file.
    const size_t upto = std::min<size_t>(e.byte > 0 ? e.byte - 1 : 0, body.size());
    const int line =
        first_line + static_cast<int>(std::count(body.begin(), body.begin() + upto, '\n'));
    return text::ParseError(file, line, absl::StrCat("invalid JSON: ", e.what()));
  } catch (const std::exception& e) {
    return text::ParseError(file, first_line, absl::StrCat("invalid JSON: ", e.what()));
  }
}

const json* Member(const json& object, absl::string_view key) {
  if (!object.is_object()) return nullptr;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (absl::EqualsIgnoreCase(it.key(), key)) return &it.value();
  }
  return nullptr;
}

std::optional<std::string> ScalarText(const json& value) {
  switch (value.type()) {
    case json::value_t::string:
      return value.get<std::string>();
    case json::value_t::number_integer:
      return absl::StrCat(value.get<int64_t>());
    case json::value_t::number_unsigned:
      return absl::StrCat(value.get<uint64_t>());
    case json::value_t::number_float:
      return absl::StrCat(value.get<double>());
    case json::value_t::boolean:
      return value.get<bool>() ? "True" : "False";
    case json::value_t::object:
      if (const json* inner = Member(value, "value"); inner != nullptr && !inner->is_object()) {
        return ScalarText(*inner);
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

std::string NormalizePsDate(absl::string_view text) {
  absl::string_view t = absl::StripAsciiWhitespace(text);
  if (!absl::ConsumePrefix(&t, "/Date(") && !absl::ConsumePrefix(&t, "\\/Date(")) {
    return std::string(text);
  }
  const size_t close = t.find(')');
  if (close == absl::string_view::npos) return std::string(text);
  absl::string_view number = t.substr(0, close);
  if (const size_t sign = number.find_first_of("+-", 1); sign != absl::string_view::npos) {
    number = number.substr(0, sign);
  }
  int64_t ms = 0;
  if (!absl::SimpleAtoi(number, &ms)) return std::string(text);
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

std::vector<std::string> FlagNames(int64_t value,
                                   const std::vector<std::pair<int64_t, const char*>>& table) {
  std::vector<std::string> names;
  if (value == 0) {
    for (const auto& [bit, name] : table) {
      if (bit == 0) names.emplace_back(name);
    }
    return names;
  }
  int64_t rest = value;
  for (const auto& [bit, name] : table) {
    if (bit != 0 && (value & bit) == bit) {
      names.emplace_back(name);
      rest &= ~bit;
    }
  }
  for (int i = 0; i < 63; ++i) {
    const int64_t bit = int64_t{1} << i;
    if (rest & bit) names.push_back(absl::StrCat("0x", absl::Hex(bit)));
  }
  return names;
}

}  // namespace kerbside::exchange::internal
