#ifndef KERBSIDE_COLLECTOR_CORRELATOR_CORRELATOR_H_
#define KERBSIDE_COLLECTOR_CORRELATOR_CORRELATOR_H_

#include <string>

#include "absl/time/time.h"
#include "collector/correlator/diagnosis.h"
#include "common/model/fleet_model.h"
#include "nlohmann/json.hpp"

namespace kerbside::correlator {

struct CorrelatorOptions {
  // Kerberos' tolerance (domain policy "Maximum tolerance for computer clock synchronization").
  // The fleet model's value (bundle.json) wins over this default.
  absl::Duration max_clock_skew = absl::Minutes(5);
  // Evidence older than this is reported as stale and cannot alone confirm a cause.
  absl::Duration stale_after = absl::Hours(24);
};

// Decides which documented cause explains every stuck queue (DESIGN.md §1-§3). A pure,
// deterministic function of the fleet model and `now`: no clock, no network, no randomness.
Diagnoses Correlate(const model::FleetModel& fleet, absl::Time now,
                    const CorrelatorOptions& options);

// The JSON of DESIGN.md §5 (`kerbside diagnose --json`, the query API).
nlohmann::ordered_json DiagnosesToJson(const Diagnoses& d);
// The text form: per diagnosis the sentence to paste into a ticket, then evidence, then the fix.
std::string DiagnosesToText(const Diagnoses& d);

}  // namespace kerbside::correlator

#endif  // KERBSIDE_COLLECTOR_CORRELATOR_CORRELATOR_H_
