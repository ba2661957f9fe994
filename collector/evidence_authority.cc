#include "collector/evidence_authority.h"

#include "absl/strings/str_cat.h"

namespace kerbside::collector {

EvidenceAuthority AuthorityOf(v1::Evidence::KindCase kind) {
  switch (kind) {
    case v1::Evidence::kSpnListing:
    case v1::Evidence::kSpnDuplicates:
    case v1::Evidence::kSpnQuery:
    case v1::Evidence::kComputerAccounts:
    case v1::Evidence::kReplication:
    case v1::Evidence::kDomainRoles:
      return EvidenceAuthority::kDirectory;
    case v1::Evidence::kProbes:
    case v1::Evidence::kW32TmStripchart:
      return EvidenceAuthority::kProber;
    case v1::Evidence::kClockReading:
    case v1::Evidence::kW32TmStatus:
    case v1::Evidence::kQueues:
    case v1::Evidence::kReceiveConnectors:
    case v1::Evidence::kEvents:
    case v1::Evidence::kEventAggregate:
    case v1::Evidence::KIND_NOT_SET:
      return EvidenceAuthority::kHost;
  }
  return EvidenceAuthority::kHost;  // a kind this collector does not know: the strictest rule
}

absl::Status CheckEvidenceAuthority(const v1::Evidence& e, const std::string& sender,
                                    v1::Role sender_role) {
  const auto* field = e.GetDescriptor()->FindFieldByNumber(e.kind_case());
  const std::string kind = field != nullptr ? field->name() : "evidence of an unknown kind";
  switch (AuthorityOf(e.kind_case())) {
    case EvidenceAuthority::kDirectory:
      if (sender_role != v1::ROLE_DC) {
        return absl::PermissionDeniedError(absl::StrCat(
            sender, " sent ", kind, " (", e.origin(),
            "): directory facts come only from domain controllers, as each serves them"));
      }
      return absl::OkStatus();
    case EvidenceAuthority::kHost:
      // Every item names its host, and agent_service.cc refuses items for another host than the
      // stream's; the subject of a host fact is a word of its file name (events-frontend.xml),
      // not another host.
    case EvidenceAuthority::kProber:
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace kerbside::collector
