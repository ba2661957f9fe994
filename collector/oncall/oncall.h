#ifndef KERBSIDE_COLLECTOR_ONCALL_ONCALL_H_
#define KERBSIDE_COLLECTOR_ONCALL_ONCALL_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collector/agent_service.h"
#include "collector/alerts/dispatcher.h"
#include "collector/diagnoses/diagnosis_keeper.h"
#include "collector/host_registry.h"
#include "collector/metrics/collector_metrics.h"
#include "collector/metrics/metrics_server.h"
#include "collector/store/store.h"
#include "common/clock.h"

namespace kerbside::oncall {

// The collector's on-call flags (also config-file keys).
struct OnCallFlags {
  std::vector<std::string> alert_sinks;
  std::string metrics_listen = "127.0.0.1:9464";
  std::string diagnosis_interval = "5s";
  std::string diagnosis_recheck_interval = "30s";
  std::string alert_hold = "60s";
  std::string alert_resolve_hold = "60s";
  std::string alert_retry_initial = "1s";
  std::string alert_retry_max = "60s";
  std::string alert_give_up_after = "24h";
};
void AddOnCallFlags(CLI::App& app, OnCallFlags* flags);

// Diagnosis keeper, alert dispatcher and /metrics of one collector, wired together.
class OnCall {
 public:
  // Validates the flags and builds everything; starts nothing.
  static absl::StatusOr<std::unique_ptr<OnCall>> Create(const OnCallFlags& flags,
                                                        const collector::HostRegistry* fleet,
                                                        collector::Store* store, const Clock* clock,
                                                        absl::Duration max_clock_skew,
                                                        absl::Duration stale_after,
                                                        absl::Duration event_window);
  ~OnCall();
  // The agent service's on_ingest: counts, and tells the keeper about new evidence.
  std::function<void(const collector::IngestEvent&)> IngestHook();
  void Start();
  void Stop();

 private:
  OnCall() = default;

  OnCallFlags flags_;
  const collector::HostRegistry* fleet_ = nullptr;
  collector::Store* store_ = nullptr;
  const Clock* clock_ = nullptr;
  metrics::IngestCounters ingest_;
  std::unique_ptr<alerts::HttpClient> http_;
  std::unique_ptr<diagnoses::DiagnosisKeeper> keeper_;
  std::unique_ptr<alerts::Dispatcher> dispatcher_;
  std::unique_ptr<metrics::MetricsServer> metrics_;
  bool started_ = false;
};

}  // namespace kerbside::oncall

#endif  // KERBSIDE_COLLECTOR_ONCALL_ONCALL_H_
