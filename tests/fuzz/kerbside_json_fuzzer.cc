// Any bytes, fed to each parser of kerbside's own bundle files (probes.json,
// clock-readings.json, computer-accounts.json, event-aggregates-*.json): each fails with a
// "fuzz..." error or returns a value that holds its invariants; none crashes, throws, hangs or
// leaks.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/match.h"
#include "common/bundle/accounts_json.h"
#include "common/bundle/clock_json.h"
#include "common/bundle/event_aggregates_json.h"
#include "common/probes/probes_json.h"

namespace {

template <typename T>
bool FailedWell(const absl::StatusOr<T>& parsed) {
  if (parsed.ok()) return false;
  if (!absl::StartsWith(parsed.status().message(), "fuzz")) std::abort();
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  FailedWell(kerbside::ParseProbesJson(text, "fuzz"));
  FailedWell(kerbside::bundle::ParseClockReadingsJson(text, "fuzz"));
  FailedWell(kerbside::bundle::ParseComputerAccountsJson(text, "fuzz"));
  auto aggregates = kerbside::bundle::ParseEventAggregatesJson(text, "fuzz");
  if (!FailedWell(aggregates)) {
    for (const auto& a : *aggregates) {
      // Every aggregate has examples, a count and a time span in order.
      if (a.examples_size() == 0 || a.count() < 1) std::abort();
      if (a.first_seen().seconds() > a.last_seen().seconds()) std::abort();
    }
  }
  return 0;
}
