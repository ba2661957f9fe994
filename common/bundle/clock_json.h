#ifndef KERBSIDE_COMMON_BUNDLE_CLOCK_JSON_H_
#define KERBSIDE_COMMON_BUNDLE_CLOCK_JSON_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kerbside/v1/evidence.pb.h"
#include "nlohmann/json.hpp"

namespace kerbside::bundle {

// hosts/<NAME>/clock-readings.json (format "kerbside-clock/1"): kerbside's own clock
// measurements of the host, e.g. the collector's four-timestamp exchanges, which no Windows tool
// writes. An addition to DESIGN.md §5, so that an exported live fleet keeps them:
//   {"format":"kerbside-clock/1","readings":[{"method":"collector_exchange",
//     "reference":"collector","offset_seconds":420.0,"uncertainty_seconds":0.0002,
//     "delay_seconds":0.0004,"measured_at":"2026-11-27T08:00:00.000Z"}]}
// offset_seconds: positive = this host ahead of the reference.
nlohmann::ordered_json ClockReadingsToJson(const std::vector<v1::ClockReading>& readings);
absl::StatusOr<std::vector<v1::ClockReading>> ParseClockReadingsJson(absl::string_view text,
                                                                     absl::string_view file);

}  // namespace kerbside::bundle

#endif  // KERBSIDE_COMMON_BUNDLE_CLOCK_JSON_H_
