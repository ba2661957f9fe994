#include "collector/correlator/pair_matrix.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/correlator/next_hop_targets.h"
#include "common/events/event_ids.h"
#include "common/model/queue_state.h"

namespace kerbside::correlator {
namespace {

std::string FailureClassName(v1::LastError::FailureClass c) {
  std::string name = v1::LastError::FailureClass_Name(c);
  return absl::AsciiStrToLower(name);
}

bool InScope(const v1::LastError& e) {
  return e.failure_class() == v1::LastError::AUTH_TEMPORARY ||
         e.failure_class() == v1::LastError::EXCHANGE_AUTH_NOT_OFFERED;
}

std::string ReplyText(const v1::SmtpReply& r) {
  if (r.code() == 0) return "";
  return absl::StrCat(r.code(), " ", r.enhanced_status(), r.text().empty() ? "" : " ", r.text());
}

// The target of a queue: the FQDN or IP Exchange wrote into LastError, the endpoint it tried,
// else the next hop when it is a host (intra-org relay to one server). Next hops that are no
// host ("hub version 14", sites, DAGs) are resolved to candidates by NextHopResolver.
std::optional<std::string> ResolveTarget(const FleetIndex& index, const v1::Queue& q) {
  const v1::LastError& e = q.last_error();
  for (const std::string& candidate : {e.target_fqdn(), e.target_ip()}) {
    if (auto key = index.Resolve(candidate)) return key;
  }
  if (!e.last_endpoint().empty()) {
    std::string ep = e.last_endpoint();
    const size_t colon = ep.rfind(':');
    if (colon != std::string::npos) ep = ep.substr(0, colon);
    if (!ep.empty() && ep.front() == '[') ep = ep.substr(1, ep.size() - 2);
    if (auto key = index.Resolve(ep)) return key;
  }
  return index.Resolve(q.next_hop_domain());
}

}  // namespace

PairMatrix::PairMatrix(const FleetIndex& index) {
  const NextHopResolver resolver(index);
  for (const v1::Evidence* ev : index.All(v1::Evidence::kQueues)) {
    const std::string& sender = ev->host();
    queues_known_.insert(sender);
    for (const v1::Queue& q : ev->queues().queues()) {
      std::optional<std::string> target = ResolveTarget(index, q);
      const bool stuck = model::IsQueueStuck(q);
      std::optional<NextHopTargets> hop;
      if (!target) hop = resolver.Resolve(sender, q, /*find_named=*/stuck);
      if (!stuck) {
        // A delivering queue toward a known Exchange server is a healthy pair; toward a set of
        // candidates it says nothing about any one of them.
        if (!target && hop && hop->candidates.hosts.size() == 1) {
          target = hop->candidates.hosts.front();
        }
        if (target && *target != sender) {
          healthy_.insert({sender, *target});
          healthy_to_[*target].insert(sender);
          healthy_from_[sender].insert(*target);
        }
        continue;
      }
      QueueRef ref;
      ref.sender = sender;
      ref.target = target.value_or(q.next_hop_domain());
      ref.identity = q.identity();
      ref.status = q.status();
      ref.message_count = q.message_count();
      ref.last_error = ReplyText(q.last_error().inner());
      if (ref.last_error.empty()) ref.last_error = q.last_error().raw();
      ref.failure_class = FailureClassName(q.last_error().failure_class());
      ref.origin = ev->origin();
      if (!InScope(q.last_error())) {
        out_of_scope_.push_back(std::move(ref));
        continue;
      }
      stuck_senders_.insert(sender);
      // The hosts this queue fails to: the one it names, or the candidates of its next hop that
      // the evidence names, else all of them, each judged (DESIGN.md §3).
      std::vector<std::string> targets;
      bool known = target.has_value();
      bool tentative = false;
      if (target) {
        targets.push_back(*target);
      } else {
        NextHopNote& note = next_hops_[{sender, q.next_hop_domain()}];
        note.sender = sender;
        note.next_hop = q.next_hop_domain();
        note.delivery_type = q.delivery_type();
        note.basis = hop->candidates.basis;
        note.candidates = hop->candidates.hosts;
        note.unknown_facts = hop->candidates.unknown_facts;
        if (hop->candidates.hosts.empty()) {
          note.chosen_by = hop->candidates.why_none;
          targets.push_back(q.next_hop_domain());
        } else if (hop->candidates.hosts.size() == 1) {
          note.chosen_by = "the only candidate";
          targets = hop->candidates.hosts;
          known = true;
        } else if (!hop->named.empty()) {
          std::vector<std::string> why;
          for (const auto& [c, evidence] : hop->named) {
            targets.push_back(c);
            why.push_back(evidence.fact);
          }
          note.chosen_by = absl::StrCat("named by the evidence: ", absl::StrJoin(why, "; "));
          known = true;
        } else {
          note.chosen_by = "no evidence names one of them: each is judged";
          targets = hop->candidates.hosts;
          known = true;
          tentative = true;
        }
        note.chosen = known ? targets : std::vector<std::string>{};
      }
      const std::string& endpoint = q.last_error().last_endpoint();
      int port = 0;
      const size_t colon = endpoint.rfind(':');
      const bool has_port =
          colon != std::string::npos && absl::SimpleAtoi(endpoint.substr(colon + 1), &port);
      for (const std::string& t : targets) {
        FailingPair& p = failing_[{sender, t}];
        // A pair is tentative only while every queue behind it is.
        p.tentative = p.queues.empty() ? tentative : p.tentative && tentative;
        p.sender = sender;
        p.target = t;
        p.target_known = known;
        if (!target && p.next_hop.empty()) p.next_hop = q.next_hop_domain();
        p.last_errors.push_back(&q.last_error());
        if (has_port) p.ports.insert(port);
        QueueRef r = ref;
        if (!tentative) r.target = t;
        p.queues.push_back(std::move(r));
      }
    }
  }
  // 1035 on a target names the sender's IP: the failure seen from the receiving side, which also
  // covers senders that sent no bundle.
  for (const v1::Evidence* ev : index.All(v1::Evidence::kEvents)) {
    const std::string& target = ev->host();
    for (const v1::EventRecord& r : ev->events().events()) {
      if (r.event_id() != events::kInboundAuthFailed) continue;
      auto ip = r.facts().find("source_ip");
      if (ip == r.facts().end()) continue;
      std::optional<std::string> sender = index.Resolve(ip->second);
      if (!sender || *sender == target) continue;
      // A sender whose own queues are known and none of them stuck delivers now: its queues are
      // the authority on its mail, and 1035s that stay in the target's log (and the window) for
      // a day after a fix are history, not a failing pair.
      if (queues_known_.count(*sender) != 0 && stuck_senders_.count(*sender) == 0) continue;
      FailingPair& p = failing_[{*sender, target}];
      p.sender = *sender;
      p.target = target;
      p.target_known = true;
      p.tentative = false;  // the target saw this sender fail: no longer one of many
      auto connector = r.facts().find("connector");
      auto mechanism = r.facts().find("mechanism");
      if (connector != r.facts().end()) p.connectors_in_1035.insert(connector->second);
      if (p.events.size() < 3) {
        p.events.push_back(index.Note(
            *ev,
            absl::StrCat("event 1035 on ", target, ": inbound authentication failed",
                         connector != r.facts().end()
                             ? " on receive connector '" + connector->second + "'"
                             : "",
                         mechanism != r.facts().end() ? ", mechanism " + mechanism->second : "",
                         ", source ", ip->second, " (", *sender, ")")));
      }
    }
  }
  for (const auto& [key, p] : failing_) {
    if (p.tentative) continue;
    failing_to_[p.target].insert(p.sender);
    failing_from_[p.sender].insert(p.target);
    // A pair seen failing is not healthy, whatever another queue says.
    healthy_.erase(key);
    healthy_to_[p.target].erase(p.sender);
    healthy_from_[p.sender].erase(p.target);
  }
}

std::set<std::string> PairMatrix::FailingSendersTo(const std::string& target) const {
  auto it = failing_to_.find(target);
  return it == failing_to_.end() ? std::set<std::string>{} : it->second;
}
std::set<std::string> PairMatrix::HealthySendersTo(const std::string& target) const {
  auto it = healthy_to_.find(target);
  return it == healthy_to_.end() ? std::set<std::string>{} : it->second;
}
std::set<std::string> PairMatrix::FailingTargetsOf(const std::string& sender) const {
  auto it = failing_from_.find(sender);
  return it == failing_from_.end() ? std::set<std::string>{} : it->second;
}
std::set<std::string> PairMatrix::HealthyTargetsOf(const std::string& sender) const {
  auto it = healthy_from_.find(sender);
  return it == healthy_from_.end() ? std::set<std::string>{} : it->second;
}
bool PairMatrix::SendsHealthily(const std::string& host) const {
  return FailingTargetsOf(host).empty() && !HealthyTargetsOf(host).empty();
}

}  // namespace kerbside::correlator
