#ifndef KERBSIDE_COLLECTOR_CORRELATOR_PAIR_MATRIX_H_
#define KERBSIDE_COLLECTOR_CORRELATOR_PAIR_MATRIX_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "collector/correlator/diagnosis.h"
#include "collector/correlator/fleet_index.h"
#include "collector/correlator/next_hop_targets.h"

namespace kerbside::correlator {

// One sender -> target relation with ExchangeAuth failing, and what shows it.
struct FailingPair {
  std::string sender;
  std::string target;  // host key; when the target is no known host, the next hop as written
  bool target_known = false;
  std::vector<QueueRef> queues;
  std::vector<const v1::LastError*> last_errors;
  std::vector<EvidenceNote> events;          // 1035 on the target naming the sender
  std::set<std::string> connectors_in_1035;  // receive connectors 1035 named
  std::set<int> ports;  // local ports of the target the sender reached (from LastError)
  // One of several servers a queue's next hop could be (DESIGN.md §3), and no evidence names
  // it: judged, but not counted as a failing pair in the patterns.
  bool tentative = false;
  std::string next_hop;  // as written, when the target came from resolving it
};

// Every sender -> target pair the evidence shows, failing or healthy, and the queues stuck for
// reasons outside this model (DESIGN.md §2).
class PairMatrix {
 public:
  explicit PairMatrix(const FleetIndex& index);
  // Its lists view its own pairs' names (and the fleet model's): not copyable.
  PairMatrix(const PairMatrix&) = delete;
  PairMatrix& operator=(const PairMatrix&) = delete;

  const std::map<std::pair<std::string, std::string>, FailingPair>& failing() const {
    return failing_;
  }
  const std::vector<QueueRef>& out_of_scope() const { return out_of_scope_; }
  // Queues whose next hop is no host, by (sender, next hop as written).
  const std::map<std::pair<std::string, std::string>, NextHopNote>& next_hops() const {
    return next_hops_;
  }
  // The host reported its own queues (a get-queue file or the live source was read).
  bool QueuesKnown(const std::string& host) const { return queues_known_.count(host) != 0; }
  // Some queue of the host is stuck with an ExchangeAuth failure.
  bool HasStuckQueue(const std::string& host) const { return stuck_senders_.count(host) != 0; }
  bool Healthy(const std::string& sender, const std::string& target) const;
  // Senders with a known state toward `target` (failing or healthy), and so on; sorted, each
  // name once. Views of the matrix's and the fleet model's own names, valid as long as both.
  using Names = absl::Span<const absl::string_view>;
  Names FailingSendersTo(absl::string_view target) const;
  Names HealthySendersTo(absl::string_view target) const;
  Names FailingTargetsOf(absl::string_view sender) const;
  Names HealthyTargetsOf(absl::string_view sender) const;
  // Does `host` deliver its own outbound mail (has queues, none stuck with ExchangeAuth)?
  bool SendsHealthily(absl::string_view host) const;

 private:
  // The hosts a stuck queue fails to: the one it names, or candidates of its next hop.
  struct QueueTargets {
    std::vector<std::string> hosts;
    bool known = false;      // hosts are fleet hosts (else the next hop as written)
    bool tentative = false;  // one of several candidates, none named by the evidence
  };
  void AddQueue(const FleetIndex& index, std::optional<NextHopResolver>& resolver,
                const v1::Evidence& ev, const v1::Queue& q);
  QueueTargets ChooseCandidates(const std::string& sender, const v1::Queue& q,
                                const NextHopTargets& hop);
  void AddInboundFailures(const FleetIndex& index);
  // The failing and healthy pairs by sender and by target.
  void IndexPairs();

  std::map<std::pair<std::string, std::string>, FailingPair> failing_;
  // The delivering (sender, target) pairs: appended per queue, then sorted, deduplicated and
  // cleared of failing pairs once (IndexPairs). A hash set of string pairs cost a hash and a
  // probe per queue, and lists built from the sorted order need no sorting (issue 17).
  // Views of the fleet model's own keys (FleetIndex::ResolveKey): sorted and moved without
  // copying a name (issue 17).
  using HostPair = std::pair<absl::string_view, absl::string_view>;
  std::vector<HostPair> healthy_;
  std::vector<QueueRef> out_of_scope_;
  std::map<std::pair<std::string, std::string>, NextHopNote> next_hops_;
  absl::flat_hash_set<std::string> queues_known_, stuck_senders_;
  // Sorted vectors, filled then sorted once: a std::set node per healthy queue was most of the
  // matrix's allocations at 20,000 hosts (issue 17).
  // Views, most lists a few names long and held inline: a vector of string copies per host
  // and direction was a tenth of correlating's allocations at 20,000 hosts (issue 17).
  using NameList = absl::InlinedVector<absl::string_view, 4>;
  absl::flat_hash_map<absl::string_view, NameList> failing_to_, failing_from_, healthy_to_,
      healthy_from_;
};

}  // namespace kerbside::correlator

#endif  // KERBSIDE_COLLECTOR_CORRELATOR_PAIR_MATRIX_H_
