#include "common/windows/w32tm.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/text/lines.h"

namespace kerbside::windows {
namespace {

using text::Line;
using text::ParseError;

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
  return out;
}

absl::Duration FromProtoDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

// "+00.0623991s", "-6829.4512345s", "0.0154902s", "1024s", "+00,0349344s" -> exact duration
// (nanosecond resolution; further digits are dropped). The trailing 's' is required.
std::optional<absl::Duration> ParseSeconds(absl::string_view s) {
  s = absl::StripAsciiWhitespace(s);
  if (!absl::ConsumeSuffix(&s, "s")) return std::nullopt;
  bool negative = false;
  if (absl::ConsumePrefix(&s, "-")) {
    negative = true;
  } else {
    absl::ConsumePrefix(&s, "+");
  }
  const size_t mark = s.find_first_of(".,");
  absl::string_view whole = s.substr(0, mark);
  absl::string_view fraction = mark == absl::string_view::npos ? "" : s.substr(mark + 1);
  if (whole.empty() || whole.size() > 12 || fraction.size() > 18) return std::nullopt;
  for (char c : whole) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  for (char c : fraction) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(whole, &seconds)) return std::nullopt;
  int64_t nanos = 0;
  for (size_t i = 0; i < 9; ++i) nanos = nanos * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  absl::Duration d = absl::Seconds(seconds) + absl::Nanoseconds(nanos);
  return negative ? -d : d;
}

// "HH:MM:SS" at the very start of the line.
bool StartsWithTimeOfDay(absl::string_view line) {
  if (line.size() < 8) return false;
  for (size_t i : {0, 1, 3, 4, 6, 7}) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(line[i]))) return false;
  }
  return line[2] == ':' && line[5] == ':';
}

// Somewhere in the line: d:dd (a clock time), as in "The current time is 4/3/2017 9:56:11 AM."
bool ContainsClockTime(absl::string_view line) {
  for (size_t i = 1; i + 2 < line.size(); ++i) {
    if (line[i] == ':' && absl::ascii_isdigit(static_cast<unsigned char>(line[i - 1])) &&
        absl::ascii_isdigit(static_cast<unsigned char>(line[i + 1])) &&
        absl::ascii_isdigit(static_cast<unsigned char>(line[i + 2]))) {
      return true;
    }
  }
  return false;
}

// The first "0x" + up to 8 hex digits in `s`.
std::optional<uint32_t> FindHresult(absl::string_view s) {
  const std::string lower = absl::AsciiStrToLower(s);
  const size_t at = lower.find("0x");
  if (at == std::string::npos) return std::nullopt;
  size_t end = at + 2;
  while (end < lower.size() && end - at - 2 < 8 && absl::ascii_isxdigit(lower[end])) ++end;
  uint32_t value = 0;
  if (end == at + 2 || !absl::SimpleHexAtoi(lower.substr(at + 2, end - at - 2), &value)) {
    return std::nullopt;
  }
  return value;
}

// "Tracking X [10.0.0.10:123]." (any language: "<words> X [addr]." with '.' or '。').
bool ParseTracking(absl::string_view line, std::string* target, std::string* address) {
  line = absl::StripAsciiWhitespace(line);
  if (!absl::ConsumeSuffix(&line, "].") && !absl::ConsumeSuffix(&line, "]\xE3\x80\x82")) {
    return false;
  }
  const size_t open = line.rfind(" [");
  if (open == absl::string_view::npos) return false;
  absl::string_view before = absl::StripAsciiWhitespace(line.substr(0, open));
  const size_t space = before.find_last_of(" \t");
  *target = std::string(space == absl::string_view::npos ? before : before.substr(space + 1));
  absl::string_view addr = line.substr(open + 2);
  // Drop ":123" when what is left holds no other ':' (IPv4 or a name); keep IPv6 whole.
  const size_t colon = addr.rfind(':');
  if (colon != absl::string_view::npos &&
      addr.substr(0, colon).find(':') == absl::string_view::npos) {
    addr = addr.substr(0, colon);
  }
  *address = std::string(addr);
  return !target->empty();
}

// One "HH:MM:SS ..." line into `sample`; false when the rest is no known form.
bool ParseSample(absl::string_view line, v1::W32tmStripchart::Sample* sample, bool* dataonly) {
  sample->set_time_of_day(std::string(line.substr(0, 8)));
  absl::string_view rest = absl::StripAsciiWhitespace(line.substr(8));
  absl::ConsumePrefix(&rest, ",");
  rest = absl::StripAsciiWhitespace(rest);
  std::vector<absl::string_view> tokens =
      absl::StrSplit(rest, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (tokens.empty()) return false;
  if (absl::StartsWithIgnoreCase(tokens[0], "d:")) {
    if (tokens.size() < 2 || !absl::StartsWithIgnoreCase(tokens[1], "o:")) return false;
    auto delay = ParseSeconds(tokens[0].substr(2));
    auto offset = ParseSeconds(tokens[1].substr(2));
    if (!delay || !offset) return false;
    sample->set_ok(true);
    *sample->mutable_printed_delay() = ToProtoDuration(*delay);
    *sample->mutable_printed_offset() = ToProtoDuration(*offset);
    *dataonly = false;
    return true;
  }
  if (auto offset = ParseSeconds(tokens[0]); offset && tokens.size() == 1) {
    sample->set_ok(true);
    *sample->mutable_printed_offset() = ToProtoDuration(*offset);
    *dataonly = true;
    return true;
  }
  if (auto hresult = FindHresult(rest)) {
    sample->set_ok(false);
    sample->set_error_hresult(*hresult);
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// /query /status.

// Splits "Label: value" at the first ASCII or full-width colon.
bool SplitLabel(absl::string_view line, std::string* label, absl::string_view* value) {
  const size_t ascii = line.find(':');
  const size_t wide = line.find("\xEF\xBC\x9A");  // U+FF1A
  size_t at = std::min(ascii, wide);
  if (at == absl::string_view::npos) return false;
  *label = absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, at)));
  *value = absl::StripAsciiWhitespace(line.substr(at + (at == wide ? 3 : 1)));
  return true;
}

std::optional<int32_t> LeadingInt(absl::string_view v) {
  size_t end = 0;
  if (end < v.size() && (v[end] == '-' || v[end] == '+')) ++end;
  while (end < v.size() && absl::ascii_isdigit(static_cast<unsigned char>(v[end]))) ++end;
  int32_t out = 0;
  if (!absl::SimpleAtoi(v.substr(0, end), &out)) return std::nullopt;
  return out;
}

// "0(no warning)": a number directly followed by '(' is the Leap Indicator in any language.
bool LooksLikeLeapValue(absl::string_view v) {
  return v.size() >= 2 && absl::ascii_isdigit(static_cast<unsigned char>(v[0])) && v[1] == '(';
}

absl::string_view InParens(absl::string_view v) {
  const size_t open = v.find('(');
  const size_t close = v.rfind(')');
  if (open == absl::string_view::npos || close == absl::string_view::npos || close < open) {
    return "";
  }
  return v.substr(open + 1, close - open - 1);
}

// Positions of the lines after the Leap Indicator, used when a label is not English.
constexpr const char* kPositionalLabels[] = {
    "stratum",         "precision",     "root delay",
    "root dispersion", "referenceid",   "last successful sync time",
    "source",          "poll interval",
};

bool IsKnownLabel(absl::string_view label) {
  for (const char* known : kPositionalLabels) {
    if (label == known) return true;
  }
  for (const char* known :
       {"phase offset", "clockrate", "state machine", "time source flags", "server role",
        "last sync error", "time since last good sync time", "leap indicator"}) {
    if (label == known) return true;
  }
  return false;
}

absl::Status ApplyStatusField(absl::string_view label, absl::string_view value,
                              v1::W32tmStatus* status, absl::string_view file, int line) {
  auto bad = [&](absl::string_view what) {
    return ParseError(file, line, absl::StrCat("unreadable ", what, ": '", value, "'"));
  };
  auto seconds = [&](absl::string_view v, google::protobuf::Duration* out) -> absl::Status {
    auto d = ParseSeconds(v);
    if (!d) return bad(label);
    *out = ToProtoDuration(*d);
    return absl::OkStatus();
  };
  if (label == "stratum" || label == "precision" || label == "last sync error") {
    auto n = LeadingInt(value);
    if (!n) return bad(label);
    if (label == "stratum") status->set_stratum(*n);
    if (label == "precision") status->set_precision(*n);
    if (label == "last sync error") status->set_last_sync_error(*n);
  } else if (label == "root delay") {
    return seconds(value, status->mutable_root_delay());
  } else if (label == "root dispersion") {
    return seconds(value, status->mutable_root_dispersion());
  } else if (label == "phase offset") {
    return seconds(value, status->mutable_phase_offset());
  } else if (label == "time since last good sync time") {
    return seconds(value, status->mutable_time_since_last_good_sync());
  } else if (label == "poll interval") {
    return seconds(InParens(value), status->mutable_poll_interval());
  } else if (label == "referenceid") {
    const size_t space = value.find_first_of(" \t(");
    absl::string_view id = absl::StripAsciiWhitespace(value.substr(0, space));
    if (!absl::StartsWithIgnoreCase(id, "0x")) return bad(label);
    status->set_reference_id(std::string(id));
    absl::string_view inner = InParens(value);
    if (const size_t colon = inner.find(':'); colon != absl::string_view::npos) {
      absl::string_view what = absl::StripAsciiWhitespace(inner.substr(colon + 1));
      if (what.size() >= 2 && what.front() == '"' && what.back() == '"') {
        status->set_reference_name(std::string(what.substr(1, what.size() - 2)));
      } else {
        status->set_reference_address(std::string(what));
      }
    }
  } else if (label == "last successful sync time") {
    status->set_last_successful_sync_time(std::string(value));
  } else if (label == "source") {
    absl::string_view source = value;
    if (const size_t flags = source.rfind(",0x"); flags != absl::string_view::npos) {
      status->set_source_flags(std::string(source.substr(flags + 1)));
      source = source.substr(0, flags);
    }
    status->set_source(std::string(absl::StripAsciiWhitespace(source)));
  }
  // ClockRate, State Machine, Time Source Flags, Server Role: not needed by any rule.
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<v1::W32tmStripchart>> ParseW32tmStripchartRuns(absl::string_view text,
                                                                          absl::string_view file) {
  const std::vector<Line> lines = text::SplitLines(text);
  std::vector<v1::W32tmStripchart> runs;
  v1::W32tmStripchart* run = nullptr;
  auto ensure_run = [&]() {
    if (run == nullptr) run = &runs.emplace_back();
    return run;
  };
  for (const Line& line : lines) {
    absl::string_view t = absl::StripAsciiWhitespace(line.text);
    if (t.empty()) continue;
    if (t == "^C") {
      run = nullptr;
      continue;
    }
    if (StartsWithTimeOfDay(t)) {
      v1::W32tmStripchart::Sample sample;
      bool dataonly = false;
      if (!ParseSample(t, &sample, &dataonly)) {
        return ParseError(file, line.number,
                          absl::StrCat("unreadable stripchart sample: '", t, "'"));
      }
      v1::W32tmStripchart* r = ensure_run();
      if (sample.ok()) r->set_dataonly(dataonly);
      *r->add_samples() = std::move(sample);
      continue;
    }
    std::string target, address;
    if (ParseTracking(t, &target, &address)) {
      run = &runs.emplace_back();
      run->set_target(target);
      run->set_target_address(address);
      continue;
    }
    const std::string lower = absl::AsciiStrToLower(t);
    if (absl::StrContains(lower, "error") && absl::StrContains(lower, "0x")) {
      if (auto hresult = FindHresult(t)) {
        ensure_run()->set_error_hresult(*hresult);
        continue;
      }
    }
    // "The current time is ..." comes after Tracking (and Collecting) and before samples.
    if (run != nullptr && run->samples().empty() && run->current_time_line().empty() &&
        ContainsClockTime(t)) {
      run->set_current_time_line(std::string(t));
    }
    // Anything else (Collecting N samples., prompts, echoes) carries nothing we need.
  }
  if (runs.empty()) {
    return ParseError(file, 0,
                      lines.empty() ? "empty file"
                                    : "no 'Tracking' line and no sample: not "
                                      "w32tm /stripchart output");
  }
  return runs;
}

absl::StatusOr<v1::W32tmStripchart> ParseW32tmStripchart(absl::string_view text,
                                                         absl::string_view file) {
  absl::StatusOr<std::vector<v1::W32tmStripchart>> runs = ParseW32tmStripchartRuns(text, file);
  if (!runs.ok()) return runs.status();
  return std::move(runs->back());
}

absl::Duration HostOffsetFromStripchart(const v1::W32tmStripchart::Sample& sample) {
  if (!sample.ok()) return absl::ZeroDuration();
  // w32tm prints remote minus local; a host ahead of its target prints a negative offset.
  return -FromProtoDuration(sample.printed_offset());
}

absl::StatusOr<v1::W32tmStatus> ParseW32tmStatus(absl::string_view text, absl::string_view file) {
  const std::vector<Line> lines = text::SplitLines(text);
  std::optional<size_t> leap;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string label;
    absl::string_view value;
    if (SplitLabel(lines[i].text, &label, &value) && LooksLikeLeapValue(value)) leap = i;
  }
  if (!leap) {
    if (lines.empty()) return ParseError(file, 0, "empty file");
    for (const Line& line : lines) {
      const std::string lower = absl::AsciiStrToLower(line.text);
      if (absl::StrContains(lower, "error occurred") || absl::StrContains(lower, "(0x8")) {
        return ParseError(file, line.number,
                          absl::StrCat("w32tm failed: ", absl::StripAsciiWhitespace(line.text)));
      }
    }
    return ParseError(file, 0, "no 'Leap Indicator: N(...)' line: not w32tm /query /status output");
  }

  v1::W32tmStatus status;
  {
    std::string label;
    absl::string_view value;
    SplitLabel(lines[*leap].text, &label, &value);
    status.set_leap_indicator(*LeadingInt(value));
  }
  size_t position = 0;  // index into kPositionalLabels for the next non-blank line
  for (size_t i = *leap + 1; i < lines.size(); ++i) {
    absl::string_view t = absl::StripAsciiWhitespace(lines[i].text);
    if (t.empty()) continue;  // e.g. the blank line before Phase Offset on newer builds
    std::string label;
    absl::string_view value;
    if (!SplitLabel(t, &label, &value)) break;                       // end of the block
    if (absl::StartsWith(label, "ps ") || label.size() == 1) break;  // "PS C:\...>", "C:\>"
    if (!IsKnownLabel(label)) {
      if (position >= std::size(kPositionalLabels)) continue;  // an unknown newer field
      label = kPositionalLabels[position];
    }
    if (label == "leap indicator") break;  // next block (its own parse would start there)
    ++position;
    if (absl::Status s = ApplyStatusField(label, value, &status, file, lines[i].number); !s.ok()) {
      return s;
    }
  }
  if (status.reference_id().empty() && status.source().empty()) {
    return ParseError(file, lines[*leap].number, "status block has no ReferenceId and no Source");
  }
  status.set_unsynchronized(status.leap_indicator() == 3 ||
                            absl::EqualsIgnoreCase(status.source(), "Local CMOS Clock") ||
                            absl::EqualsIgnoreCase(status.source(), "Free-running System Clock") ||
                            absl::EqualsIgnoreCase(status.reference_id(), "0x4C4F434C") ||
                            status.reference_name() == "LOCL");
  return status;
}

}  // namespace kerbside::windows
