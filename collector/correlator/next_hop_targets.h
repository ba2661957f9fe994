#ifndef KERBSIDE_COLLECTOR_CORRELATOR_NEXT_HOP_TARGETS_H_
#define KERBSIDE_COLLECTOR_CORRELATOR_NEXT_HOP_TARGETS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "collector/correlator/diagnosis.h"
#include "collector/correlator/fleet_index.h"
#include "common/exchange/next_hop.h"

namespace kerbside::correlator {

// A queue's next hop that is not a host (DESIGN.md §3: "hub version 14", an AD site, a mailbox
// delivery group, a DAG), resolved against the fleet: the candidates, and those the evidence
// names as the server the sender actually tried.
struct NextHopTargets {
  exchange::NextHop hop;
  exchange::NextHopCandidates candidates;
  // Candidates that pair evidence names (1035 on the candidate from the sender's address, a
  // Kerberos failure for SMTPSVC/<candidate> from the sender, the sender's failing probe of
  // it), with the evidence; empty when none does.
  std::vector<std::pair<std::string, EvidenceNote>> named;
};

// Builds the Exchange facts of the fleet once per correlation.
class NextHopResolver {
 public:
  explicit NextHopResolver(const FleetIndex& index);

  // `find_named` false: candidates only (a delivering queue needs no evidence of failure).
  NextHopTargets Resolve(const std::string& sender, const v1::Queue& queue,
                         bool find_named = true) const;

 private:
  // The servers a form can name: those of one site (or one DAG) and those whose site (DAG) is
  // unknown; so resolving a queue costs the size of a site, not of the fleet.
  std::vector<exchange::ExchangeServerFacts> Pool(
      const exchange::NextHop& hop, const exchange::ExchangeServerFacts& sender) const;

  const FleetIndex& index_;
  std::vector<exchange::ExchangeServerFacts> fleet_;
  absl::flat_hash_map<std::string, size_t> by_name_;
  std::map<std::string, std::vector<size_t>> by_site_, by_dag_;  // lower-case keys
  std::vector<size_t> no_site_, no_dag_;
};

// Evidence that `sender` tried to authenticate to `candidate` and failed; nullopt when none.
std::optional<EvidenceNote> PairEvidence(const FleetIndex& index, const std::string& sender,
                                         const std::string& candidate);

}  // namespace kerbside::correlator

#endif  // KERBSIDE_COLLECTOR_CORRELATOR_NEXT_HOP_TARGETS_H_
