#ifndef KERBSIDE_COMMON_PROBES_PROBES_JSON_H_
#define KERBSIDE_COMMON_PROBES_PROBES_JSON_H_

// probes.json: kerbside-agent's own probe results in a support bundle (format
// "kerbside-probes/1", documented in docs/probes-json.md). Written by
// `kerbside-agent probe --once --json`, read by the bundle loader. Pure: text in, proto out.

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kerbside/v1/evidence.pb.h"
#include "nlohmann/json.hpp"

namespace kerbside {

// The value of the "format" field this code writes and reads.
inline constexpr char kProbesJsonFormat[] = "kerbside-probes/1";

// Durations are seconds as JSON numbers, times RFC 3339 UTC strings of the probing host's
// clock, absent values null; clock offsets are positive when the probing host is ahead.
nlohmann::ordered_json ProbeResultsToJson(const v1::ProbeResults& results);

// Parses probes.json. Unknown fields are ignored (a newer minor writer may add some); a wrong
// type, an unknown enum name or another format is an error "FILE: field X: why".
absl::StatusOr<v1::ProbeResults> ParseProbesJson(absl::string_view text, absl::string_view file);

}  // namespace kerbside

#endif  // KERBSIDE_COMMON_PROBES_PROBES_JSON_H_
