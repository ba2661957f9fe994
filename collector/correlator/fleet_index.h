#ifndef KERBSIDE_COLLECTOR_CORRELATOR_FLEET_INDEX_H_
#define KERBSIDE_COLLECTOR_CORRELATOR_FLEET_INDEX_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "collector/correlator/diagnosis.h"
#include "common/model/fleet_model.h"

namespace kerbside::correlator {

// Read-only lookups over the fleet model for the rules: names, FQDNs and IPs to hosts
// (case-insensitive, DESIGN.md §3), evidence by host and kind, and each piece's age.
// Built once per correlation in time linear in the evidence.
class FleetIndex {
 public:
  FleetIndex(const model::FleetModel& fleet, absl::Time now, absl::Duration stale_after);

  // A NetBIOS name, FQDN or IP address to the host's key; nullopt when no host matches.
  std::optional<std::string> Resolve(absl::string_view name_or_ip) const;
  const model::HostEvidence* Host(const std::string& key) const;
  std::string Fqdn(const std::string& key) const;  // "" when unknown
  std::vector<std::string> HostsWithRole(v1::Role role) const;
  // The DC that says it holds the PDC emulator role; "" when none does.
  const std::string& PdcEmulator() const { return pdc_; }

  // Evidence of one kind on one host, or fleet-wide.
  const std::vector<const v1::Evidence*>& Of(const std::string& host,
                                            v1::Evidence::KindCase kind) const;
  const std::vector<const v1::Evidence*>& All(v1::Evidence::KindCase kind) const;

  // A note for `fact` read from `e`, with its age and whether it is stale.
  EvidenceNote Note(const v1::Evidence& e, std::string fact) const;
  bool IsStale(const v1::Evidence& e) const;

  absl::Time now() const { return now_; }
  const model::FleetModel& fleet() const { return fleet_; }

 private:
  const model::FleetModel& fleet_;
  absl::Time now_;
  absl::Duration stale_after_;
  std::string pdc_;
  std::map<std::string, std::string> names_;  // lower-case name/FQDN/IP -> key
  std::map<std::pair<std::string, int>, std::vector<const v1::Evidence*>> by_host_;
  std::map<int, std::vector<const v1::Evidence*>> by_kind_;
  std::vector<const v1::Evidence*> empty_;
};

// Lower-case, trailing dot removed.
std::string NormalizeName(absl::string_view name);
// "EX02" for "ex02.contoso.com", "EX02", "CN=EX02,OU=...", "ex02$".
std::string ShortName(absl::string_view name);

}  // namespace kerbside::correlator

#endif  // KERBSIDE_COLLECTOR_CORRELATOR_FLEET_INDEX_H_
