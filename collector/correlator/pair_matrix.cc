#include "collector/correlator/pair_matrix.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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
// else the next hop (for intra-org relay a server FQDN; for DAG/site next hops no single host).
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
  for (const v1::Evidence* ev : index.All(v1::Evidence::kQueues)) {
    const std::string& sender = ev->host();
    for (const v1::Queue& q : ev->queues().queues()) {
      std::optional<std::string> target = ResolveTarget(index, q);
      const bool stuck = model::IsQueueStuck(q);
      if (!stuck) {
        // A delivering queue toward a known Exchange server is a healthy pair.
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
      FailingPair& p = failing_[{sender, ref.target}];
      p.sender = sender;
      p.target = ref.target;
      p.target_known = target.has_value();
      p.last_errors.push_back(&q.last_error());
      const std::string& endpoint = q.last_error().last_endpoint();
      int port;
      if (size_t colon = endpoint.rfind(':');
          colon != std::string::npos && absl::SimpleAtoi(endpoint.substr(colon + 1), &port)) {
        p.ports.insert(port);
      }
      p.queues.push_back(std::move(ref));
    }
  }
  // 1035 on a target names the sender's IP: the failure seen from the receiving side, which also
  // covers senders that sent no bundle.
  for (const v1::Evidence* ev : index.All(v1::Evidence::kEvents)) {
    const std::string& target = ev->host();
    for (const v1::EventRecord& r : ev->events().events()) {
      if (r.event_id() != 1035) continue;
      auto ip = r.facts().find("source_ip");
      if (ip == r.facts().end()) continue;
      std::optional<std::string> sender = index.Resolve(ip->second);
      if (!sender || *sender == target) continue;
      FailingPair& p = failing_[{*sender, target}];
      p.sender = *sender;
      p.target = target;
      p.target_known = true;
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
