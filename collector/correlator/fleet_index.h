#ifndef KERBSIDE_COLLECTOR_CORRELATOR_FLEET_INDEX_H_
#define KERBSIDE_COLLECTOR_CORRELATOR_FLEET_INDEX_H_

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "collector/correlator/diagnosis.h"
#include "common/model/fleet_model.h"

namespace kerbside::correlator {

// Read-only lookups over the fleet model for the rules: names, FQDNs and IPs to hosts
// (case-insensitive, DESIGN.md §3), evidence by host and kind, and each piece's age.
// Built once per correlation in time linear in the evidence.
class FleetIndex {
 public:
  // Holds pointers into itself (aggregates read as records): not copyable.
  FleetIndex(const FleetIndex&) = delete;
  FleetIndex& operator=(const FleetIndex&) = delete;
  FleetIndex(const model::FleetModel& fleet, absl::Time now, absl::Duration stale_after);

  // A NetBIOS name, FQDN or IP address to the host's key; nullopt when no host matches.
  std::optional<std::string> Resolve(absl::string_view name_or_ip) const;
  // The same, as a view of the fleet's own key: valid as long as the fleet model, no copy.
  std::optional<absl::string_view> ResolveKey(absl::string_view name_or_ip) const;
  const model::HostEvidence* Host(const std::string& key) const;
  // "" when unknown. The host's own copy: as long as the fleet model.
  const std::string& Fqdn(const std::string& key) const;
  std::vector<std::string> HostsWithRole(v1::Role role) const;
  // The DC that says it holds the PDC emulator role; "" when none does.
  const std::string& PdcEmulator() const { return pdc_; }
  // Where PdcEmulator() comes from (the directory, a claim) and any conflict, for summaries.
  const std::string& PdcEmulatorReason() const { return pdc_reason_; }

  // Evidence of one kind on one host, or fleet-wide.
  absl::Span<const v1::Evidence* const> Of(absl::string_view host,
                                           v1::Evidence::KindCase kind) const;
  const std::vector<const v1::Evidence*>& All(v1::Evidence::KindCase kind) const;

  // Evidence of `kind` about an account or an SPN's host (upper-case short name): SPN listings
  // and queries, duplicate groups, computer accounts, ticket probes. Lets a rule look at one
  // target without scanning the fleet, so correlation stays linear in the fleet's size.
  absl::Span<const v1::Evidence* const> About(const std::string& subject,
                                              v1::Evidence::KindCase kind) const;
  using EventRef = std::pair<const v1::Evidence*, const v1::EventRecord*>;
  // Events whose facts name the host `subject`: as the service or target of a ticket, as a
  // duplicated SPN's host, as the client (by account or address).
  const std::vector<EventRef>& EventsAbout(const std::string& subject) const;
  const std::vector<EventRef>& EventsWithId(uint32_t id) const;
  // How many occurrences a record stands for: 1, or for the examples of an aggregate its count
  // (the first example carries all but one per other example), so counts stay true.
  int64_t Occurrences(const v1::EventRecord& r) const;
  // Domain controllers, all and by AD site.
  const std::vector<std::string>& Dcs() const { return dcs_; }
  const std::vector<std::string>& DcsInSite(const std::string& site) const;
  // KDCs that answered any host's probe: a DC that answers nobody is down, not blocked.
  const std::set<std::string>& AnsweringKdcs() const { return answering_kdcs_; }
  // Replication links by naming context (lower case, no spaces), and the failing ones.
  using LinkRef = std::pair<const v1::Evidence*, const v1::ReplicationLink*>;
  const std::vector<LinkRef>& FailingLinks(const std::string& nc) const;
  int LinkCount(const std::string& nc) const;
  int FailingLinkCount() const { return failing_link_count_; }
  bool HasReplicationData() const { return by_kind_.count(v1::Evidence::kReplication) != 0; }
  int DuplicateGroupCount() const { return duplicate_group_count_; }

  // A note for `fact` read from `e`, with its age and whether it is stale.
  EvidenceNote Note(const v1::Evidence& e, std::string fact) const;
  bool IsStale(const v1::Evidence& e) const;

  absl::Time now() const { return now_; }
  const model::FleetModel& fleet() const { return fleet_; }

 private:
  // First pass: the host's names, its role and its evidence (aggregates as records).
  void IndexHost(const std::string& key, const model::HostEvidence& host);
  // Second pass, every host known: what each item is about (subjects, links, events' names).
  void IndexSubjects(const v1::Evidence& e);
  void NoteSubject(const std::string& subject, const v1::Evidence& e);
  void IndexEventRecord(const v1::Evidence& e, const v1::EventRecord& r);
  // `name` as NormalizeName writes it, viewing `name` itself when it already is so.
  absl::string_view NameKey(const std::string& name);

  const model::FleetModel& fleet_;
  absl::Time now_;
  absl::Duration stale_after_;
  std::string pdc_;
  std::string pdc_reason_;
  // Lookup-only once built: hash maps, so the index costs the same per host at any fleet size
  // (a std::map keyed by strings made it n log n). Vectors inside keep insertion order.
  // Lower-case name/FQDN/IP -> a view of the fleet's key (a copy per name was an allocation
  // per name and per lookup, issue 17). Keys view the fleet's own strings where they are in
  // that form already (FQDNs mostly are), else a copy in normalized_names_ (NameKey).
  absl::flat_hash_map<absl::string_view, absl::string_view> names_;
  std::deque<std::string> normalized_names_;
  // Host(): the fleet's std::map is a dozen dependent cache misses deep at 20,000 hosts, and
  // rules look hosts up per group and target (issue 17). Keys view the fleet's own keys.
  absl::flat_hash_map<absl::string_view, const model::HostEvidence*> hosts_;
  // Event aggregates as records (their examples); a deque so pointers into it stay valid.
  std::deque<v1::Evidence> aggregate_records_;
  absl::flat_hash_map<const v1::EventRecord*, int64_t> occurrences_;
  // Every item in the fleet's order, as indexed (walked once more for the subjects).
  std::vector<const v1::Evidence*> indexed_;
  // Keyed by views of the fleet's own keys; most hosts have one item of a kind, held inline (a
  // heap block per host and kind was a visible share of indexing 20,000 hosts, issue 17).
  absl::flat_hash_map<std::pair<absl::string_view, int>,
                      absl::InlinedVector<const v1::Evidence*, 1>>
      by_host_;
  absl::flat_hash_map<int, std::vector<const v1::Evidence*>> by_kind_;
  std::vector<const v1::Evidence*> empty_;
  // Most subjects have one item of a kind (a host's SPN listing), held inline.
  absl::flat_hash_map<std::pair<std::string, int>, absl::InlinedVector<const v1::Evidence*, 1>>
      about_;
  absl::flat_hash_map<std::string, std::vector<EventRef>> events_about_;
  absl::flat_hash_map<uint32_t, std::vector<EventRef>> events_by_id_;
  std::vector<EventRef> no_events_;
  std::vector<std::string> dcs_;
  absl::flat_hash_map<std::string, std::vector<std::string>> dcs_by_site_;
  std::vector<std::string> no_dcs_;
  std::set<std::string> answering_kdcs_;
  absl::flat_hash_map<std::string, std::vector<LinkRef>> failing_links_;
  absl::flat_hash_map<std::string, int> link_count_;
  std::vector<LinkRef> no_links_;
  int failing_link_count_ = 0;
  int duplicate_group_count_ = 0;
};

// "dc=contoso,dc=com" for "DC=contoso, DC=com": how naming contexts are compared.
std::string NormalizeDn(const std::string& dn);
// The host an SPN names, as a short name: "SMTPSVC/ex02.contoso.com@REALM" -> "EX02".
std::string SpnHost(absl::string_view spn);

// Lower-case, trailing dot removed.
std::string NormalizeName(absl::string_view name);
// "EX02" for "ex02.contoso.com", "EX02", "CN=EX02,OU=...", "ex02$".
std::string ShortName(absl::string_view name);

}  // namespace kerbside::correlator

#endif  // KERBSIDE_COLLECTOR_CORRELATOR_FLEET_INDEX_H_
