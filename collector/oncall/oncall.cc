#include "collector/oncall/oncall.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "collector/alerts/sink_registry.h"
#include "collector/correlator/correlator.h"
#include "collector/live_model.h"
#include "spdlog/spdlog.h"

namespace kerbside::oncall {
namespace {

absl::StatusOr<absl::Duration> ParseDuration(const std::string& name, const std::string& text,
                                             bool zero_ok) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d < absl::ZeroDuration() ||
      (!zero_ok && d == absl::ZeroDuration())) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": '", text, "' is not a ", zero_ok ? "" : "positive ", "duration such as 30s"));
  }
  return d;
}

}  // namespace

void AddOnCallFlags(CLI::App& app, OnCallFlags* f) {
  app.add_option("--alert_sink", f->alert_sinks,
                 "an alert sink, repeatable: \"KIND key=value ...\" with KIND alertmanager "
                 "(url, resend), pagerduty (url, routing_key|routing_key_file) or webhook (url, "
                 "secret|secret_file, signature_header); see README");
  app.add_option("--metrics_listen", f->metrics_listen,
                 "host:port for GET /metrics (Prometheus text); empty = off")
      ->capture_default_str();
  app.add_option("--diagnosis_interval", f->diagnosis_interval,
                 "re-run the correlator at most this often when evidence changes")
      ->capture_default_str();
  app.add_option("--diagnosis_recheck_interval", f->diagnosis_recheck_interval,
                 "and at least this often without new evidence")
      ->capture_default_str();
  app.add_option("--alert_hold", f->alert_hold,
                 "a diagnosis must hold this long before it pages (flapping guard)")
      ->capture_default_str();
  app.add_option("--alert_resolve_hold", f->alert_resolve_hold,
                 "and be gone this long before its alert resolves")
      ->capture_default_str();
  app.add_option("--alert_retry_initial", f->alert_retry_initial,
                 "first retry delay of a failed delivery (doubles each time)")
      ->capture_default_str();
  app.add_option("--alert_retry_max", f->alert_retry_max, "longest retry delay")
      ->capture_default_str();
  app.add_option("--alert_give_up_after", f->alert_give_up_after,
                 "drop a notification no sink attempt could deliver for this long")
      ->capture_default_str();
}

absl::StatusOr<std::unique_ptr<OnCall>> OnCall::Create(const OnCallFlags& flags,
                                                       const collector::HostRegistry* fleet,
                                                       collector::Store* store, const Clock* clock,
                                                       absl::Duration max_clock_skew,
                                                       absl::Duration stale_after,
                                                       absl::Duration event_window) {
  std::unique_ptr<OnCall> o(new OnCall());
  o->flags_ = flags;
  o->fleet_ = fleet;
  o->store_ = store;
  o->clock_ = clock;

  diagnoses::KeeperOptions keeper;
  alerts::DispatcherOptions dispatch;
  struct {
    const char* name;
    const std::string& text;
    absl::Duration* into;
    bool zero_ok;
  } durations[] = {
      {"diagnosis_interval", flags.diagnosis_interval, &keeper.min_interval, false},
      {"diagnosis_recheck_interval", flags.diagnosis_recheck_interval, &keeper.recheck_interval,
       false},
      {"alert_hold", flags.alert_hold, &keeper.hold, true},
      {"alert_resolve_hold", flags.alert_resolve_hold, &keeper.resolve_hold, true},
      {"alert_retry_initial", flags.alert_retry_initial, &dispatch.initial_backoff, false},
      {"alert_retry_max", flags.alert_retry_max, &dispatch.max_backoff, false},
      {"alert_give_up_after", flags.alert_give_up_after, &dispatch.give_up_after, false},
  };
  for (auto& d : durations) {
    absl::StatusOr<absl::Duration> v = ParseDuration(d.name, d.text, d.zero_ok);
    if (!v.ok()) return v.status();
    *d.into = *v;
  }
  auto sinks = alerts::MakeSinks(flags.alert_sinks);
  if (!sinks.ok()) return sinks.status();
  for (const auto& s : *sinks) keeper.sinks.push_back(s->name());

  const collector::LiveCorrelationOptions live{
      .max_clock_skew = max_clock_skew, .stale_after = stale_after, .event_window = event_window};
  auto correlate = [fleet, store, live](absl::Time now) {
    return collector::CorrelateLive(*fleet, store, now, live);
  };
  o->keeper_ = std::make_unique<diagnoses::DiagnosisKeeper>(store, clock, keeper, correlate);
  if (absl::Status s = o->keeper_->Load(); !s.ok()) return s;

  o->http_ = alerts::MakeCurlHttpClient();
  diagnoses::DiagnosisKeeper* k = o->keeper_.get();
  o->dispatcher_ = std::make_unique<alerts::Dispatcher>(
      store, clock, o->http_.get(), std::move(*sinks), dispatch, [k] {
        // Open alerts the receivers should still hold: paged and not resolved.
        std::vector<diagnoses::Alert> out;
        for (const diagnoses::KeptDiagnosis& r : k->Kept()) {
          if (!r.paged || r.unreadable_detail || r.state == diagnoses::DiagnosisState::kResolved ||
              r.state == diagnoses::DiagnosisState::kPending) {
            continue;
          }
          out.push_back(r.alert);
        }
        return out;
      });
  alerts::Dispatcher* d = o->dispatcher_.get();
  o->keeper_->SetOnQueued([d] { d->Wake(); });
  return o;
}

OnCall::~OnCall() { Stop(); }

std::function<void(const collector::IngestEvent&)> OnCall::IngestHook() {
  return [this](const collector::IngestEvent& e) {
    ingest_.Record(e);
    using Kind = collector::IngestEvent::Kind;
    if (e.kind == Kind::kBatchStored || e.kind == Kind::kClockSample) keeper_->Notify();
  };
}

void OnCall::Start() {
  started_ = true;
  keeper_->Start();
  dispatcher_->Start();
  for (const auto& s : dispatcher_->sinks()) {
    spdlog::info("alert sink {} ({}) {}", s->name(), s->kind(), s->config().url);
  }
  if (flags_.metrics_listen.empty()) return;
  metrics::MetricsSources sources{
      .list_hosts = [fleet = fleet_] { return fleet->ListHosts(); },
      .evidence = store_,
      .outbox = store_,
      .clock = clock_,
      .keeper = keeper_.get(),
      .dispatcher = dispatcher_.get(),
      .ingest = &ingest_,
  };
  auto server = metrics::MetricsServer::Start(
      flags_.metrics_listen, [sources] { return metrics::RenderCollectorMetrics(sources); });
  if (!server.ok()) {
    // Metrics are for watching the collector, not its job: a taken port must not stop ingest.
    spdlog::error("metrics: {}; /metrics is OFF", server.status().ToString());
    return;
  }
  metrics_ = std::move(*server);
  spdlog::info("metrics on http://{}/metrics (port {})", flags_.metrics_listen, metrics_->port());
}

void OnCall::Stop() {
  if (!started_) return;
  started_ = false;
  if (metrics_) metrics_->Stop();
  keeper_->Stop();
  dispatcher_->Stop();
}

}  // namespace kerbside::oncall
