#include "collector/correlator/fleet_index.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "collector/correlator/diagnosis.h"
#include "common/events/event_aggregate.h"
#include "common/exchange/ip_range.h"
#include "common/model/pdc_emulator.h"
#include "common/proto_time.h"

namespace kerbside::correlator {

const char* ConfidenceName(Confidence c) {
  switch (c) {
    case Confidence::kConfirmed:
      return "confirmed";
    case Confidence::kLikely:
      return "likely";
    case Confidence::kPossible:
      break;
  }
  return "possible";
}

namespace {

// A name without surrounding blanks and trailing dots; NormalizeName lower-cases it.
absl::string_view TrimName(absl::string_view name) {
  absl::string_view out = absl::StripAsciiWhitespace(name);
  while (!out.empty() && out.back() == '.') out.remove_suffix(1);
  return out;
}

// An address as the index keys it: "::ffff:10.1.1.5" (IPv4-mapped, as Windows writes some
// endpoints) as "10.1.1.5", every other address in its canonical form.
std::string CanonicalIp(const std::string& bytes) {
  static constexpr char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\xff', '\xff'};
  if (bytes.size() == 16 && absl::string_view(bytes).substr(0, 12) ==
                                absl::string_view(kMappedPrefix, sizeof(kMappedPrefix))) {
    return exchange::FormatIpAddress(absl::string_view(bytes).substr(12));
  }
  return exchange::FormatIpAddress(bytes);
}

}  // namespace

std::string NormalizeName(absl::string_view name) { return absl::AsciiStrToLower(TrimName(name)); }

std::string ShortName(absl::string_view name) {
  absl::string_view n = absl::StripAsciiWhitespace(name);
  if (absl::StartsWithIgnoreCase(n, "CN=")) {
    n.remove_prefix(3);
    n = n.substr(0, n.find(','));
  }
  n = n.substr(0, n.find('.'));
  n = n.substr(0, n.find('@'));
  absl::ConsumeSuffix(&n, "$");
  return absl::AsciiStrToUpper(n);
}

std::string NormalizeDn(const std::string& dn) {
  std::string out;
  for (char c : dn) {
    if (c != ' ' && c != '"') out += absl::ascii_tolower(static_cast<unsigned char>(c));
  }
  return out;
}

std::string SpnHost(absl::string_view spn) {
  absl::string_view s = spn.substr(0, spn.find('@'));
  const size_t slash = s.find('/');
  if (slash != absl::string_view::npos) s = s.substr(slash + 1);
  s = s.substr(0, s.find('/'));  // SERVICE/host/domain forms
  s = s.substr(0, s.find(':'));  // SERVICE/host:port
  return ShortName(s);
}

FleetIndex::FleetIndex(const model::FleetModel& fleet, absl::Time now, absl::Duration stale_after)
    : fleet_(fleet), now_(now), stale_after_(stale_after) {
  // Sized once: growing these tables by rehashing was a visible share at 20,000 hosts.
  const size_t hosts = fleet.hosts.size();
  names_.reserve(3 * hosts);  // name, FQDN, an address
  hosts_.reserve(hosts);
  by_host_.reserve(3 * hosts);
  about_.reserve(hosts);  // a host's SPN listing, at least
  // The PDC emulator's evidence is read in the same walk: each walk of the fleet's map is a
  // cache miss per host at 20,000 hosts.
  std::vector<model::PdcReport> pdc_reports;
  std::vector<std::string> pdc_claims;
  for (const auto& [key, host] : fleet.hosts) {
    IndexHost(key, host);
    model::AddPdcEvidence(key, host, pdc_reports, pdc_claims);
  }
  model::PdcChoice pdc = model::ChoosePdcEmulator(pdc_reports, pdc_claims);
  pdc_ = std::move(pdc.host);
  pdc_reason_ = std::move(pdc.reason);
  // Second pass: indexes that resolve names, which needs every host known.
  for (const v1::Evidence* e : indexed_) IndexSubjects(*e);
}

void FleetIndex::IndexHost(const std::string& key, const model::HostEvidence& host) {
  hosts_.emplace(key, &host);
  names_[NameKey(key)] = key;
  if (!host.identity.fqdn().empty()) names_[NameKey(host.identity.fqdn())] = key;
  for (const std::string& ip : host.identity.ips()) {
    // Store the canonical form so "::ffff:10.1.1.5" and "10.1.1.5" meet.
    auto bytes = exchange::ParseIpAddress(ip);
    std::string canonical = bytes ? CanonicalIp(*bytes) : ip;
    names_[canonical == ip ? absl::string_view(ip)
                           : normalized_names_.emplace_back(std::move(canonical))] = key;
  }
  if (host.identity.role() == v1::ROLE_DC) {
    dcs_.push_back(key);
    if (!host.identity.site().empty()) dcs_by_site_[host.identity.site()].push_back(key);
  }
  for (const v1::Evidence& original : host.evidence) {
    const v1::Evidence* e = &original;
    // Rules read event records; an aggregate (agents send repeating events so, the collector's
    // window keeps them so) is read through its examples, which carry every fact of its key.
    if (original.kind_case() == v1::Evidence::kEventAggregate) {
      v1::Evidence& records = aggregate_records_.emplace_back(original);
      *records.mutable_events() = events::ExamplesOf(original.event_aggregate());
      const int n = records.events().events_size();
      for (int i = 0; i < n; ++i) {
        occurrences_[&records.events().events(i)] =
            i == 0 ? std::max<int64_t>(1, original.event_aggregate().count() - (n - 1)) : 1;
      }
      e = &records;
    }
    indexed_.push_back(e);
    by_host_[{absl::string_view(key), static_cast<int>(e->kind_case())}].push_back(e);
    by_kind_[static_cast<int>(e->kind_case())].push_back(e);
  }
}

absl::string_view FleetIndex::NameKey(const std::string& name) {
  const absl::string_view trimmed = TrimName(name);
  if (std::none_of(trimmed.begin(), trimmed.end(), absl::ascii_isupper)) return trimmed;
  return normalized_names_.emplace_back(absl::AsciiStrToLower(trimmed));
}

void FleetIndex::NoteSubject(const std::string& subject, const v1::Evidence& e) {
  if (subject.empty()) return;
  auto& list = about_[{subject, static_cast<int>(e.kind_case())}];
  if (list.empty() || list.back() != &e) list.push_back(&e);
}

void FleetIndex::IndexSubjects(const v1::Evidence& e) {
  switch (e.kind_case()) {
    case v1::Evidence::kSpnListing:
      NoteSubject(
          ShortName(!e.spn_listing().account().empty() ? e.spn_listing().account() : e.subject()),
          e);
      NoteSubject(ShortName(e.spn_listing().account_dn()), e);
      break;
    case v1::Evidence::kSpnQuery:
      NoteSubject(SpnHost(e.spn_query().pattern()), e);
      for (const auto& a : e.spn_query().accounts()) {
        for (const std::string& spn : a.spns()) NoteSubject(SpnHost(spn), e);
      }
      break;
    case v1::Evidence::kSpnDuplicates:
      for (const auto& g : e.spn_duplicates().groups()) {
        ++duplicate_group_count_;
        NoteSubject(SpnHost(g.spn()), e);
      }
      break;
    case v1::Evidence::kComputerAccounts:
      for (const auto& a : e.computer_accounts().accounts()) {
        NoteSubject(ShortName(a.sam_account_name()), e);
      }
      break;
    case v1::Evidence::kProbes:
      for (const auto& t : e.probes().tickets()) NoteSubject(SpnHost(t.service_principal()), e);
      for (const auto& k : e.probes().kdc()) {
        if (k.outcome() == v1::KdcProbe::ANSWERED) {
          answering_kdcs_.insert(Resolve(k.kdc()).value_or(ShortName(k.kdc())));
        }
      }
      break;
    case v1::Evidence::kReplication:
      for (const auto& l : e.replication().links()) {
        const std::string nc = NormalizeDn(l.naming_context());
        ++link_count_[nc];
        if (l.consecutive_failures() > 0) {
          failing_links_[nc].push_back({&e, &l});
          ++failing_link_count_;
        }
      }
      break;
    case v1::Evidence::kEvents:
      for (const v1::EventRecord& r : e.events().events()) IndexEventRecord(e, r);
      break;
    default:
      break;
  }
}

void FleetIndex::IndexEventRecord(const v1::Evidence& e, const v1::EventRecord& r) {
  events_by_id_[r.event_id()].push_back({&e, &r});
  // The hosts the record names, by SPN, account or address: EventsAbout finds it through them.
  // Few per record: a short list, not a tree node per name.
  absl::InlinedVector<std::string, 4> named;
  auto name = [&](std::string n) {
    if (!n.empty() && std::find(named.begin(), named.end(), n) == named.end()) {
      named.push_back(std::move(n));
    }
  };
  for (const char* fact :
       {"service_name", "target_name", "duplicate_spn", "target_spn", "server_name"}) {
    auto it = r.facts().find(fact);
    if (it != r.facts().end()) name(SpnHost(it->second));
  }
  for (const char* fact : {"target_user", "client_name"}) {
    auto it = r.facts().find(fact);
    if (it != r.facts().end()) name(ShortName(it->second));
  }
  for (const char* fact : {"client_address", "source_ip"}) {
    auto it = r.facts().find(fact);
    if (it == r.facts().end()) continue;
    if (auto h = ResolveKey(it->second)) name(std::string(*h));
  }
  for (const std::string& n : named) events_about_[n].push_back({&e, &r});
}

int64_t FleetIndex::Occurrences(const v1::EventRecord& r) const {
  auto it = occurrences_.find(&r);
  return it == occurrences_.end() ? 1 : it->second;
}

absl::Span<const v1::Evidence* const> FleetIndex::About(const std::string& subject,
                                                        v1::Evidence::KindCase kind) const {
  auto it = about_.find({subject, static_cast<int>(kind)});
  if (it == about_.end()) return {};
  return it->second;
}

const std::vector<FleetIndex::EventRef>& FleetIndex::EventsAbout(const std::string& subject) const {
  auto it = events_about_.find(subject);
  return it == events_about_.end() ? no_events_ : it->second;
}

const std::vector<FleetIndex::EventRef>& FleetIndex::EventsWithId(uint32_t id) const {
  auto it = events_by_id_.find(id);
  return it == events_by_id_.end() ? no_events_ : it->second;
}

const std::vector<std::string>& FleetIndex::DcsInSite(const std::string& site) const {
  auto it = dcs_by_site_.find(site);
  return it == dcs_by_site_.end() ? no_dcs_ : it->second;
}

const std::vector<FleetIndex::LinkRef>& FleetIndex::FailingLinks(const std::string& nc) const {
  auto it = failing_links_.find(nc);
  return it == failing_links_.end() ? no_links_ : it->second;
}

int FleetIndex::LinkCount(const std::string& nc) const {
  auto it = link_count_.find(nc);
  return it == link_count_.end() ? 0 : it->second;
}

std::optional<std::string> FleetIndex::Resolve(absl::string_view name_or_ip) const {
  std::optional<absl::string_view> key = ResolveKey(name_or_ip);
  if (!key) return std::nullopt;
  return std::string(*key);
}

std::optional<absl::string_view> FleetIndex::ResolveKey(absl::string_view name_or_ip) const {
  if (name_or_ip.empty()) return std::nullopt;
  if (auto bytes = exchange::ParseIpAddress(name_or_ip)) {
    auto it = names_.find(CanonicalIp(*bytes));
    if (it != names_.end()) return it->second;
    return std::nullopt;
  }
  // "10.1.1.10:88", "[fe80::1]:88", "dc01.contoso.com:88": an endpoint names its host.
  if (name_or_ip.front() == '[') {
    const size_t close = name_or_ip.find(']');
    if (close != absl::string_view::npos) return ResolveKey(name_or_ip.substr(1, close - 1));
  }
  if (const size_t colon = name_or_ip.rfind(':');
      colon != absl::string_view::npos && name_or_ip.find(':') == colon) {
    return ResolveKey(name_or_ip.substr(0, colon));
  }
  // NormalizeName into a buffer on the stack: resolving is done for every queue, probe and
  // event of the fleet, and a heap copy of each name showed in the profile (issue 17).
  const absl::string_view trimmed = TrimName(name_or_ip);
  char buffer[256];
  std::string long_name;  // longer than any DNS name: still looked up, on the heap
  absl::string_view n;
  if (trimmed.size() <= sizeof(buffer)) {
    for (size_t i = 0; i < trimmed.size(); ++i) buffer[i] = absl::ascii_tolower(trimmed[i]);
    n = absl::string_view(buffer, trimmed.size());
  } else {
    n = long_name = absl::AsciiStrToLower(trimmed);
  }
  if (auto it = names_.find(n); it != names_.end()) return it->second;
  // An FQDN of a known NetBIOS name whose host.json lacks the FQDN.
  if (auto it = names_.find(n.substr(0, n.find('.'))); it != names_.end()) return it->second;
  return std::nullopt;
}

const model::HostEvidence* FleetIndex::Host(const std::string& key) const {
  auto it = hosts_.find(key);
  return it == hosts_.end() ? nullptr : it->second;
}

const std::string& FleetIndex::Fqdn(const std::string& key) const {
  static const std::string* const kUnknown = new std::string();
  const model::HostEvidence* h = Host(key);
  return h == nullptr ? *kUnknown : h->identity.fqdn();
}

std::vector<std::string> FleetIndex::HostsWithRole(v1::Role role) const {
  std::vector<std::string> out;
  for (const auto& [key, host] : fleet_.hosts) {
    if (host.identity.role() == role) out.push_back(key);
  }
  return out;
}

absl::Span<const v1::Evidence* const> FleetIndex::Of(absl::string_view host,
                                                     v1::Evidence::KindCase kind) const {
  auto it = by_host_.find(std::pair<absl::string_view, int>(host, static_cast<int>(kind)));
  if (it == by_host_.end()) return {};
  return it->second;
}

const std::vector<const v1::Evidence*>& FleetIndex::All(v1::Evidence::KindCase kind) const {
  auto it = by_kind_.find(static_cast<int>(kind));
  return it == by_kind_.end() ? empty_ : it->second;
}

bool FleetIndex::IsStale(const v1::Evidence& e) const {
  if (!e.has_observed_host_time()) return false;
  return now_ - FromProto(e.observed_host_time()) > stale_after_;
}

EvidenceNote FleetIndex::Note(const v1::Evidence& e, std::string fact) const {
  EvidenceNote n;
  n.host = e.host();
  n.origin = e.origin();
  n.fact = std::move(fact);
  if (e.has_observed_host_time()) {
    n.observed_at = FromProto(e.observed_host_time());
    n.age = now_ - *n.observed_at;
    n.stale = *n.age > stale_after_;
  }
  return n;
}

}  // namespace kerbside::correlator
