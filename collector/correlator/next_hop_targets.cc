#include "collector/correlator/next_hop_targets.h"

#include "absl/strings/str_cat.h"

namespace kerbside::correlator {
namespace {

bool IsFailureRecord(const v1::EventRecord& r) {
  for (const char* code : {"status", "error_code"}) {
    auto it = r.facts().find(code);
    if (it != r.facts().end() && !it->second.empty() && it->second != "0x0") return true;
  }
  return r.facts().contains("error") || r.event_id() == 1035;
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
  if (r.event_id() == 1035) return e.host() == candidate;
  for (const char* fact : {"service_name", "target_name", "target_spn", "server_name"}) {
    auto it = r.facts().find(fact);
    if (it != r.facts().end() && SpnHost(it->second) == candidate) return true;
  }
  return false;
}

}  // namespace

std::optional<EvidenceNote> PairEvidence(const FleetIndex& index, const std::string& sender,
                                         const std::string& candidate) {
  for (const auto& [e, r] : index.EventsAbout(candidate)) {
    if (!IsFailureRecord(*r) || !NamesServer(*e, *r, candidate) ||
        !NamesClient(index, *e, *r, sender)) {
      continue;
    }
    return index.Note(*e, absl::StrCat("event ", r->event_id(), " on ", e->host(), " names ",
                                       sender, " -> ", candidate, " failing"));
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
    fleet_.push_back(std::move(f));
  }
}

NextHopTargets NextHopResolver::Resolve(const std::string& sender, const v1::Queue& queue) const {
  NextHopTargets out;
  out.hop = exchange::ParseNextHop(queue.next_hop_domain(), queue.delivery_type());
  exchange::ExchangeServerFacts self;
  self.name = sender;
  for (const exchange::ExchangeServerFacts& f : fleet_) {
    if (f.name == sender) self = f;
  }
  out.candidates = exchange::CandidatesFor(out.hop, self, fleet_);
  for (const std::string& c : out.candidates.hosts) {
    if (auto note = PairEvidence(index_, sender, c)) out.named.push_back({c, std::move(*note)});
  }
  return out;
}

}  // namespace kerbside::correlator
