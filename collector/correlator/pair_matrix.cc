#include "collector/correlator/pair_matrix.h"

#include <algorithm>

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
// The key is a view of the fleet model's own (FleetIndex::ResolveKey).
std::optional<absl::string_view> ResolveTarget(const FleetIndex& index, const v1::Queue& q) {
  const v1::LastError& e = q.last_error();
  for (const std::string* candidate : {&e.target_fqdn(), &e.target_ip()}) {
    if (auto key = index.ResolveKey(*candidate)) return key;
  }
  if (!e.last_endpoint().empty()) {
    absl::string_view ep = e.last_endpoint();
    const size_t colon = ep.rfind(':');
    if (colon != absl::string_view::npos) ep = ep.substr(0, colon);
    if (ep.size() >= 2 && ep.front() == '[') ep = ep.substr(1, ep.size() - 2);
    if (auto key = index.ResolveKey(ep)) return key;
  }
  return index.ResolveKey(q.next_hop_domain());
}

// A stuck queue as the diagnoses show it.
QueueRef StuckQueueRef(const v1::Evidence& ev, const v1::Queue& q,
                       const std::optional<absl::string_view>& target) {
  QueueRef ref;
  ref.sender = ev.host();
  ref.target = target ? std::string(*target) : q.next_hop_domain();
  ref.identity = q.identity();
  ref.status = q.status();
  ref.message_count = q.message_count();
  ref.last_error = ReplyText(q.last_error().inner());
  if (ref.last_error.empty()) ref.last_error = q.last_error().raw();
  ref.failure_class = FailureClassName(q.last_error().failure_class());
  ref.origin = ev.origin();
  return ref;
}

// The target's local port the sender reached, from LastError's endpoint ("10.1.1.12:25").
std::optional<int> EndpointPort(const v1::LastError& e) {
  const std::string& endpoint = e.last_endpoint();
  int port = 0;
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos || !absl::SimpleAtoi(endpoint.substr(colon + 1), &port)) {
    return std::nullopt;
  }
  return port;
}

}  // namespace

PairMatrix::PairMatrix(const FleetIndex& index) {
  // Built at the first next hop that is no host: its tables cover every Exchange server, and a
  // fleet whose queues all name their target (intra-org relay to one server) needs none.
  std::optional<NextHopResolver> resolver;
  for (const v1::Evidence* ev : index.All(v1::Evidence::kQueues)) {
    queues_known_.insert(ev->host());
    for (const v1::Queue& q : ev->queues().queues()) AddQueue(index, resolver, *ev, q);
  }
  AddInboundFailures(index);
  IndexPairs();
}

void PairMatrix::AddQueue(const FleetIndex& index, std::optional<NextHopResolver>& resolver,
                          const v1::Evidence& ev, const v1::Queue& q) {
  const std::string& sender = ev.host();
  std::optional<absl::string_view> target = ResolveTarget(index, q);
  const bool stuck = model::IsQueueStuck(q);
  std::optional<NextHopTargets> hop;
  if (!target) {
    if (!resolver) resolver.emplace(index);
    hop = resolver->Resolve(sender, q, /*find_named=*/stuck);
  }
  if (!stuck) {
    // A delivering queue toward a known Exchange server is a healthy pair; toward a set of
    // candidates it says nothing about any one of them. (The candidate is a host key: resolved
    // again for the fleet's own copy of it.)
    if (!target && hop && hop->candidates.hosts.size() == 1) {
      target = index.ResolveKey(hop->candidates.hosts.front());
    }
    if (target && *target != sender) healthy_.emplace_back(sender, *target);
    return;
  }
  QueueRef ref = StuckQueueRef(ev, q, target);
  if (!InScope(q.last_error())) {
    out_of_scope_.push_back(std::move(ref));
    return;
  }
  stuck_senders_.insert(sender);
  const QueueTargets targets = target ? QueueTargets{{std::string(*target)}, true, false}
                                      : ChooseCandidates(sender, q, *hop);
  const std::optional<int> port = EndpointPort(q.last_error());
  for (const std::string& t : targets.hosts) {
    FailingPair& p = failing_[{sender, t}];
    // A pair is tentative only while every queue behind it is.
    p.tentative = p.queues.empty() ? targets.tentative : p.tentative && targets.tentative;
    p.sender = sender;
    p.target = t;
    p.target_known = targets.known;
    if (!target && p.next_hop.empty()) p.next_hop = q.next_hop_domain();
    p.last_errors.push_back(&q.last_error());
    if (port) p.ports.insert(*port);
    QueueRef r = ref;
    if (!targets.tentative) r.target = t;
    p.queues.push_back(std::move(r));
  }
}

PairMatrix::QueueTargets PairMatrix::ChooseCandidates(const std::string& sender, const v1::Queue& q,
                                                      const NextHopTargets& hop) {
  // The candidates of the next hop that the evidence names, else all of them, each judged
  // (DESIGN.md §3); the choice is noted for the diagnosis.
  NextHopNote& note = next_hops_[{sender, q.next_hop_domain()}];
  note.sender = sender;
  note.next_hop = q.next_hop_domain();
  note.delivery_type = q.delivery_type();
  note.basis = hop.candidates.basis;
  note.candidates = hop.candidates.hosts;
  note.unknown_facts = hop.candidates.unknown_facts;
  QueueTargets out;
  if (hop.candidates.hosts.empty()) {
    note.chosen_by = hop.candidates.why_none;
    out.hosts.push_back(q.next_hop_domain());
  } else if (hop.candidates.hosts.size() == 1) {
    note.chosen_by = "the only candidate";
    out = {hop.candidates.hosts, true, false};
  } else if (!hop.named.empty()) {
    std::vector<std::string> why;
    for (const auto& [c, evidence] : hop.named) {
      out.hosts.push_back(c);
      why.push_back(evidence.fact);
    }
    note.chosen_by = absl::StrCat("named by the evidence: ", absl::StrJoin(why, "; "));
    out.known = true;
  } else {
    note.chosen_by = "no evidence names one of them: each is judged";
    out = {hop.candidates.hosts, true, true};
  }
  note.chosen = out.known ? out.hosts : std::vector<std::string>{};
  return out;
}

void PairMatrix::AddInboundFailures(const FleetIndex& index) {
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
}

void PairMatrix::IndexPairs() {
  for (const auto& [key, p] : failing_) {
    if (p.tentative) continue;
    failing_to_[p.target].push_back(p.sender);
    failing_from_[p.sender].push_back(p.target);
  }
  // A pair seen failing is not healthy, whatever another queue says. Both lists are in
  // (sender, target) order, so one merge walk drops them.
  std::sort(healthy_.begin(), healthy_.end());
  healthy_.erase(std::unique(healthy_.begin(), healthy_.end()), healthy_.end());
  auto failing = failing_.begin();
  auto before = [](const std::pair<std::string, std::string>& f, const HostPair& h) {
    return HostPair(f.first, f.second) < h;
  };
  std::erase_if(healthy_, [&](const HostPair& pair) {
    while (failing != failing_.end() && before(failing->first, pair)) ++failing;
    return failing != failing_.end() && failing->first.first == pair.first &&
           failing->first.second == pair.second && !failing->second.tentative;
  });
  // In (sender, target) order, each sender's targets come sorted, and each target's senders
  // are appended in sorted order.
  NameList* targets = nullptr;
  absl::string_view sender;
  for (const auto& [s, t] : healthy_) {
    if (targets == nullptr || sender != s) {
      sender = s;
      targets = &healthy_from_[s];
    }
    targets->push_back(t);
    healthy_to_[t].push_back(s);
  }
  // failing_ is ordered by (sender, target), so failing_from_'s lists are sorted already.
  for (auto& [target, senders] : failing_to_) std::sort(senders.begin(), senders.end());
}

bool PairMatrix::Healthy(const std::string& sender, const std::string& target) const {
  return std::binary_search(healthy_.begin(), healthy_.end(),
                            HostPair(absl::string_view(sender), absl::string_view(target)));
}

namespace {

PairMatrix::Names Find(
    const absl::flat_hash_map<absl::string_view, absl::InlinedVector<absl::string_view, 4>>& lists,
    absl::string_view host) {
  auto it = lists.find(host);
  if (it == lists.end()) return {};
  return it->second;
}

}  // namespace

PairMatrix::Names PairMatrix::FailingSendersTo(absl::string_view target) const {
  return Find(failing_to_, target);
}
PairMatrix::Names PairMatrix::HealthySendersTo(absl::string_view target) const {
  return Find(healthy_to_, target);
}
PairMatrix::Names PairMatrix::FailingTargetsOf(absl::string_view sender) const {
  return Find(failing_from_, sender);
}
PairMatrix::Names PairMatrix::HealthyTargetsOf(absl::string_view sender) const {
  return Find(healthy_from_, sender);
}
bool PairMatrix::SendsHealthily(absl::string_view host) const {
  return FailingTargetsOf(host).empty() && !HealthyTargetsOf(host).empty();
}

}  // namespace kerbside::correlator
