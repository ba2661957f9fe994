#ifndef KERBSIDE_COLLECTOR_LIVE_MODEL_H_
#define KERBSIDE_COLLECTOR_LIVE_MODEL_H_

#include "absl/status/statusor.h"
#include "collector/diagnoses/diagnosis_keeper.h"
#include "collector/host_registry.h"
#include "collector/store/evidence_store.h"
#include "common/model/fleet_model.h"

namespace kerbside::collector {

// The live fleet as the correlator's model: every host the collector knows, the evidence its
// agents streamed, each source's health as problems, and the collector's own clock
// measurements as clock readings (reference "collector"). Events come from the window of recent
// events: those last seen at or after `events_since` (collector clock).
absl::StatusOr<model::FleetModel> BuildLiveModel(const HostRegistry& fleet, EvidenceStore* store,
                                                 absl::Duration max_clock_skew,
                                                 absl::Time events_since);

struct LiveCorrelationOptions {
  absl::Duration max_clock_skew = absl::Minutes(5);
  absl::Duration stale_after = absl::Hours(24);
  absl::Duration event_window = absl::Hours(24);  // events last seen this long ago still count
};

// The correlator over the live fleet at `now`, and each host's AD site beside it: what the
// diagnosis keeper observes and the query service's Diagnose answers, made one way.
absl::StatusOr<diagnoses::CorrelationRun> CorrelateLive(const HostRegistry& fleet,
                                                        EvidenceStore* store, absl::Time now,
                                                        const LiveCorrelationOptions& options);

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_LIVE_MODEL_H_
