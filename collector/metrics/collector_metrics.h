#ifndef KERBSIDE_COLLECTOR_METRICS_COLLECTOR_METRICS_H_
#define KERBSIDE_COLLECTOR_METRICS_COLLECTOR_METRICS_H_

#include <atomic>
#include <string>

#include "collector/agent_service.h"
#include "collector/alerts/dispatcher.h"
#include "collector/diagnoses/diagnosis_keeper.h"
#include "collector/fleet.h"
#include "collector/store.h"
#include "common/clock.h"

namespace kerbside::metrics {

// Ingest counters, fed by the agent service's on_ingest. Thread-safe.
struct IngestCounters {
  void Record(const collector::IngestEvent& e);
  std::atomic<int64_t> connections{0};
  std::atomic<int64_t> batches_stored{0};
  std::atomic<int64_t> batches_failed{0};
  std::atomic<int64_t> items_stored{0};
  std::atomic<int64_t> clock_samples{0};
};

// What /metrics reads; keeper and dispatcher may be null (no keeper, no sinks).
struct MetricsSources {
  const collector::Fleet* fleet = nullptr;
  collector::Store* store = nullptr;
  const Clock* clock = nullptr;
  const diagnoses::DiagnosisKeeper* keeper = nullptr;
  const alerts::Dispatcher* dispatcher = nullptr;
  const IngestCounters* ingest = nullptr;
};

// The collector's metrics in Prometheus text format (every family named kerbside_*).
std::string RenderCollectorMetrics(const MetricsSources& s);

}  // namespace kerbside::metrics

#endif  // KERBSIDE_COLLECTOR_METRICS_COLLECTOR_METRICS_H_
