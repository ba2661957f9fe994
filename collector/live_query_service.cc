#include "collector/live_query_service.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/correlator/correlator.h"
#include "collector/diagnoses/kept_view.h"
#include "collector/live_model.h"
#include "common/bundle/bundle_writer.h"
#include "common/json_text.h"
#include "common/model/queue_state.h"
#include "common/proto_time.h"
#include "nlohmann/json.hpp"

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

}  // namespace

grpc::Status LiveQueryServiceImpl::Diagnose(grpc::ServerContext* context,
                                            const v1::DiagnoseRequest* request,
                                            v1::DiagnoseResponse* response) {
  if (grpc::Status s = AuthorizeOperator(context, options_.plaintext); !s.ok()) return s;
  auto m = BuildLiveModel(*fleet_, store_, options_.max_clock_skew,
                          clock_->Now() - options_.event_window);
  if (!m.ok()) return Internal(m.status());
  correlator::Diagnoses d = correlator::Correlate(
      *m, clock_->Now(),
      {.max_clock_skew = options_.max_clock_skew, .stale_after = options_.stale_after});
  if (!request->target().empty()) {
    const std::string want = HostKey(request->target().substr(0, request->target().find('.')));
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

grpc::Status LiveQueryServiceImpl::ExportBundle(grpc::ServerContext* context,
                                                const v1::ExportBundleRequest*,
                                                v1::ExportBundleResponse* response) {
  if (grpc::Status s = AuthorizeOperator(context, options_.plaintext); !s.ok()) return s;
  auto m = BuildLiveModel(*fleet_, store_, options_.max_clock_skew,
                          clock_->Now() - options_.event_window);
  if (!m.ok()) return Internal(m.status());
  const bundle::RenderedBundle rendered = bundle::RenderBundle(*m, clock_->Now());
  for (const bundle::BundleFile& f : rendered.files) {
    auto* out = response->add_files();
    out->set_path(f.path);
    out->set_content(f.content);
  }
  for (const std::string& n : rendered.not_exported) response->add_not_exported(n);
  return grpc::Status::OK;
}

grpc::Status LiveQueryServiceImpl::ListQueues(grpc::ServerContext* context,
                                              const v1::ListQueuesRequest*,
                                              v1::ListQueuesResponse* response) {
  if (grpc::Status s = AuthorizeOperator(context, options_.plaintext); !s.ok()) return s;
  auto evidence = store_->LoadEvidence("");
  if (!evidence.ok()) return Internal(evidence.status());
  const absl::Time now = clock_->Now();
  nlohmann::ordered_json out;
  out["collector_time"] = FormatRfc3339(now);
  out["queues"] = nlohmann::ordered_json::array();
  for (const v1::Evidence& e : *evidence) {
    if (e.kind_case() != v1::Evidence::kQueues) continue;
    for (const v1::Queue& q : e.queues().queues()) {
      const v1::SmtpReply& inner = q.last_error().inner();
      out["queues"].push_back({
          {"host", e.host()},
          {"identity", q.identity()},
          {"status", q.status()},
          {"message_count", q.message_count()},
          {"next_hop_domain", q.next_hop_domain()},
          {"stuck", model::IsQueueStuck(q)},
          {"last_error",
           inner.code() != 0
               ? absl::StrCat(inner.code(), " ", inner.enhanced_status(), " ", inner.text())
               : q.last_error().raw()},
          {"failure_class",
           absl::AsciiStrToLower(v1::LastError::FailureClass_Name(q.last_error().failure_class()))},
          {"observed_age_seconds", e.has_observed_host_time()
                                       ? nlohmann::ordered_json(absl::ToInt64Seconds(
                                             now - FromProto(e.observed_host_time())))
                                       : nlohmann::ordered_json(nullptr)},
      });
    }
  }
  response->set_json(kerbside::JsonText(out, 2));
  return grpc::Status::OK;
}

grpc::Status LiveQueryServiceImpl::GetEvidence(grpc::ServerContext* context,
                                               const v1::GetEvidenceRequest* request,
                                               v1::GetEvidenceResponse* response) {
  if (grpc::Status s = AuthorizeOperator(context, options_.plaintext); !s.ok()) return s;
  const std::string host = HostKey(request->host().substr(0, request->host().find('.')));
  const absl::Time now = clock_->Now();
  auto evidence = store_->LoadEvidence(host);
  if (!evidence.ok()) return Internal(evidence.status());
  auto window = store_->LoadEventWindow(host, now - options_.event_window);
  if (!window.ok()) return Internal(window.status());
  evidence->insert(evidence->end(), window->begin(), window->end());
  auto health = store_->LoadSourceHealth();
  if (!health.ok()) return Internal(health.status());
  nlohmann::ordered_json out;
  out["host"] = host;
  out["collector_time"] = FormatRfc3339(now);
  out["sources"] = nlohmann::ordered_json::array();
  for (const SourceHealthRecord& h : *health) {
    if (h.host != host) continue;
    out["sources"].push_back({{"source", h.source},
                              {"health", absl::AsciiStrToLower(h.state)},
                              {"reason", h.reason},
                              {"received_at", FormatRfc3339(h.received_at)},
                              {"age_seconds", absl::ToInt64Seconds(now - h.received_at)}});
  }
  // The collector's own clock measurement is evidence about the host too.
  const v1::ListHostsResponse hosts = fleet_->ListHosts();
  out["evidence"] = nlohmann::ordered_json::array();
  for (const v1::HostStatus& hs : hosts.hosts()) {
    if (hs.identity().netbios_name() != host || !hs.has_clock_vs_collector()) continue;
    if (!request->kind().empty() && request->kind() != "clock_reading") continue;
    const absl::Time at = FromProto(hs.clock_vs_collector().measured_at());
    out["evidence"].push_back(
        {{"kind", "clock_reading"},
         {"source", "collector"},
         {"origin", "collector clock exchange"},
         {"subject", ""},
         {"summary",
          absl::StrCat("offset ",
                       absl::ToDoubleSeconds(FromProto(hs.clock_vs_collector().offset())),
                       " s vs the collector (positive = host ahead)")},
         {"observed_at", FormatRfc3339(at)},
         {"age_seconds", absl::ToInt64Seconds(now - at)}});
  }
  if (out["evidence"].empty() && evidence->empty() && out["sources"].empty() &&
      hosts.hosts().end() ==
          std::find_if(hosts.hosts().begin(), hosts.hosts().end(), [&](const v1::HostStatus& hs) {
            return hs.identity().netbios_name() == host;
          })) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("no host named ", request->host(), " has connected"));
  }
  for (const v1::Evidence& e : *evidence) {
    const auto* field = e.GetDescriptor()->FindFieldByNumber(e.kind_case());
    const std::string kind = field ? field->name() : "unknown";
    if (!request->kind().empty() && request->kind() != kind) continue;
    nlohmann::ordered_json j;
    j["kind"] = kind;
    j["source"] = e.source();
    j["origin"] = e.origin();
    j["subject"] = e.subject();
    std::string summary;
    switch (e.kind_case()) {
      case v1::Evidence::kQueues: {
        int stuck = 0;
        for (const auto& q : e.queues().queues()) stuck += model::IsQueueStuck(q);
        summary = absl::StrCat(e.queues().queues_size(), " queues, ", stuck, " stuck");
        break;
      }
      case v1::Evidence::kReceiveConnectors:
        summary = absl::StrCat(e.receive_connectors().connectors_size(), " receive connectors");
        break;
      case v1::Evidence::kSpnListing:
        summary =
            absl::StrCat(e.spn_listing().spns_size(), " SPNs on ", e.spn_listing().account_dn());
        break;
      case v1::Evidence::kEvents:
        summary = absl::StrCat(e.events().events_size(), " events");
        break;
      case v1::Evidence::kW32TmStripchart:
        summary = absl::StrCat(e.w32tm_stripchart().samples_size(), " samples against ",
                               e.w32tm_stripchart().target());
        break;
      case v1::Evidence::kW32TmStatus:
        summary = absl::StrCat("source ", e.w32tm_status().source(),
                               e.w32tm_status().unsynchronized() ? " (NOT synchronised)" : "");
        break;
      case v1::Evidence::kReplication:
        summary = absl::StrCat(e.replication().links_size(), " replication links");
        break;
      case v1::Evidence::kComputerAccounts: {
        // Each account's SPNs and key version: what two DCs would disagree about.
        std::vector<std::string> parts;
        for (const v1::ComputerAccount& a : e.computer_accounts().accounts()) {
          parts.push_back(
              absl::StrCat(a.sam_account_name(), " kvno ",
                           a.key_version_number() >= 0 ? absl::StrCat(a.key_version_number())
                                                       : std::string("not read"),
                           " [", absl::StrJoin(a.spns(), " "), "] from ", a.read_from_dc()));
        }
        summary = absl::StrJoin(parts, "; ");
        break;
      }
      case v1::Evidence::kDomainRoles: {
        const v1::DomainRoles& r = e.domain_roles();
        summary =
            absl::StrCat("PDC emulator ", r.pdc_emulator().empty() ? "?" : r.pdc_emulator(),
                         r.pdc_emulator_deleted() ? " (deleted DC: seize the role)" : "",
                         " per fSMORoleOwner of ", r.domain_dn(), " read from ", r.read_from_dc());
        break;
      }
      case v1::Evidence::kEventAggregate: {
        // From the window of recent events: occurrences on the host's clock.
        const v1::EventAggregate& a = e.event_aggregate();
        summary = absl::StrCat(a.provider(), " ", a.event_id(), ": ",
                               a.count_is_lower_bound() ? "at least " : "", a.count(),
                               " occurrence(s), ", FormatRfc3339(FromProto(a.first_seen())), " .. ",
                               FormatRfc3339(FromProto(a.last_seen())), " (host clock)");
        j["provider"] = a.provider();
        j["event_id"] = a.event_id();
        // The names of event-aggregates-*.json (docs/bundle-extensions.md); times on the host.
        j["count"] = a.count();
        j["count_is_lower_bound"] = a.count_is_lower_bound();
        j["first_seen"] = FormatRfc3339(FromProto(a.first_seen()));
        j["last_seen"] = FormatRfc3339(FromProto(a.last_seen()));
        break;
      }
      default:
        break;
    }
    j["summary"] = summary;
    if (e.has_observed_host_time()) {
      j["observed_at"] = FormatRfc3339(FromProto(e.observed_host_time()));
      j["age_seconds"] = absl::ToInt64Seconds(now - FromProto(e.observed_host_time()));
    } else {
      j["observed_at"] = nullptr;
      j["age_seconds"] = nullptr;
    }
    j["received_at"] = e.has_received_at()
                           ? nlohmann::ordered_json(FormatRfc3339(FromProto(e.received_at())))
                           : nlohmann::ordered_json(nullptr);
    out["evidence"].push_back(std::move(j));
  }
  response->set_json(kerbside::JsonText(out, 2));
  return grpc::Status::OK;
}

}  // namespace kerbside::collector
