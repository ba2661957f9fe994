#include "collector/correlator/next_hop_targets.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/events/event_ids.h"

namespace kerbside::correlator {
namespace {

bool IsFailureRecord(const v1::EventRecord& r) {
  for (const char* code : {"status", "error_code"}) {
    auto it = r.facts().find(code);
    if (it != r.facts().end() && !it->second.empty() && it->second != "0x0") return true;
  }
  return r.facts().contains("error") || r.event_id() == events::kInboundAuthFailed;
}

// The record names `sender` as the client: it was logged on the sender, or its client address
// or account is the sender's.
bool NamesClient(const FleetIndex& index, const v1::Evidence& e, const v1::EventRecord& r,
                 const std::string& sender) {
  if (e.host() == sender) return true;
  for (const char* fact : {"client_address", "source_ip"}) {
    auto it = r.facts().find(fact);
    if (it == r.facts().end()) continue;
    if (auto h = index.Resolve(it->second); h && *h == sender) return true;
  }
  for (const char* fact : {"target_user", "client_name"}) {
    auto it = r.facts().find(fact);
    if (it != r.facts().end() && ShortName(it->second) == sender) return true;
  }
  return false;
}

// The record is about a ticket to, or a connection into, `candidate`'s SMTP service.
bool NamesServer(const v1::Evidence& e, const v1::EventRecord& r, const std::string& candidate) {
  if (r.event_id() == events::kInboundAuthFailed) return e.host() == candidate;
  for (const char* fact : {"service_name", "target_name", "target_spn", "server_name"}) {
    auto it = r.facts().find(fact);
    if (it != r.facts().end() && SpnHost(it->second) == candidate) return true;
  }
  return false;
}

}  // namespace

std::optional<EvidenceNote> PairEvidence(const FleetIndex& index, const std::string& sender,
                                         const std::string& candidate) {
  // Events are indexed by every host they name: a ticket for SMTPSVC/<candidate> under the
  // candidate, a 1035 on the candidate under the sender (its source address).
  for (const std::string& subject : {candidate, sender}) {
    for (const auto& [e, r] : index.EventsAbout(subject)) {
      if (!IsFailureRecord(*r) || !NamesServer(*e, *r, candidate) ||
          !NamesClient(index, *e, *r, sender)) {
        continue;
      }
      return index.Note(*e, absl::StrCat("event ", r->event_id(), " on ", e->host(), " names ",
                                         sender, " -> ", candidate, " failing"));
    }
  }
  for (const v1::Evidence* e : index.Of(sender, v1::Evidence::kProbes)) {
    for (const v1::TicketProbe& t : e->probes().tickets()) {
      if (!t.ok() && ShortName(t.peer()) == candidate && t.failed_step() == "service_ticket") {
        return index.Note(*e, absl::StrCat(sender, "'s ticket probe for SMTPSVC/", candidate,
                                           " failed: ", t.krb_error_name()));
      }
    }
    for (const v1::SmtpProbe& s : e->probes().smtp()) {
      if (ShortName(s.peer()) == candidate && s.auth_attempted() && s.auth_reply().code() >= 400) {
        return index.Note(
            *e, absl::StrCat(sender, "'s SMTP probe of ", candidate, " got ", s.auth_reply().code(),
                             " ", s.auth_reply().enhanced_status()));
      }
    }
  }
  return std::nullopt;
}

NextHopResolver::NextHopResolver(const FleetIndex& index) : index_(index) {
  for (const auto& [name, h] : index.fleet().hosts) {
    // Hosts without a host.json (role unknown) count unless they are DCs by evidence.
    if (h.identity.role() == v1::ROLE_DC) continue;
    exchange::ExchangeServerFacts f;
    f.name = name;
    f.site = h.identity.site();
    f.major_version = exchange::ExchangeMajorVersion(h.identity.exchange_version());
    f.dag = h.identity.dag();
    f.roles.assign(h.identity.server_roles().begin(), h.identity.server_roles().end());
    const size_t i = fleet_.size();
    by_name_[name] = i;
    if (f.site.empty()) {
      no_site_.push_back(i);
    } else {
      by_site_[absl::AsciiStrToLower(f.site)].push_back(i);
    }
    if (f.dag.empty()) {
      no_dag_.push_back(i);
    } else {
      by_dag_[absl::AsciiStrToLower(f.dag)].push_back(i);
    }
    fleet_.push_back(std::move(f));
  }
}

std::vector<exchange::ExchangeServerFacts> NextHopResolver::Pool(
    const exchange::NextHop& hop, const exchange::ExchangeServerFacts& sender) const {
  using exchange::NextHopForm;
  const std::vector<size_t>* known = nullptr;
  const std::vector<size_t>* unknown = nullptr;
  auto in = [](const std::map<std::string, std::vector<size_t>>& m, const std::string& key) {
    static const std::vector<size_t> kNone;
    auto it = m.find(absl::AsciiStrToLower(key));
    return it == m.end() ? &kNone : &it->second;
  };
  switch (hop.form) {
    case NextHopForm::kHubsOfOwnSite:
      if (!sender.site.empty()) known = in(by_site_, sender.site), unknown = &no_site_;
      break;
    case NextHopForm::kAdSite:
    case NextHopForm::kDeliveryGroup:
      if (!hop.site.empty()) known = in(by_site_, hop.site), unknown = &no_site_;
      break;
    case NextHopForm::kDag:
      if (!hop.dag.empty()) known = in(by_dag_, hop.dag), unknown = &no_dag_;
      break;
    case NextHopForm::kMailboxDatabase:
      if (!sender.dag.empty()) {
        known = in(by_dag_, sender.dag), unknown = &no_dag_;
      } else if (!sender.site.empty()) {
        known = in(by_site_, sender.site), unknown = &no_site_;
      }
      break;
    default:
      break;
  }
  if (known == nullptr) return fleet_;
  std::vector<exchange::ExchangeServerFacts> pool;
  pool.reserve(known->size() + unknown->size());
  for (size_t i : *known) pool.push_back(fleet_[i]);
  for (size_t i : *unknown) pool.push_back(fleet_[i]);
  return pool;
}

NextHopTargets NextHopResolver::Resolve(const std::string& sender, const v1::Queue& queue,
                                        bool find_named) const {
  NextHopTargets out;
  out.hop = exchange::ParseNextHop(queue.next_hop_domain(), queue.delivery_type());
  exchange::ExchangeServerFacts self;
  self.name = sender;
  if (auto it = by_name_.find(sender); it != by_name_.end()) self = fleet_[it->second];
  out.candidates = exchange::CandidatesFor(out.hop, self, Pool(out.hop, self));
  for (const std::string& c : out.candidates.hosts) {
    if (!find_named || out.candidates.hosts.size() < 2) break;
    if (auto note = PairEvidence(index_, sender, c)) out.named.push_back({c, std::move(*note)});
  }
  return out;
}

}  // namespace kerbside::correlator
