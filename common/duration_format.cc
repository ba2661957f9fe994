#include "common/duration_format.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kerbside {

std::string FormatSignedDuration(absl::Duration d) {
  const char* sign = d < absl::ZeroDuration() ? "-" : "+";
  const int64_t total_ms = std::llabs(absl::ToInt64Milliseconds(d));
  const int64_t ms = total_ms % 1000;
  const int64_t s = (total_ms / 1000) % 60;
  const int64_t m = (total_ms / 60000) % 60;
  const int64_t h = total_ms / 3600000;
  if (h > 0) return absl::StrFormat("%s%dh%02dm%02d.%03ds", sign, h, m, s, ms);
  if (m > 0) return absl::StrFormat("%s%dm%02d.%03ds", sign, m, s, ms);
  return absl::StrFormat("%s%d.%03ds", sign, s, ms);
}

std::string FormatShortDuration(absl::Duration d) {
  d = absl::AbsDuration(d);
  // Whole seconds are rounded, not truncated: 431.9997 s reads "7m12s".
  const int64_t total_s = std::llround(absl::ToDoubleSeconds(d));
  if (total_s < 60) {
    const double secs = absl::ToDoubleSeconds(d);
    return secs == static_cast<double>(total_s) ? absl::StrCat(total_s, "s")
                                                : absl::StrFormat("%.1fs", secs);
  }
  const int64_t h = total_s / 3600, m = (total_s / 60) % 60, s = total_s % 60;
  if (h > 0) return m > 0 ? absl::StrFormat("%dh%02dm", h, m) : absl::StrFormat("%dh", h);
  return s > 0 ? absl::StrFormat("%dm%02ds", m, s) : absl::StrFormat("%dm", m);
}

std::string FormatAge(absl::Duration d) {
  if (d < absl::ZeroDuration()) d = absl::ZeroDuration();
  if (d < absl::Minutes(1)) return absl::StrCat(absl::ToInt64Seconds(d), "s ago");
  if (d < absl::Hours(1)) return absl::StrCat(absl::ToInt64Minutes(d), "m ago");
  if (d < absl::Hours(48)) return absl::StrCat(absl::ToInt64Hours(d), "h ago");
  return absl::StrCat(absl::ToInt64Hours(d) / 24, "d ago");
}

absl::StatusOr<absl::Duration> ParseDurationFlag(const std::string& flag, const std::string& text,
                                                 absl::Duration legacy_unit, std::string* warning) {
  absl::Duration d;
  double number = 0;
  if (absl::SimpleAtod(text, &number) && std::isfinite(number)) {
    d = number * legacy_unit;
    if (d > absl::ZeroDuration()) {
      const char* unit = legacy_unit == absl::Hours(1)     ? "hours"
                         : legacy_unit == absl::Minutes(1) ? "minutes"
                                                           : "seconds";
      *warning = absl::StrCat("--", flag, " ", text, ": a bare number is read as ", unit,
                              " (the older spelling); write the unit: --", flag, " ",
                              FormatShortDuration(d));
      return d;
    }
  } else if (absl::ParseDuration(text, &d) && d > absl::ZeroDuration() &&
             d != absl::InfiniteDuration()) {
    return d;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--", flag, ": '", text, "' is not a positive duration such as 300s, 5m or 24h"));
}

}  // namespace kerbside
