#include "collector/cli/queues_view.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/duration_format.h"
#include "common/proto_time.h"

namespace kerbside::cli {
namespace {

nlohmann::ordered_json TimeOrNull(bool has, const google::protobuf::Timestamp& t) {
  return has ? nlohmann::ordered_json(FormatRfc3339(FromProto(t)))
             : nlohmann::ordered_json(nullptr);
}

// Whole seconds from `t` to the collector's time; null when `t` is unknown.
nlohmann::ordered_json AgeOrNull(bool has, const google::protobuf::Timestamp& t,
                                 absl::Time collector_time) {
  return has ? nlohmann::ordered_json(absl::ToInt64Seconds(collector_time - FromProto(t)))
             : nlohmann::ordered_json(nullptr);
}

}  // namespace

nlohmann::ordered_json QueuesToJson(const v1::ListQueuesResponse& response) {
  nlohmann::ordered_json out;
  out["collector_time"] = FormatRfc3339(FromProto(response.collector_time()));
  out["queues"] = nlohmann::ordered_json::array();
  for (const v1::QueueStatus& q : response.queues()) {
    out["queues"].push_back({{"host", q.host()},
                             {"identity", q.identity()},
                             {"status", q.status()},
                             {"message_count", q.message_count()},
                             {"next_hop_domain", q.next_hop_domain()},
                             {"stuck", q.stuck()},
                             {"last_error", q.last_error()},
                             {"failure_class", q.failure_class()},
                             {"observed_age_seconds",
                              q.has_observed_age() ? nlohmann::ordered_json(absl::ToInt64Seconds(
                                                         FromProto(q.observed_age())))
                                                   : nlohmann::ordered_json(nullptr)}});
  }
  return out;
}

std::string QueuesToTable(const v1::ListQueuesResponse& response) {
  std::string out = absl::StrFormat("%-8s %-16s %-8s %8s  %-28s %s\n", "HOST", "QUEUE", "STATUS",
                                    "MESSAGES", "NEXT HOP", "LAST ERROR");
  for (const v1::QueueStatus& q : response.queues()) {
    absl::StrAppend(&out, absl::StrFormat("%-8s %-16s %-8s %8d  %-28s %s\n", q.host(), q.identity(),
                                          q.status(), q.message_count(), q.next_hop_domain(),
                                          q.stuck() ? q.last_error() : ""));
  }
  if (response.queues().empty()) absl::StrAppend(&out, "(no agent has reported queues)\n");
  return out;
}

nlohmann::ordered_json EvidenceToJson(const v1::GetEvidenceResponse& response) {
  const absl::Time now = FromProto(response.collector_time());
  nlohmann::ordered_json out;
  out["host"] = response.host();
  out["collector_time"] = FormatRfc3339(now);
  out["sources"] = nlohmann::ordered_json::array();
  for (const v1::SourceStatus& s : response.sources()) {
    out["sources"].push_back(
        {{"source", s.source()},
         {"health", s.health()},
         {"reason", s.reason()},
         {"received_at", FormatRfc3339(FromProto(s.received_at()))},
         {"age_seconds", absl::ToInt64Seconds(now - FromProto(s.received_at()))}});
  }
  out["evidence"] = nlohmann::ordered_json::array();
  for (const v1::EvidenceSummary& e : response.evidence()) {
    nlohmann::ordered_json j;
    j["kind"] = e.kind();
    j["source"] = e.source();
    j["origin"] = e.origin();
    j["subject"] = e.subject();
    if (e.kind() == "event_aggregate") {
      // The names of event-aggregates-*.json (docs/bundle-extensions.md); times on the host.
      j["provider"] = e.provider();
      j["event_id"] = e.event_id();
      j["count"] = e.count();
      j["count_is_lower_bound"] = e.count_is_lower_bound();
      j["first_seen"] = FormatRfc3339(FromProto(e.first_seen()));
      j["last_seen"] = FormatRfc3339(FromProto(e.last_seen()));
    }
    j["summary"] = e.summary();
    j["observed_at"] = TimeOrNull(e.has_observed_at(), e.observed_at());
    j["age_seconds"] = AgeOrNull(e.has_observed_at(), e.observed_at(), now);
    j["received_at"] = TimeOrNull(e.has_received_at(), e.received_at());
    out["evidence"].push_back(std::move(j));
  }
  return out;
}

std::string EvidenceToTable(const v1::GetEvidenceResponse& response) {
  const absl::Time now = FromProto(response.collector_time());
  std::string out = absl::StrCat(response.host(), "\n");
  for (const v1::SourceStatus& s : response.sources()) {
    absl::StrAppend(
        &out, absl::StrFormat("  source %-12s %-9s %s (%ds ago)\n", s.source(), s.health(),
                              s.reason(), absl::ToInt64Seconds(now - FromProto(s.received_at()))));
  }
  for (const v1::EvidenceSummary& e : response.evidence()) {
    const std::string age = e.has_observed_at() ? FormatAge(now - FromProto(e.observed_at()))
                                                : std::string("age unknown");
    absl::StrAppend(
        &out, absl::StrFormat("  %-20s %-44s %s [%s]\n", e.kind(), e.origin(), e.summary(), age));
  }
  if (response.evidence().empty()) {
    absl::StrAppend(&out, "  (no evidence: not collected, which is not healthy)\n");
  }
  return out;
}

}  // namespace kerbside::cli
