#ifndef KERBSIDE_COLLECTOR_CORRELATOR_RULES_RULE_H_
#define KERBSIDE_COLLECTOR_CORRELATOR_RULES_RULE_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "collector/correlator/clock_graph.h"
#include "collector/correlator/diagnosis.h"
#include "collector/correlator/fleet_index.h"
#include "collector/correlator/pair_matrix.h"

namespace kerbside::correlator {

// Failing pairs that the pair matrix puts on one side (DESIGN.md §2): all senders to one
// target, one sender to all its targets, one pair, or the senders of one DC.
struct FailureGroup {
  std::string pattern_kind;  // target_side | sender_side | pair_only | dc_side
  std::string pattern;
  std::vector<const FailingPair*> pairs;
  std::set<std::string> senders;
  std::set<std::string> targets;  // known hosts only
};

// What a rule derives from fleet-wide facts, computed once per correlation instead of once per
// group and target: each group reading every failing replication link made correlation grow
// with the square of the fleet (issue 17). Owned by one Correlate call; not shared.
struct FleetMemo {
  struct ReplicationFailures {
    std::set<std::string> stale_dcs;    // destinations of the failing links
    std::vector<std::string> meanings;  // "DC02 from DC01: 1722 (RPC server unavailable)"
    std::vector<EvidenceNote> notes;    // the first few links, as evidence
  };
  std::map<std::string, ReplicationFailures> replication_by_nc;
  // The replication of one naming context as dc_replication judges a target's account by it.
  struct AccountReplication {
    std::string nc;
    bool data = false;  // any replication status at all
    int links = 0;
    int failing_links = 0;
    int unrelated_failures = 0;                     // failing links of other naming contexts
    const ReplicationFailures* failures = nullptr;  // in replication_by_nc
    std::vector<EvidenceNote> corroboration;        // failing links, then DCs' replication events
  };
  std::map<std::string, AccountReplication> replication_of_nc;
  // Per host, as clock_skew asks again for each group the host is in (AuthenticatingDcOf,
  // KdcsOf). Node maps: a reference handed out stays valid while others are added.
  absl::node_hash_map<std::string, std::optional<std::string>> authenticating_dc;
  absl::node_hash_map<std::string, std::vector<std::string>> kdcs;
  // A per-target rule's verdict on a one-target group, by (cause, target), for the rules whose
  // verdict depends on the target alone (PerTargetRule::JudgesTargetAlone): the pairs of one
  // target judged as groups of their own ("only S -> T fails", once per sender) share it instead
  // of each building the same verdict, and of each copy but one being dropped when their
  // diagnoses merge (issue 17).
  absl::flat_hash_map<std::pair<std::string, std::string>, std::shared_ptr<const CauseResult>>
      target_verdicts;
};

struct RuleContext {
  const FleetIndex& index;
  const PairMatrix& matrix;
  const ClockGraph& clocks;
  const FailureGroup& group;
  absl::Duration max_clock_skew;
  FleetMemo* memo;
};

// One documented cause of KB 979174. Evaluate is pure: it reads the context and returns a
// verdict: supported (with confidence, blamed host, evidence and fix), ruled out (with the
// reason) or not checked (naming the missing evidence).
class Rule {
 public:
  virtual ~Rule() = default;
  virtual const char* cause() const = 0;
  virtual CauseResult Evaluate(const RuleContext& ctx) const = 0;
  // Evaluate's verdict, possibly shared with other groups of the same correlation: read-only
  // while shared; a non-const object, so that its last holder may move it out.
  virtual std::shared_ptr<const CauseResult> EvaluateShared(const RuleContext& ctx) const;
};

// A rule judged target by target (spn_missing, spn_duplicate, dc_replication): the group's
// verdict is the strongest of its targets' (StrongestOf).
class PerTargetRule : public Rule {
 public:
  CauseResult Evaluate(const RuleContext& ctx) const final;
  // A one-target group's verdict, once per correlation and target when JudgesTargetAlone.
  std::shared_ptr<const CauseResult> EvaluateShared(const RuleContext& ctx) const final;

 protected:
  virtual CauseResult ForTarget(const RuleContext& ctx, const std::string& target) const = 0;
  // True when ForTarget reads nothing of the group (its senders, pairs or pattern), only the
  // target and the fleet: then its verdict is the same in every group of that one target.
  virtual bool JudgesTargetAlone() const = 0;
};

// The registry: every rule, in the order ties are broken (rules/registry.cc).
const std::vector<const Rule*>& Rules();

// Verdict constructors.
CauseResult RuledOut(const char* cause, std::string reason);
CauseResult NotChecked(const char* cause, std::string missing);
CauseResult Supported(const char* cause, Confidence confidence, std::string blamed_host,
                      std::string summary, std::vector<EvidenceNote> evidence,
                      std::vector<std::string> remediation);

// Confidence from direct evidence and corroboration (DESIGN.md: confirmed when both agree,
// likely with direct evidence alone, possible when only the pattern or corroboration points
// there). Stale direct evidence cannot confirm: it costs one level.
Confidence Grade(bool direct, bool direct_fresh, bool corroborated);

// Calls `fn` for every event on `host` (or on every host when `host` is empty) whose id is in
// `ids`.
void ForEachEvent(const FleetIndex& index, const std::string& host, absl::Span<const uint32_t> ids,
                  const std::function<void(const v1::Evidence&, const v1::EventRecord&)>& fn);

// The DCs `host` authenticates against: the KDCs that answered its ticket probes, else the DCs
// of its AD site, else every DC. Read once per correlation and host (FleetMemo).
const std::vector<std::string>& KdcsOf(const RuleContext& ctx, const std::string& host);
// AuthenticatingDc (clock_graph.h), read once per correlation and host.
const std::optional<std::string>& AuthenticatingDcOf(const RuleContext& ctx,
                                                     const std::string& host);

// The per-target verdicts of a group folded into one: the most confident supported verdict,
// else the first not-checked one, else ruled out with every reason. An empty list is not
// checked: no failing queue names a known host.
CauseResult StrongestOf(const char* cause, std::vector<CauseResult> results);

// True when `spn` ("SMTPSVC/ex02.contoso.com@REALM", "SMTP/EX02") is one of target `t`'s SMTP
// SPNs (short or FQDN form; service classes compare case-insensitively).
bool IsTargetSmtpSpn(const std::string& spn, const std::string& t, const std::string& fqdn);

// "0x25" for 37, as the parsers normalise Kerberos codes.
std::string HexCode(int code);

std::string JoinNames(const std::set<std::string>& names);
std::string JoinNames(const std::vector<std::string>& names);
std::string JoinNames(absl::Span<const absl::string_view> names);

}  // namespace kerbside::correlator

#endif  // KERBSIDE_COLLECTOR_CORRELATOR_RULES_RULE_H_
