#include "collector/live_model.h"

#include "absl/strings/str_cat.h"
#include "collector/correlator/correlator.h"
#include "common/proto_time.h"

namespace kerbside::collector {

absl::StatusOr<model::FleetModel> BuildLiveModel(const HostRegistry& fleet, EvidenceStore* store,
                                                 absl::Duration max_clock_skew,
                                                 absl::Time events_since) {
  model::FleetModel m;
  m.format = "live";
  m.max_clock_skew = max_clock_skew;
  const v1::ListHostsResponse hosts = fleet.ListHosts();
  for (const v1::HostStatus& h : hosts.hosts()) {
    model::HostEvidence& host = m.hosts[h.identity().netbios_name()];
    host.name = h.identity().netbios_name();
    host.identity = h.identity();
    host.has_identity = true;
    if (h.has_clock_vs_collector()) {
      const v1::ClockEstimate& c = h.clock_vs_collector();
      v1::Evidence e;
      e.set_host(host.name);
      e.set_source("collector");
      e.set_origin("collector clock exchange");
      *e.mutable_observed_host_time() = c.measured_at();
      *e.mutable_received_at() = c.measured_at();
      v1::ClockReading* r = e.mutable_clock_reading();
      r->set_method(v1::ClockReading::COLLECTOR_EXCHANGE);
      r->set_reference("collector");
      *r->mutable_offset() = c.offset();
      *r->mutable_uncertainty() = c.uncertainty();
      *r->mutable_delay() = c.delay();
      *r->mutable_measured_at() = c.measured_at();
      host.evidence.push_back(std::move(e));
    }
  }
  auto evidence = store->LoadEvidence("");
  if (!evidence.ok()) return evidence.status();
  auto window = store->LoadEventWindow("", events_since);
  if (!window.ok()) return window.status();
  evidence->insert(evidence->end(), std::make_move_iterator(window->begin()),
                   std::make_move_iterator(window->end()));
  for (v1::Evidence& e : *evidence) {
    model::HostEvidence& host = m.hosts[e.host()];
    host.name = e.host();
    host.evidence.push_back(std::move(e));
  }
  auto health = store->LoadSourceHealth();
  if (!health.ok()) return health.status();
  for (const SourceHealthRecord& h : *health) {
    if (h.state == "OK") continue;
    m.hosts[h.host].problems.push_back(
        {h.source, absl::StrCat(h.host, " source ", h.source, " ", h.state, ": ", h.reason)});
  }
  return m;
}

absl::StatusOr<diagnoses::CorrelationRun> CorrelateLive(const HostRegistry& fleet,
                                                        EvidenceStore* store, absl::Time now,
                                                        const LiveCorrelationOptions& options) {
  auto m = BuildLiveModel(fleet, store, options.max_clock_skew, now - options.event_window);
  if (!m.ok()) return m.status();
  diagnoses::CorrelationRun run;
  run.diagnoses = correlator::Correlate(
      *m, now, {.max_clock_skew = options.max_clock_skew, .stale_after = options.stale_after});
  for (const auto& [name, host] : m->hosts) {
    if (host.has_identity) run.site_by_host[name] = host.identity.site();
  }
  return run;
}

}  // namespace kerbside::collector
