#include "collector/evidence_summary.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/duration_format.h"
#include "common/model/queue_state.h"
#include "common/proto_time.h"

namespace kerbside::collector {

v1::EvidenceSummary SummarizeEvidence(const v1::Evidence& e) {
  v1::EvidenceSummary out;
  const auto* field = e.GetDescriptor()->FindFieldByNumber(e.kind_case());
  out.set_kind(field ? field->name() : "unknown");
  out.set_source(e.source());
  out.set_origin(e.origin());
  out.set_subject(e.subject());
  if (e.has_observed_host_time()) *out.mutable_observed_at() = e.observed_host_time();
  if (e.has_received_at()) *out.mutable_received_at() = e.received_at();
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
      out.set_provider(a.provider());
      out.set_event_id(a.event_id());
      out.set_count(a.count());
      out.set_count_is_lower_bound(a.count_is_lower_bound());
      *out.mutable_first_seen() = a.first_seen();
      *out.mutable_last_seen() = a.last_seen();
      break;
    }
    default:
      break;
  }
  out.set_summary(std::move(summary));
  return out;
}

}  // namespace kerbside::collector
