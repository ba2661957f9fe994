#include "collector/correlator/fleet_index.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "collector/correlator/diagnosis.h"
#include "common/exchange/ip_range.h"
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

std::string NormalizeName(absl::string_view name) {
  std::string out = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
  while (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

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

FleetIndex::FleetIndex(const model::FleetModel& fleet, absl::Time now,
                       absl::Duration stale_after)
    : fleet_(fleet), now_(now), stale_after_(stale_after) {
  for (const auto& [key, host] : fleet.hosts) {
    names_[NormalizeName(key)] = key;
    if (!host.identity.fqdn().empty()) names_[NormalizeName(host.identity.fqdn())] = key;
    for (const std::string& ip : host.identity.ips()) {
      // Store the canonical form so "::ffff:10.1.1.5" and "10.1.1.5" meet.
      auto bytes = exchange::ParseIpAddress(ip);
      names_[bytes ? exchange::FormatIpAddress(*bytes) : ip] = key;
    }
    if (host.identity.pdc_emulator() && pdc_.empty()) pdc_ = key;
    for (const v1::Evidence& e : host.evidence) {
      by_host_[{key, static_cast<int>(e.kind_case())}].push_back(&e);
      by_kind_[static_cast<int>(e.kind_case())].push_back(&e);
    }
  }
}

std::optional<std::string> FleetIndex::Resolve(absl::string_view name_or_ip) const {
  if (name_or_ip.empty()) return std::nullopt;
  if (auto bytes = exchange::ParseIpAddress(name_or_ip)) {
    std::string ip = exchange::FormatIpAddress(*bytes);
    if (absl::StartsWith(ip, "::ffff:")) ip = ip.substr(7);
    auto it = names_.find(ip);
    if (it != names_.end()) return it->second;
    return std::nullopt;
  }
  // "10.1.1.10:88", "[fe80::1]:88", "dc01.contoso.com:88": an endpoint names its host.
  if (name_or_ip.front() == '[') {
    const size_t close = name_or_ip.find(']');
    if (close != absl::string_view::npos) return Resolve(name_or_ip.substr(1, close - 1));
  }
  if (const size_t colon = name_or_ip.rfind(':');
      colon != absl::string_view::npos && name_or_ip.find(':') == colon) {
    return Resolve(name_or_ip.substr(0, colon));
  }
  const std::string n = NormalizeName(name_or_ip);
  if (auto it = names_.find(n); it != names_.end()) return it->second;
  // An FQDN of a known NetBIOS name whose host.json lacks the FQDN.
  if (auto it = names_.find(n.substr(0, n.find('.'))); it != names_.end()) return it->second;
  return std::nullopt;
}

const model::HostEvidence* FleetIndex::Host(const std::string& key) const {
  auto it = fleet_.hosts.find(key);
  return it == fleet_.hosts.end() ? nullptr : &it->second;
}

std::string FleetIndex::Fqdn(const std::string& key) const {
  const model::HostEvidence* h = Host(key);
  return h == nullptr ? "" : h->identity.fqdn();
}

std::vector<std::string> FleetIndex::HostsWithRole(v1::Role role) const {
  std::vector<std::string> out;
  for (const auto& [key, host] : fleet_.hosts) {
    if (host.identity.role() == role) out.push_back(key);
  }
  return out;
}

const std::vector<const v1::Evidence*>& FleetIndex::Of(const std::string& host,
                                                      v1::Evidence::KindCase kind) const {
  auto it = by_host_.find({host, static_cast<int>(kind)});
  return it == by_host_.end() ? empty_ : it->second;
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
