#include "collector/correlator/correlator.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/correlator/causes.h"
#include "collector/correlator/clock_graph.h"
#include "collector/correlator/fleet_index.h"
#include "collector/correlator/pair_matrix.h"
#include "collector/correlator/rules/rule.h"
#include "collector/correlator/rules/unexplained.h"

namespace kerbside::correlator {
namespace {

// Splits the failing pairs into groups by the side the pair matrix blames (DESIGN.md §2), each
// pattern in turn over the pairs no earlier one took.
class FailureGrouper {
 public:
  FailureGrouper(const FleetIndex& index, const PairMatrix& m) : index_(index), m_(m) {
    for (const auto& [key, p] : m.failing()) {
      if (p.tentative) continue;
      by_target_[p.target].push_back(&p);
      by_sender_[p.sender].push_back(&p);
    }
  }

  std::vector<FailureGroup> Groups() && {
    GroupTentative();
    GroupTargetSide();
    GroupSenderSide();
    GroupSinglePairs();
    for (FailureGroup& g : groups_) MarkDcSide(g);
    return std::move(groups_);
  }

 private:
  void Add(FailureGroup& g, const FailingPair& p) {
    g.pairs.push_back(&p);
    g.senders.insert(p.sender);
    if (p.target_known) g.targets.insert(p.target);
    assigned_.insert(&p);
  }

  std::string OwnQueues(const std::string& t) const {
    if (!m_.FailingTargetsOf(t).empty() || m_.HasStuckQueue(t)) {
      return absl::StrCat(t, "'s own queues fail too");
    }
    if (m_.SendsHealthily(t)) return absl::StrCat(t, "'s own queues are healthy");
    // Its queues were read (they may all point at sites or DAGs): none is stuck.
    if (m_.QueuesKnown(t)) return absl::StrCat(t, "'s own queues are not stuck");
    return absl::StrCat(t, "'s own queues are not known");
  }

  // Queues whose next hop could be several servers, none named by the evidence: one group per
  // sender and next hop (the same words name other servers from another sender: "hub version
  // 14" is the sender's own site), every candidate judged as a target (DESIGN.md §3). Counted
  // in no pattern below.
  void GroupTentative() {
    std::map<std::pair<std::string, std::string>, std::vector<const FailingPair*>> tentative;
    for (const auto& [key, p] : m_.failing()) {
      if (p.tentative) tentative[{p.sender, p.next_hop}].push_back(&p);
    }
    for (const auto& [sender_hop, pairs] : tentative) {
      FailureGroup g;
      g.pattern_kind = "target_side";
      for (const FailingPair* p : pairs) Add(g, *p);
      std::string basis;
      if (auto note = m_.next_hops().find(sender_hop); note != m_.next_hops().end()) {
        basis = note->second.basis;
      }
      g.pattern =
          absl::StrCat(JoinNames(g.senders), " -> '", sender_hop.second, "' could be any of ",
                       JoinNames(g.targets), basis.empty() ? "" : " (" + basis + ")",
                       "; no evidence names which: each is judged");
      groups_.push_back(std::move(g));
    }
  }

  // Every sender fails to T and none delivers to it: T-side.
  void GroupTargetSide() {
    for (const auto& [t, pairs] : by_target_) {
      if (pairs.size() < 2 || !m_.HealthySendersTo(t).empty()) continue;
      FailureGroup g;
      g.pattern_kind = "target_side";
      g.pattern = absl::StrCat(pairs.size(), " of ", pairs.size(), " senders fail to ", t, "; ",
                               OwnQueues(t));
      for (const FailingPair* p : pairs) Add(g, *p);
      groups_.push_back(std::move(g));
    }
  }

  // S fails to every target it has: S-side.
  void GroupSenderSide() {
    for (const auto& [s, pairs] : by_sender_) {
      std::vector<const FailingPair*> left;
      for (const FailingPair* p : pairs) {
        if (!assigned_.contains(p)) left.push_back(p);
      }
      if (left.size() < 2 || !m_.HealthyTargetsOf(s).empty()) continue;
      FailureGroup g;
      g.pattern_kind = "sender_side";
      std::set<std::string> targets;
      for (const FailingPair* p : left) targets.insert(p->target);
      g.pattern = absl::StrCat(s, " fails to ", left.size(), " of ", left.size(), " targets (",
                               JoinNames(targets), ")");
      for (const FailingPair* p : left) Add(g, *p);
      groups_.push_back(std::move(g));
    }
  }

  // What is left is one pair at a time; say what the matrix knows around it.
  void GroupSinglePairs() {
    for (const auto& [key, p] : m_.failing()) {
      if (assigned_.contains(&p) || p.tentative) continue;
      FailureGroup g;
      const PairMatrix::Names healthy_to_t = m_.HealthySendersTo(p.target);
      const PairMatrix::Names healthy_from_s = m_.HealthyTargetsOf(p.sender);
      if (!healthy_to_t.empty() && !healthy_from_s.empty()) {
        g.pattern_kind = "pair_only";
        g.pattern =
            absl::StrCat("only ", p.sender, " -> ", p.target, " fails: ", p.sender, " delivers to ",
                         JoinNames(healthy_from_s), " and ", JoinNames(healthy_to_t), " deliver",
                         healthy_to_t.size() == 1 ? "s" : "", " to ", p.target);
      } else if (!healthy_to_t.empty()) {
        g.pattern_kind = "sender_side";
        g.pattern =
            absl::StrCat(p.sender, " fails to ", p.target, " while ", JoinNames(healthy_to_t),
                         " deliver", healthy_to_t.size() == 1 ? "s" : "", " to it");
      } else {
        g.pattern_kind = "target_side";
        g.pattern = absl::StrCat(
            "1 of 1 known senders fails to ", p.target,
            p.target_known ? absl::StrCat("; ", OwnQueues(p.target)) : "",
            healthy_from_s.empty()
                ? ""
                : absl::StrCat("; ", p.sender, " delivers to ", JoinNames(healthy_from_s)));
      }
      Add(g, p);
      groups_.push_back(std::move(g));
    }
  }

  // The DCs `host`'s ticket probes got their answers from.
  std::set<std::string> KdcsUsedBy(const std::string& host) const {
    std::set<std::string> out;
    for (const v1::Evidence* e : index_.Of(host, v1::Evidence::kProbes)) {
      for (const v1::TicketProbe& t : e->probes().tickets()) {
        if (auto dc = index_.Resolve(t.kdc())) out.insert(*dc);
      }
    }
    return out;
  }

  // DC-side: every failing sender of the group gets its tickets from one DC (its probes say
  // so) while a sender that delivers uses another.
  void MarkDcSide(FailureGroup& g) const {
    std::set<std::string> kdcs;
    for (const std::string& s : g.senders) {
      const std::set<std::string> own = KdcsUsedBy(s);
      if (own.empty()) return;
      kdcs.insert(own.begin(), own.end());
    }
    if (kdcs.size() != 1) return;
    const std::string dc = *kdcs.begin();
    for (const std::string& t : g.targets) {
      for (const absl::string_view healthy : m_.HealthySendersTo(t)) {
        for (const std::string& other : KdcsUsedBy(std::string(healthy))) {
          if (other == dc || g.pattern_kind == "dc_side") continue;
          g.pattern_kind = "dc_side";
          g.pattern = absl::StrCat("all senders that use ", dc, " fail (", JoinNames(g.senders),
                                   "); ", healthy, " uses ", other, " and delivers");
        }
      }
    }
  }

  const FleetIndex& index_;
  const PairMatrix& m_;
  std::vector<FailureGroup> groups_;
  // The matrix holds one FailingPair per (sender, target): its address is the pair.
  absl::flat_hash_set<const FailingPair*> assigned_;
  std::map<std::string, std::vector<const FailingPair*>> by_target_, by_sender_;
};

std::vector<FailureGroup> GroupFailures(const FleetIndex& index, const PairMatrix& m) {
  return FailureGrouper(index, m).Groups();
}

// A group judged: its diagnosis but for the verdicts, which stay shared (a per-target rule's
// verdict on a one-target group is one object for every group of that target) until the
// diagnosis is kept: most groups of a large fleet merge into another's diagnosis, and copying
// their verdicts only to drop them was a large share of correlating (issue 17).
struct Judged {
  Diagnosis d;  // senders, targets, queues, next hops, pattern
  std::vector<std::shared_ptr<const CauseResult>> supported;  // best first
  std::vector<std::shared_ptr<const CauseResult>> ruled_out, not_checked;
};

// A verdict into a kept diagnosis: moved when this group is its only holder (rules make their
// verdicts as non-const objects, Rule::EvaluateShared), else copied.
void TakeVerdicts(std::vector<std::shared_ptr<const CauseResult>>& from,
                  std::vector<CauseResult>& to) {
  to.reserve(from.size());
  for (std::shared_ptr<const CauseResult>& r : from) {
    if (r.use_count() == 1) {
      to.push_back(std::move(const_cast<CauseResult&>(*r)));
    } else {
      to.push_back(*r);
    }
    r.reset();
  }
}

Judged Judge(const RuleContext& ctx) {
  Judged j;
  Diagnosis& d = j.d;
  const FailureGroup& g = ctx.group;
  d.senders.assign(g.senders.begin(), g.senders.end());
  std::set<std::string> targets;
  std::set<std::pair<std::string, std::string>> queues_seen;  // a tentative queue is in each pair
  for (const FailingPair* p : g.pairs) {
    targets.insert(p->target);
    for (const QueueRef& q : p->queues) {
      if (queues_seen.insert({q.sender, q.identity}).second) d.queues.push_back(q);
    }
  }
  // The group's senders' notes only (the map is keyed by sender first): scanning every note of
  // the fleet for each group made judging quadratic in fleet size (issue 17).
  const auto& notes = ctx.matrix.next_hops();
  for (const std::string& sender : g.senders) {
    for (auto it = notes.lower_bound({sender, ""}); it != notes.end() && it->first.first == sender;
         ++it) {
      const NextHopNote& note = it->second;
      const bool chosen_here = std::any_of(note.chosen.begin(), note.chosen.end(),
                                           [&](const std::string& c) { return targets.count(c); });
      if (chosen_here || (note.chosen.empty() && targets.count(note.next_hop))) {
        d.next_hops.push_back(note);
      }
    }
  }
  d.targets.assign(targets.begin(), targets.end());
  d.pattern_kind = g.pattern_kind;
  d.pattern = g.pattern;
  for (const Rule* rule : Rules()) {
    std::shared_ptr<const CauseResult> r = rule->EvaluateShared(ctx);
    switch (r->state) {
      case CauseResult::State::kSupported:
        j.supported.push_back(std::move(r));
        break;
      case CauseResult::State::kRuledOut:
        j.ruled_out.push_back(std::move(r));
        break;
      case CauseResult::State::kNotChecked:
        j.not_checked.push_back(std::move(r));
        break;
    }
  }
  // Ties keep the registry's order.
  std::stable_sort(j.supported.begin(), j.supported.end(),
                   [](const auto& a, const auto& b) { return a->confidence > b->confidence; });
  return j;
}

// The diagnosis of a group that is kept: its verdicts copied in, or `unexplained`.
Diagnosis Materialize(Judged&& j, const FailureGroup& g) {
  Diagnosis d = std::move(j.d);
  TakeVerdicts(j.supported, d.causes);
  TakeVerdicts(j.ruled_out, d.ruled_out);
  TakeVerdicts(j.not_checked, d.not_checked);
  if (d.causes.empty()) {
    d.causes.push_back(Unexplained(g, d.not_checked, d.ruled_out));
    for (const NextHopNote& n : d.next_hops) {
      if (n.chosen.empty()) {
        absl::StrAppend(&d.causes.front().summary, "; next hop '", n.next_hop, "': ", n.chosen_by);
      }
    }
  }
  d.blamed_host = d.causes.front().blamed_host;
  return d;
}

// Appends only: a diagnosis that a thousand groups merge into (one target, each failing sender
// a pair-only group of its own) would otherwise re-sort its names and copy its pattern a
// thousand times. Names are sorted and made unique once, after every merge (Correlate).
void Merge(Diagnosis& into, Diagnosis&& from) {
  auto append = [](auto& to, auto& more) {
    to.insert(to.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  };
  append(into.senders, from.senders);
  append(into.targets, from.targets);
  append(into.queues, from.queues);
  append(into.next_hops, from.next_hops);
  if (into.pattern != from.pattern) absl::StrAppend(&into.pattern, "; ", from.pattern);
}

void SortUnique(std::vector<std::string>& names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
}

std::string Sentence(const Diagnosis& d) {
  const CauseResult& top = d.causes.front();
  // Candidates that stand for one next hop are said as that next hop ("'hub version 14' (EX02
  // or EX03)"): the queue failed to one of them, not to each.
  std::vector<std::string> targets;
  std::set<std::string> said;
  for (const NextHopNote& n : d.next_hops) {
    if (n.chosen.size() < 2) continue;
    const std::string text =
        absl::StrCat("'", n.next_hop, "' (", absl::StrJoin(n.chosen, " or "), ")");
    if (!said.insert(text).second) continue;
    targets.push_back(text);
    said.insert(n.chosen.begin(), n.chosen.end());
  }
  for (const std::string& t : d.targets) {
    if (!said.count(t)) targets.push_back(t);
  }
  return absl::StrCat(absl::StrJoin(d.senders, ", "), " -> ", absl::StrJoin(targets, ", "),
                      " stuck: ", CauseFor(top.cause).label, " — ", top.summary);
}

}  // namespace

Diagnoses Correlate(const model::FleetModel& fleet, absl::Time now,
                    const CorrelatorOptions& options) {
  Diagnoses out;
  out.now = now;
  out.max_clock_skew = fleet.max_clock_skew.value_or(options.max_clock_skew);
  const FleetIndex index(fleet, now, options.stale_after);
  const PairMatrix matrix(index);
  const ClockGraph clocks(index, out.max_clock_skew);
  out.clock_reference = clocks.ReferenceLabel();

  // One diagnosis per (cause, blamed host): a cause found from both the target's and a
  // sender's side is one problem, listing every queue it explains. Groups are judged and merged
  // in turn; an unexplained group is never merged.
  FleetMemo memo;
  std::map<std::pair<std::string, std::string>, size_t> seen;
  for (const FailureGroup& g : GroupFailures(index, matrix)) {
    Judged j = Judge(RuleContext{index, matrix, clocks, g, out.max_clock_skew, &memo});
    if (!j.supported.empty()) {
      const CauseResult& top = *j.supported.front();
      auto [it, added] = seen.try_emplace({top.cause, top.blamed_host}, out.diagnoses.size());
      if (!added) {
        Merge(out.diagnoses[it->second], std::move(j.d));
        continue;
      }
    }
    out.diagnoses.push_back(Materialize(std::move(j), g));
  }
  // Queues stuck for reasons outside the model are reported, not dropped.
  std::map<std::pair<std::string, std::string>, Diagnosis> out_of_scope;
  for (const QueueRef& q : matrix.out_of_scope()) {
    Diagnosis& d = out_of_scope[{q.failure_class, q.target}];
    if (d.causes.empty()) {
      CauseResult r;
      r.cause = kOutOfScope;
      r.state = CauseResult::State::kSupported;
      r.confidence = Confidence::kConfirmed;
      r.blamed_host = q.target;
      r.summary = absl::StrCat("not an ExchangeAuth failure (", q.failure_class,
                               "): ", q.last_error.empty() ? "no LastError" : q.last_error);
      d.causes.push_back(std::move(r));
      d.blamed_host = q.target;
      d.targets = {q.target};
      d.pattern_kind = "none";
      d.pattern = "outside KB 979174";
    }
    if (std::find(d.senders.begin(), d.senders.end(), q.sender) == d.senders.end()) {
      d.senders.push_back(q.sender);
    }
    d.queues.push_back(q);
  }
  for (auto& [key, d] : out_of_scope) out.diagnoses.push_back(std::move(d));
  for (Diagnosis& d : out.diagnoses) {
    SortUnique(d.senders);
    SortUnique(d.targets);
    std::set<std::pair<std::string, std::string>> hops_seen;
    std::erase_if(d.next_hops, [&](const NextHopNote& n) {
      return !hops_seen.insert({n.sender, n.next_hop}).second;
    });
    d.sentence = Sentence(d);
  }
  // Best supported first; out-of-scope last; ties by blamed host for determinism.
  std::stable_sort(out.diagnoses.begin(), out.diagnoses.end(),
                   [](const Diagnosis& a, const Diagnosis& b) {
                     const bool ao = a.causes.front().cause == kOutOfScope;
                     const bool bo = b.causes.front().cause == kOutOfScope;
                     if (ao != bo) return bo;
                     if (a.causes.front().confidence != b.causes.front().confidence) {
                       return a.causes.front().confidence > b.causes.front().confidence;
                     }
                     return a.blamed_host < b.blamed_host;
                   });
  return out;
}

}  // namespace kerbside::correlator
