#include "collector/metrics/collector_metrics.h"

#include <map>

#include "collector/correlator/causes.h"
#include "collector/correlator/diagnosis.h"
#include "collector/metrics/prometheus_text.h"
#include "common/model/queue_state.h"
#include "common/proto_time.h"
#include "spdlog/spdlog.h"

namespace kerbside::metrics {
namespace {}  // namespace

void IngestCounters::Record(const collector::IngestEvent& e) {
  using Kind = collector::IngestEvent::Kind;
  switch (e.kind) {
    case Kind::kConnected:
      ++connections;
      break;
    case Kind::kBatchStored:
      ++batches_stored;
      items_stored += e.items;
      break;
    case Kind::kBatchFailed:
      ++batches_failed;
      break;
    case Kind::kClockSample:
      ++clock_samples;
      break;
    case Kind::kInventorySent:
      ++(e.source == "delta" ? inventories_delta : inventories_full);
      inventory_hosts += e.items;
      inventory_bytes += e.bytes;
      break;
  }
}

namespace {

// Hosts known and connected, and each agent's spool backlog.
void HostMetrics(const v1::ListHostsResponse& hosts, PrometheusText& t) {
  int connected = 0;
  for (const v1::HostStatus& h : hosts.hosts()) connected += h.connected();
  t.Family("kerbside_hosts_known", "gauge", "Hosts the collector knows (connected or not).");
  t.Sample("kerbside_hosts_known", {}, hosts.hosts_size());
  t.Family("kerbside_hosts_connected", "gauge", "Hosts whose agent stream is open now.");
  t.Sample("kerbside_hosts_connected", {}, connected);
  t.Family("kerbside_host_connected", "gauge", "1 while the host's agent stream is open.");
  for (const v1::HostStatus& h : hosts.hosts()) {
    t.Sample("kerbside_host_connected", {{"host", h.identity().netbios_name()}}, h.connected());
  }
  t.Family("kerbside_agent_spooled_batches", "gauge",
           "Batches the agent's spool holds unacknowledged, as its last heartbeat said; a growing "
           "backlog means its evidence is not arriving.");
  for (const v1::HostStatus& h : hosts.hosts()) {
    if (!h.has_spooled_batches()) continue;
    t.Sample("kerbside_agent_spooled_batches", {{"host", h.identity().netbios_name()}},
             static_cast<int64_t>(h.spooled_batches()));
  }
}

void ClockMetrics(const v1::ListHostsResponse& hosts, PrometheusText& t) {
  t.Family("kerbside_clock_offset_seconds", "gauge",
           "The host's clock offset measured by the collector; positive = the host is ahead. "
           "reference is \"collector\" or the reference host (the PDC emulator).");
  for (const v1::HostStatus& h : hosts.hosts()) {
    const std::string& name = h.identity().netbios_name();
    if (h.has_clock_vs_collector()) {
      t.Sample("kerbside_clock_offset_seconds", {{"host", name}, {"reference", "collector"}},
               absl::ToDoubleSeconds(FromProto(h.clock_vs_collector().offset())));
    }
    if (h.has_clock_vs_reference() && !h.reference_host().empty()) {
      t.Sample("kerbside_clock_offset_seconds", {{"host", name}, {"reference", h.reference_host()}},
               absl::ToDoubleSeconds(FromProto(h.clock_vs_reference().offset())));
    }
  }
  t.Family("kerbside_clock_uncertainty_seconds", "gauge",
           "Half the round-trip delay of the clock sample the offset comes from.");
  for (const v1::HostStatus& h : hosts.hosts()) {
    if (!h.has_clock_vs_collector()) continue;
    t.Sample("kerbside_clock_uncertainty_seconds", {{"host", h.identity().netbios_name()}},
             absl::ToDoubleSeconds(FromProto(h.clock_vs_collector().uncertainty())));
  }
}

// How old each source's snapshot is, and whether it said OK.
void EvidenceMetrics(const v1::ListHostsResponse& hosts, collector::EvidenceStore* evidence,
                     absl::Time now, PrometheusText& t) {
  t.Family("kerbside_evidence_age_seconds", "gauge",
           "Seconds since the collector last received the source's snapshot of the host "
           "(source \"collector_clock\": its own last clock measurement).");
  auto health = evidence->LoadSourceHealth();
  if (health.ok()) {
    for (const collector::SourceHealthRecord& h : *health) {
      t.Sample("kerbside_evidence_age_seconds", {{"host", h.host}, {"source", h.source}},
               absl::ToDoubleSeconds(now - h.received_at));
    }
  } else {
    spdlog::warn("metrics: {}", health.status().ToString());
  }
  for (const v1::HostStatus& h : hosts.hosts()) {
    if (!h.has_clock_vs_collector()) continue;
    t.Sample("kerbside_evidence_age_seconds",
             {{"host", h.identity().netbios_name()}, {"source", "collector_clock"}},
             absl::ToDoubleSeconds(now - FromProto(h.clock_vs_collector().measured_at())));
  }
  t.Family("kerbside_source_healthy", "gauge",
           "1 when the source's last snapshot said OK, 0 when DEGRADED or FAILING.");
  if (health.ok()) {
    for (const collector::SourceHealthRecord& h : *health) {
      t.Sample("kerbside_source_healthy", {{"host", h.host}, {"source", h.source}},
               h.state == "OK" ? 1 : 0);
    }
  }
}

void StuckQueueMetrics(collector::EvidenceStore* store, PrometheusText& t) {
  std::map<std::string, std::pair<int64_t, int64_t>> stuck;  // host -> (queues, messages)
  auto evidence = store->LoadEvidence("");
  if (evidence.ok()) {
    for (const v1::Evidence& e : *evidence) {
      if (e.kind_case() != v1::Evidence::kQueues) continue;
      auto& [queues, messages] = stuck[e.host()];
      for (const v1::Queue& q : e.queues().queues()) {
        if (!model::IsQueueStuck(q)) continue;
        ++queues;
        messages += q.message_count();
      }
    }
  } else {
    spdlog::warn("metrics: {}", evidence.status().ToString());
  }
  t.Family("kerbside_stuck_queues", "gauge", "Stuck queues the sending host last reported.");
  for (const auto& [host, n] : stuck) t.Sample("kerbside_stuck_queues", {{"host", host}}, n.first);
  t.Family("kerbside_stuck_messages", "gauge", "Messages in the host's stuck queues.");
  for (const auto& [host, n] : stuck) {
    t.Sample("kerbside_stuck_messages", {{"host", host}}, n.second);
  }
}

void KeeperMetrics(const diagnoses::DiagnosisKeeper& keeper, PrometheusText& t) {
  std::map<std::pair<std::string, std::string>, int64_t> by_cause_state;
  std::map<std::string, int64_t> queues_by_cause;
  // Every cause id and state is always exported, zeros included, so an alert rule on
  // kerbside_diagnoses{cause="clock_skew"} sees 0 rather than no data.
  for (const correlator::CauseInfo& cause : correlator::Causes()) {
    for (diagnoses::DiagnosisState st : diagnoses::kDiagnosisStates) {
      by_cause_state[{cause.id, std::string(diagnoses::DiagnosisStateName(st))}] = 0;
    }
    queues_by_cause[cause.id] = 0;
  }
  for (const diagnoses::KeptDiagnosis& k : keeper.Kept()) {
    ++by_cause_state[{k.cause, std::string(diagnoses::DiagnosisStateName(k.state))}];
    if (k.open()) queues_by_cause[k.cause] += static_cast<int64_t>(k.queue_ids.size());
  }
  t.Family("kerbside_diagnoses", "gauge",
           "Kept diagnoses by cause and state (pending: not held long enough to page; "
           "clearing: gone, not long enough to resolve).");
  for (const auto& [key, n] : by_cause_state) {
    t.Sample("kerbside_diagnoses", {{"cause", key.first}, {"state", key.second}}, n);
  }
  t.Family("kerbside_diagnosed_stuck_queues", "gauge",
           "Stuck queues explained by open diagnoses, by cause.");
  for (const auto& [cause, n] : queues_by_cause) {
    t.Sample("kerbside_diagnosed_stuck_queues", {{"cause", cause}}, n);
  }
  t.Family("kerbside_correlator_runs_total", "counter",
           "Correlator runs of the diagnosis keeper, by result.");
  t.Sample("kerbside_correlator_runs_total", {{"result", "ok"}},
           keeper.runs() - keeper.failed_runs());
  t.Sample("kerbside_correlator_runs_total", {{"result", "failed"}}, keeper.failed_runs());
}

void DispatcherMetrics(const alerts::Dispatcher& dispatcher, collector::OutboxStore* outbox,
                       PrometheusText& t) {
  t.Family("kerbside_alert_deliveries_total", "counter",
           "Alert notification attempts by sink and result (delivered, retry, rejected, "
           "gave_up, refreshed, refresh_failed).");
  auto counts = dispatcher.Counts();
  for (const auto& sink : dispatcher.sinks()) {
    for (const char* r :
         {alerts::kDelivered, alerts::kRetried, alerts::kRejected, alerts::kGaveUp}) {
      counts.try_emplace({sink->name(), sink->kind(), r}, 0);
    }
  }
  for (const auto& [key, n] : counts) {
    t.Sample("kerbside_alert_deliveries_total",
             {{"sink", std::get<0>(key)}, {"kind", std::get<1>(key)}, {"result", std::get<2>(key)}},
             static_cast<double>(n));
  }
  t.Family("kerbside_alert_outbox_pending", "gauge",
           "Alert notifications queued for the sink and not yet delivered.");
  std::map<std::string, int64_t> pending;
  for (const std::string& name : dispatcher.SinkNames()) pending[name] = 0;
  if (auto p = outbox->OutboxPending(); p.ok()) {
    for (const auto& [sink, n] : *p) {
      if (pending.count(sink)) pending[sink] = n;
    }
  }
  for (const auto& [sink, n] : pending) {
    t.Sample("kerbside_alert_outbox_pending", {{"sink", sink}}, n);
  }
}

void IngestMetrics(const IngestCounters& ingest, PrometheusText& t) {
  t.Family("kerbside_agent_connections_total", "counter", "Agent streams accepted.");
  t.Sample("kerbside_agent_connections_total", {}, ingest.connections.load());
  t.Family("kerbside_ingest_batches_total", "counter", "Evidence batches by result.");
  t.Sample("kerbside_ingest_batches_total", {{"result", "stored"}}, ingest.batches_stored.load());
  t.Sample("kerbside_ingest_batches_total", {{"result", "failed"}}, ingest.batches_failed.load());
  t.Family("kerbside_ingest_evidence_items_total", "counter", "Evidence items stored.");
  t.Sample("kerbside_ingest_evidence_items_total", {}, ingest.items_stored.load());
  t.Family("kerbside_ingest_clock_samples_total", "counter",
           "Clock exchanges completed with agents.");
  t.Sample("kerbside_ingest_clock_samples_total", {}, ingest.clock_samples.load());
  t.Family("kerbside_inventory_sent_total", "counter",
           "Fleet inventories sent to agents: the whole list (at connect, or when asked) or the "
           "hosts changed since the agent's version.");
  t.Sample("kerbside_inventory_sent_total", {{"kind", "full"}}, ingest.inventories_full.load());
  t.Sample("kerbside_inventory_sent_total", {{"kind", "delta"}}, ingest.inventories_delta.load());
  t.Family("kerbside_inventory_hosts_sent_total", "counter",
           "Host entries in the inventories sent, over all agents.");
  t.Sample("kerbside_inventory_hosts_sent_total", {}, ingest.inventory_hosts.load());
  t.Family("kerbside_inventory_bytes_sent_total", "counter",
           "Encoded bytes of the inventories sent, over all agents.");
  t.Sample("kerbside_inventory_bytes_sent_total", {}, ingest.inventory_bytes.load());
}

}  // namespace

std::string RenderCollectorMetrics(const MetricsSources& s) {
  PrometheusText t;
  const v1::ListHostsResponse hosts = s.list_hosts();
  HostMetrics(hosts, t);
  ClockMetrics(hosts, t);
  EvidenceMetrics(hosts, s.evidence, s.clock->Now(), t);
  StuckQueueMetrics(s.evidence, t);
  if (s.keeper != nullptr) KeeperMetrics(*s.keeper, t);
  if (s.dispatcher != nullptr) DispatcherMetrics(*s.dispatcher, s.outbox, t);
  if (s.ingest != nullptr) IngestMetrics(*s.ingest, t);
  return t.str();
}

}  // namespace kerbside::metrics
