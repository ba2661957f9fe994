#include "common/model/pdc_emulator.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kerbside::model {

PdcChoice ChoosePdcEmulator(const std::vector<PdcReport>& reports,
                            const std::vector<std::string>& claims) {
  std::set<std::string> claimed;
  for (const std::string& c : claims) claimed.insert(absl::AsciiStrToUpper(c));
  if (reports.empty()) {
    if (claimed.empty()) return {"", "no PDC emulator known and none configured"};
    const std::string first = *claimed.begin();
    if (claimed.size() == 1) {
      return {first,
              "PDC emulator by its own configuration (no DC has reported fSMORoleOwner yet)"};
    }
    return {first, absl::StrCat("PDC emulator claimed by ", claimed.size(), " DCs (",
                                absl::StrJoin(claimed, ", "),
                                ") and no DC has reported fSMORoleOwner: ", first,
                                " is used until one claim is withdrawn; only one DC holds the "
                                "role, set --reference_host or fix the others' pdc_emulator "
                                "setting")};
  }
  // Votes per named owner, and who read what (for the reason).
  std::map<std::string, std::vector<std::string>> readers;
  std::set<std::string> deleted;
  for (const PdcReport& r : reports) {
    const std::string owner = absl::AsciiStrToUpper(r.pdc);
    readers[owner].push_back(absl::AsciiStrToUpper(r.dc));
    if (r.owner_deleted) deleted.insert(owner);
  }
  std::string chosen;
  size_t best = 0;
  for (auto& [owner, dcs] : readers) {
    std::sort(dcs.begin(), dcs.end());
    if (dcs.size() > best) {
      chosen = owner;
      best = dcs.size();
    }
  }
  std::string reason;
  if (readers.size() == 1) {
    reason = absl::StrCat("PDC emulator per the directory (fSMORoleOwner read by ",
                          absl::StrJoin(readers.begin()->second, ", "), ")");
  } else {
    std::vector<std::string> parts;
    for (const auto& [owner, dcs] : readers) {
      parts.push_back(absl::StrCat(absl::StrJoin(dcs, ", "), " read ", owner));
    }
    reason = absl::StrCat("the DCs disagree on the PDC emulator (", absl::StrJoin(parts, "; "),
                          "): a role transfer not replicated yet, or a replication failure; ",
                          chosen, " is used while they disagree");
  }
  if (deleted.count(chosen) > 0) {
    return {"", absl::StrCat(reason,
                             "; its NTDS Settings object is deleted: the role must be "
                             "seized (ntdsutil roles), and there is no clock reference "
                             "until then")};
  }
  std::vector<std::string> contradicted;
  for (const std::string& c : claimed) {
    if (c != chosen) contradicted.push_back(c);
  }
  if (!contradicted.empty()) {
    absl::StrAppend(&reason, "; not believed: ", absl::StrJoin(contradicted, ", "),
                    contradicted.size() == 1 ? " claims" : " claim",
                    " the role by configuration, the directory names ", chosen);
  }
  return {chosen, reason};
}

void AddPdcEvidence(const std::string& key, const HostEvidence& host,
                    std::vector<PdcReport>& reports, std::vector<std::string>& claims) {
  if (host.identity.role() != v1::ROLE_DC) return;
  if (host.identity.pdc_emulator()) claims.push_back(key);
  for (const v1::Evidence& e : host.evidence) {
    if (e.kind_case() != v1::Evidence::kDomainRoles) continue;
    const v1::DomainRoles& r = e.domain_roles();
    if (r.pdc_emulator().empty()) continue;
    reports.push_back({key, r.pdc_emulator(), r.pdc_emulator_deleted()});
  }
}

std::vector<PdcReport> PdcReportsIn(const FleetModel& fleet) {
  std::vector<PdcReport> reports;
  std::vector<std::string> claims;
  for (const auto& [key, host] : fleet.hosts) AddPdcEvidence(key, host, reports, claims);
  return reports;
}

}  // namespace kerbside::model
