#include "collector/correlator/clock_graph.h"

#include <algorithm>
#include <queue>

#include "absl/strings/str_cat.h"
#include "common/duration_format.h"
#include "common/proto_time.h"
#include "common/windows/w32tm.h"

namespace kerbside::correlator {
namespace {

// The collector is a clock too: live offsets are measured against it.
constexpr char kCollectorNode[] = "(collector)";

std::string Signed(absl::Duration d) { return FormatSignedDuration(d); }

}  // namespace

void ClockGraph::AddReading(ClockReading reading, absl::Duration uncertainty) {
  const std::string& from = reading.evidence->host();
  if (from == reading.to) return;
  reading.stale = index_.IsStale(*reading.evidence);
  const ClockReading* stored = &readings_.emplace_back(std::move(reading));
  adjacency_[from].push_back({stored->to, stored->offset, uncertainty, stored});
  adjacency_[stored->to].push_back({from, -stored->offset, uncertainty, stored});
}

std::vector<EvidenceNote> ClockGraph::Notes(const HostClock& clock) const {
  std::vector<EvidenceNote> notes;
  notes.reserve(clock.readings.size());
  for (const ClockReading* r : clock.readings) {
    const v1::Evidence& e = *r->evidence;
    const std::string said = absl::StrCat(e.host(), " is ", Signed(r->offset), " against ");
    switch (r->kind) {
      case ClockReading::Kind::kCollector:
        notes.push_back(
            index_.Note(e, absl::StrCat(said, r->to == kCollectorNode ? "the collector" : r->to,
                                        " (measured by kerbside)")));
        break;
      case ClockReading::Kind::kStripchart:
        notes.push_back(index_.Note(e, absl::StrCat(said, r->to, " (w32tm /stripchart, median of ",
                                                    r->samples, " samples)")));
        break;
      case ClockReading::Kind::kKdc:
        notes.push_back(index_.Note(
            e, absl::StrCat(said, "the KDC ", r->to, " (KRB-ERROR server time, kerbside probe)")));
        break;
    }
  }
  return notes;
}

ClockGraph::ClockGraph(const FleetIndex& index, absl::Duration tolerance) : index_(index) {
  AddCollectorReadings(index);
  AddStripcharts(index);
  AddKdcClocks(index);
  const std::string& pdc = index.PdcEmulator();
  if (!pdc.empty() && adjacency_.count(pdc) != 0) {
    AnchorOnPdc(pdc);
    return;
  }
  if (!AnchorOnFleetMedian()) return;
  JudgeAgainstAuthenticatingDcs(index, tolerance);
}

void ClockGraph::AddCollectorReadings(const FleetIndex& index) {
  for (const v1::Evidence* e : index.All(v1::Evidence::kClockReading)) {
    const v1::ClockReading& r = e->clock_reading();
    std::string to =
        r.reference() == "collector" ? kCollectorNode : index.Resolve(r.reference()).value_or("");
    if (to.empty()) continue;
    AddReading({ClockReading::Kind::kCollector, e, std::move(to), FromProto(r.offset())},
               FromProto(r.uncertainty()));
  }
}

void ClockGraph::AddStripcharts(const FleetIndex& index) {
  for (const v1::Evidence* e : index.All(v1::Evidence::kW32TmStripchart)) {
    const v1::W32tmStripchart& s = e->w32tm_stripchart();
    const std::string target_name = s.target().empty() ? e->subject() : s.target();
    // A DC that sent no bundle of its own is still a clock others were compared with.
    std::optional<std::string> to = index.Resolve(target_name);
    if (!to && !target_name.empty()) to = ShortName(target_name);
    if (!to) continue;
    absl::InlinedVector<absl::Duration, 8> offsets;  // /samples:5 is the usual run
    for (const auto& sample : s.samples()) {
      if (sample.ok()) offsets.push_back(windows::HostOffsetFromStripchart(sample));
    }
    if (offsets.empty()) continue;
    std::sort(offsets.begin(), offsets.end());
    const absl::Duration median = offsets[offsets.size() / 2];
    // The spread of the samples stands in for the round trip, which /dataonly does not print;
    // a floor of 10 ms covers a single sample.
    const absl::Duration unc =
        std::max(absl::Milliseconds(10), (offsets.back() - offsets.front()) / 2);
    AddReading({ClockReading::Kind::kStripchart, e, std::move(*to), median,
                static_cast<int>(offsets.size())},
               unc);
  }
}

void ClockGraph::AddKdcClocks(const FleetIndex& index) {
  for (const v1::Evidence* e : index.All(v1::Evidence::kProbes)) {
    for (const v1::KdcProbe& k : e->probes().kdc()) {
      if (!k.has_kdc_clock()) continue;
      std::optional<std::string> to = index.Resolve(k.kdc());
      if (!to) to = index.Resolve(k.address());
      if (!to && !k.kdc().empty()) to = ShortName(k.kdc());
      if (!to) continue;
      AddReading({ClockReading::Kind::kKdc, e, std::move(*to), FromProto(k.kdc_clock().offset())},
                 FromProto(k.kdc_clock().uncertainty()));
    }
  }
}

void ClockGraph::AnchorOnPdc(const std::string& pdc) {
  reference_ = pdc;
  frame_ = Solve(pdc);
  const std::string& label = labels_.emplace_back(absl::StrCat("the PDC emulator ", pdc));
  for (auto& [node, c] : frame_) c.reference_label = label;
}

bool ClockGraph::AnchorOnFleetMedian() {
  // Anchor on the best-connected node, then shift every offset by the median so the reference
  // is the fleet's majority, not one host's clock.
  std::string anchor;
  size_t degree = 0;
  for (const auto& [node, edges] : adjacency_) {
    // Ties go to the first name, so the anchor does not depend on the map's order.
    if (edges.size() > degree || (edges.size() == degree && node < anchor)) {
      anchor = node;
      degree = edges.size();
    }
  }
  if (anchor.empty()) return false;
  absl::flat_hash_map<std::string, HostClock> solved = Solve(anchor);
  std::vector<absl::Duration> offsets;
  for (const auto& [node, c] : solved) {
    if (node != kCollectorNode) offsets.push_back(c.offset);
  }
  if (offsets.empty()) return false;
  std::sort(offsets.begin(), offsets.end());
  const absl::Duration median = offsets[offsets.size() / 2];
  for (auto& [node, c] : solved) {
    c.offset -= median;
    c.reference_host.clear();
    c.reference_label = "the fleet median";  // a literal: lives as long as the program
  }
  frame_ = std::move(solved);
  return true;
}

void ClockGraph::JudgeAgainstAuthenticatingDcs(const FleetIndex& index, absl::Duration tolerance) {
  // Without the PDC emulator, a host is judged against the DC it authenticates to when that DC
  // is measured too (and within `tolerance` of the fleet): Kerberos compares the client's
  // clock with its KDC's.
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, HostClock>> from_dc;
  absl::flat_hash_map<std::string, absl::string_view> dc_labels;
  for (const auto& [host, in_frame] : frame_) {
    const std::optional<std::string> dc = AuthenticatingDc(index, host);
    if (!dc || *dc == host) continue;
    auto dc_in_frame = frame_.find(*dc);
    if (dc_in_frame == frame_.end() || absl::AbsDuration(dc_in_frame->second.offset) > tolerance) {
      continue;
    }
    auto it = from_dc.find(*dc);
    if (it == from_dc.end()) it = from_dc.emplace(*dc, Solve(*dc)).first;
    auto path = it->second.find(host);
    if (path == it->second.end()) continue;
    HostClock& c = own_reference_[host] = path->second;
    c.reference_host = *dc;
    auto label = dc_labels.find(*dc);
    if (label == dc_labels.end()) {
      label =
          dc_labels.emplace(*dc, labels_.emplace_back(absl::StrCat("its authenticating DC ", *dc)))
              .first;
    }
    c.reference_label = label->second;
    uses_authenticating_dcs_ = true;
  }
}

std::optional<std::string> AuthenticatingDc(const FleetIndex& index, const std::string& host) {
  auto is_dc = [&](const std::string& key) {
    const model::HostEvidence* h = index.Host(key);
    return h != nullptr && h->identity.role() == v1::ROLE_DC;
  };
  // A domain member's time service syncs from the DC it found through the DC locator, the
  // same one it authenticates to (w32tm /query /status: "Source: DC02.contoso.com").
  for (const v1::Evidence* e : index.Of(host, v1::Evidence::kW32TmStatus)) {
    if (auto dc = index.Resolve(e->w32tm_status().source()); dc && is_dc(*dc)) return dc;
  }
  // Else the DC the host's stripchart was run against (by hand: the DC it works with).
  for (const v1::Evidence* e : index.Of(host, v1::Evidence::kW32TmStripchart)) {
    const v1::W32tmStripchart& s = e->w32tm_stripchart();
    if (auto dc = index.Resolve(s.target().empty() ? e->subject() : s.target()); dc && is_dc(*dc)) {
      return dc;
    }
  }
  return std::nullopt;
}

absl::flat_hash_map<std::string, HostClock> ClockGraph::Solve(const std::string& root) const {
  absl::flat_hash_map<std::string, HostClock> out;
  auto root_node = adjacency_.find(root);
  if (root_node == adjacency_.end()) return out;  // callers root it on a measured host
  // Dijkstra on summed uncertainty: the most precise chain of readings wins. Nodes are the
  // adjacency's own keys (stable: the graph is not changed once built), and a node's path is
  // kept as the edge it was reached by, so nothing is copied while searching.
  struct Reached {
    absl::Duration offset;  // to the root, positive = ahead
    absl::Duration uncertainty;
    absl::string_view parent;  // "" for the root
    const Edge* via = nullptr;
  };
  absl::flat_hash_map<absl::string_view, Reached> best;
  using Item = std::pair<absl::Duration, absl::string_view>;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> queue;
  const absl::string_view root_key = root_node->first;
  best[root_key] = Reached{absl::ZeroDuration(), absl::ZeroDuration(), {}, nullptr};
  queue.push({absl::ZeroDuration(), root_key});
  while (!queue.empty()) {
    const auto [unc, node] = queue.top();
    queue.pop();
    const Reached here = best.at(node);
    if (unc > here.uncertainty) continue;
    auto it = adjacency_.find(node);
    if (it == adjacency_.end()) continue;
    for (const Edge& e : it->second) {
      // e: node - e.to = e.offset, so e.to's offset to root = node's - e.offset.
      const absl::Duration u = here.uncertainty + e.uncertainty;
      const absl::string_view to = adjacency_.find(e.to)->first;
      auto found = best.find(to);
      if (found != best.end() && found->second.uncertainty <= u) continue;
      best[to] = Reached{here.offset - e.offset, u, node, &e};
      queue.push({u, to});
    }
  }
  out.reserve(best.size());
  for (const auto& [node, r] : best) {
    HostClock& c = out[node];
    c.offset = r.offset;
    c.uncertainty = r.uncertainty;
    for (const Reached* step = &r; step->via != nullptr; step = &best.at(step->parent)) {
      c.readings.push_back(step->via->reading);
    }
    std::reverse(c.readings.begin(), c.readings.end());  // from the root outward
    c.stale = std::all_of(c.readings.begin(), c.readings.end(),
                          [](const ClockReading* r) { return r->stale; });
    c.reference_host = root;
    c.reference_label = root_key;
  }
  return out;
}

std::string ClockGraph::ReferenceLabel() const {
  if (!reference_.empty()) return absl::StrCat("the PDC emulator ", reference_);
  if (frame_.empty()) return "no reference";
  return uses_authenticating_dcs_ ? "each host's authenticating DC (else the fleet median)"
                                  : "the fleet median";
}

const HostClock* ClockGraph::ToReference(const std::string& host) const {
  if (!own_reference_.empty()) {
    if (auto own = own_reference_.find(host); own != own_reference_.end()) return &own->second;
  }
  auto it = frame_.find(host);
  return it == frame_.end() ? nullptr : &it->second;
}

std::optional<absl::Duration> ClockGraph::OffsetBetween(const std::string& a,
                                                        const std::string& b) const {
  auto fa = frame_.find(a);
  auto fb = frame_.find(b);
  if (fa == frame_.end() || fb == frame_.end()) return std::nullopt;
  return fa->second.offset - fb->second.offset;
}

std::optional<HostClock> ClockGraph::Between(const std::string& a, const std::string& b) const {
  auto fa = frame_.find(a);
  auto fb = frame_.find(b);
  if (fa == frame_.end() || fb == frame_.end()) return std::nullopt;
  const HostClock* ca = &fa->second;
  const HostClock* cb = &fb->second;
  HostClock c;
  c.offset = ca->offset - cb->offset;
  c.uncertainty = ca->uncertainty + cb->uncertainty;
  c.readings = ca->readings;
  c.readings.insert(c.readings.end(), cb->readings.begin(), cb->readings.end());
  c.stale = ca->stale && cb->stale;
  c.reference_host = b;
  c.reference_label = fb->first;
  return c;
}

}  // namespace kerbside::correlator
