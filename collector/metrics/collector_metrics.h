#ifndef KERBSIDE_COLLECTOR_METRICS_COLLECTOR_METRICS_H_
#define KERBSIDE_COLLECTOR_METRICS_COLLECTOR_METRICS_H_

#include <atomic>
#include <functional>
#include <string>

#include "collector/alerts/dispatcher.h"
#include "collector/diagnoses/diagnosis_keeper.h"
#include "collector/ingest_event.h"
#include "collector/store/evidence_store.h"
#include "collector/store/outbox_store.h"
#include "common/clock.h"
#include "kerbside/v1/query.pb.h"

namespace kerbside::metrics {

// Ingest counters, fed by the agent service's on_ingest. Thread-safe.
struct IngestCounters {
  void Record(const collector::IngestEvent& e);
  std::atomic<int64_t> connections{0};
  std::atomic<int64_t> batches_stored{0};
  std::atomic<int64_t> batches_failed{0};
  std::atomic<int64_t> items_stored{0};
  std::atomic<int64_t> clock_samples{0};
  std::atomic<int64_t> inventories_full{0};
  std::atomic<int64_t> inventories_delta{0};
  std::atomic<int64_t> inventory_hosts{0};  // entries, over all inventories sent
  std::atomic<int64_t> inventory_bytes{0};
};

// What /metrics reads; keeper and dispatcher may be null (no keeper, no sinks).
struct MetricsSources {
  // The fleet's hosts as `kerbside hosts` lists them (collector::HostRegistry::ListHosts).
  std::function<v1::ListHostsResponse()> list_hosts;
  collector::EvidenceStore* evidence = nullptr;
  collector::OutboxStore* outbox = nullptr;
  const Clock* clock = nullptr;
  const diagnoses::DiagnosisKeeper* keeper = nullptr;
  const alerts::Dispatcher* dispatcher = nullptr;
  const IngestCounters* ingest = nullptr;
};

// The collector's metrics in Prometheus text format (every family named kerbside_*).
std::string RenderCollectorMetrics(const MetricsSources& s);

}  // namespace kerbside::metrics

#endif  // KERBSIDE_COLLECTOR_METRICS_COLLECTOR_METRICS_H_
