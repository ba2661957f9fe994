#include "collector/query_service.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "collector/correlator/correlator.h"
#include "collector/diagnoses/kept_view.h"
#include "collector/evidence_summary.h"
#include "common/bundle/bundle_writer.h"
#include "common/grpc_tls.h"
#include "common/json_text.h"
#include "common/model/queue_state.h"
#include "common/proto_time.h"
#include "spdlog/spdlog.h"

namespace kerbside::collector {
namespace {

grpc::Status Internal(const absl::Status& s) {
  return grpc::Status(grpc::StatusCode::INTERNAL, std::string(s.message()));
}

bool Mentions(const correlator::Diagnosis& d, const std::string& host) {
  if (absl::AsciiStrToUpper(d.blamed_host) == host) return true;
  for (const auto& list : {d.targets, d.senders}) {
    for (const std::string& h : list) {
      if (absl::AsciiStrToUpper(h) == host) return true;
    }
  }
  return false;
}

// "EX02" from "ex02.contoso.com" or "EX02".
std::string HostKeyOf(const std::string& name) { return HostKey(name.substr(0, name.find('.'))); }

v1::QueueStatus QueueStatusOf(const v1::Evidence& e, const v1::Queue& q, absl::Time now) {
  v1::QueueStatus out;
  out.set_host(e.host());
  out.set_identity(q.identity());
  out.set_status(q.status());
  out.set_message_count(q.message_count());
  out.set_next_hop_domain(q.next_hop_domain());
  out.set_stuck(model::IsQueueStuck(q));
  const v1::SmtpReply& inner = q.last_error().inner();
  out.set_last_error(inner.code() != 0 ? absl::StrCat(inner.code(), " ", inner.enhanced_status(),
                                                      " ", inner.text())
                                       : q.last_error().raw());
  out.set_failure_class(
      absl::AsciiStrToLower(v1::LastError::FailureClass_Name(q.last_error().failure_class())));
  if (e.has_observed_host_time()) {
    *out.mutable_observed_age() = ToProto(now - FromProto(e.observed_host_time()));
  }
  return out;
}

}  // namespace

grpc::Status QueryServiceImpl::Authorize(grpc::ServerContext* context) const {
  if (options_.plaintext) return grpc::Status::OK;
  auto cert = PeerCertificate(*context);
  if (!cert.ok()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(cert.status().message()));
  }
  if (cert->role != CertificateRole::kOperator) {
    const std::string why =
        absl::StrCat("certificate ", cert->subject, " is a ", CertificateRoleName(cert->role),
                     " certificate; the query service needs a kerbside-operator certificate");
    spdlog::warn("query refused peer={} reason=\"{}\"", context->peer(), why);
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, why);
  }
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::ListHosts(grpc::ServerContext* context, const v1::ListHostsRequest*,
                                         v1::ListHostsResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  *response = fleet_->ListHosts();
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::Diagnose(grpc::ServerContext* context,
                                        const v1::DiagnoseRequest* request,
                                        v1::DiagnoseResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  auto run = CorrelateLive(*fleet_, store_, clock_->Now(), options_.live);
  if (!run.ok()) return Internal(run.status());
  correlator::Diagnoses& d = run->diagnoses;
  if (!request->target().empty()) {
    const std::string want = HostKeyOf(request->target());
    std::erase_if(d.diagnoses, [&](const auto& x) { return !Mentions(x, want); });
  }
  nlohmann::ordered_json json = correlator::DiagnosesToJson(d);
  std::string text = correlator::DiagnosesToText(d);
  // First seen / last changed come from the diagnosis keeper's rows, when one runs.
  auto rows = store_->LoadKeptDiagnoses();
  if (!rows.ok()) return Internal(rows.status());
  std::vector<diagnoses::KeptDiagnosis> kept;
  for (const KeptDiagnosisRecord& r : *rows) {
    // A row the keeper cannot read is skipped here as there (and logged by the keeper).
    if (auto k = diagnoses::KeptFromRecord(r); k.ok()) kept.push_back(std::move(*k));
  }
  diagnoses::AddTracking(kept, d, d.now, &json, &text);
  response->set_json(kerbside::JsonText(json, 2));
  response->set_text(text);
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::ExportBundle(grpc::ServerContext* context,
                                            const v1::ExportBundleRequest*,
                                            v1::ExportBundleResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  const absl::Time now = clock_->Now();
  auto m = BuildLiveModel(*fleet_, store_, options_.live.max_clock_skew,
                          now - options_.live.event_window);
  if (!m.ok()) return Internal(m.status());
  const bundle::RenderedBundle rendered = bundle::RenderBundle(*m, now);
  for (const bundle::BundleFile& f : rendered.files) {
    auto* out = response->add_files();
    out->set_path(f.path);
    out->set_content(f.content);
  }
  for (const std::string& n : rendered.not_exported) response->add_not_exported(n);
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::ListQueues(grpc::ServerContext* context,
                                          const v1::ListQueuesRequest*,
                                          v1::ListQueuesResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  auto evidence = store_->LoadEvidence("");
  if (!evidence.ok()) return Internal(evidence.status());
  const absl::Time now = clock_->Now();
  *response->mutable_collector_time() = ToProto(now);
  for (const v1::Evidence& e : *evidence) {
    if (e.kind_case() != v1::Evidence::kQueues) continue;
    for (const v1::Queue& q : e.queues().queues()) {
      *response->add_queues() = QueueStatusOf(e, q, now);
    }
  }
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::GetEvidence(grpc::ServerContext* context,
                                           const v1::GetEvidenceRequest* request,
                                           v1::GetEvidenceResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  const std::string host = HostKeyOf(request->host());
  const absl::Time now = clock_->Now();
  auto evidence = store_->LoadEvidence(host);
  if (!evidence.ok()) return Internal(evidence.status());
  auto window = store_->LoadEventWindow(host, now - options_.live.event_window);
  if (!window.ok()) return Internal(window.status());
  evidence->insert(evidence->end(), window->begin(), window->end());
  auto health = store_->LoadSourceHealth();
  if (!health.ok()) return Internal(health.status());
  response->set_host(host);
  *response->mutable_collector_time() = ToProto(now);
  for (const SourceHealthRecord& h : *health) {
    if (h.host != host) continue;
    v1::SourceStatus* s = response->add_sources();
    s->set_source(h.source);
    s->set_health(absl::AsciiStrToLower(h.state));
    s->set_reason(h.reason);
    *s->mutable_received_at() = ToProto(h.received_at);
  }
  // The collector's own clock measurement is evidence about the host too.
  const v1::ListHostsResponse hosts = fleet_->ListHosts();
  const auto known =
      std::find_if(hosts.hosts().begin(), hosts.hosts().end(),
                   [&](const v1::HostStatus& hs) { return hs.identity().netbios_name() == host; });
  if (known == hosts.hosts().end() && evidence->empty() && response->sources().empty()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("no host named ", request->host(), " has connected"));
  }
  if (known != hosts.hosts().end() && known->has_clock_vs_collector() &&
      (request->kind().empty() || request->kind() == "clock_reading")) {
    v1::EvidenceSummary* c = response->add_evidence();
    c->set_kind("clock_reading");
    c->set_source("collector");
    c->set_origin("collector clock exchange");
    c->set_summary(absl::StrCat(
        "offset ", absl::ToDoubleSeconds(FromProto(known->clock_vs_collector().offset())),
        " s vs the collector (positive = host ahead)"));
    *c->mutable_observed_at() = known->clock_vs_collector().measured_at();
  }
  for (const v1::Evidence& e : *evidence) {
    v1::EvidenceSummary s = SummarizeEvidence(e);
    if (!request->kind().empty() && request->kind() != s.kind()) continue;
    *response->add_evidence() = std::move(s);
  }
  return grpc::Status::OK;
}

}  // namespace kerbside::collector
