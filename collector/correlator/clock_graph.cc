#include "collector/correlator/clock_graph.h"

#include <algorithm>
#include <map>
#include <queue>
#include <tuple>

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

ClockGraph::NodeId ClockGraph::Node(absl::string_view name) {
  auto [it, added] = node_ids_.try_emplace(name, static_cast<NodeId>(node_names_.size()));
  if (added) {
    // The key must view the graph's own copy, not the caller's string.
    const std::string& own = node_names_.emplace_back(name);
    const NodeId id = it->second;
    node_ids_.erase(it);
    node_ids_.emplace(own, id);
    adjacency_.emplace_back();
    return id;
  }
  return it->second;
}

std::optional<ClockGraph::NodeId> ClockGraph::FindNode(absl::string_view name) const {
  auto it = node_ids_.find(name);
  if (it == node_ids_.end()) return std::nullopt;
  return it->second;
}

void ClockGraph::AddReading(ClockReading reading, absl::Duration uncertainty) {
  const std::string& from = reading.evidence->host();
  // A negative uncertainty is no measurement (the parsers refuse it; a compromised agent may
  // still send one): kept, each pass through it would make a path "more precise" without end.
  if (from == reading.to || uncertainty < absl::ZeroDuration()) return;
  reading.stale = index_.IsStale(*reading.evidence);
  const ClockReading* stored = &readings_.emplace_back(std::move(reading));
  const NodeId a = Node(from);
  const NodeId b = Node(stored->to);
  adjacency_[a].push_back({b, stored->offset, uncertainty, stored});
  adjacency_[b].push_back({a, -stored->offset, uncertainty, stored});
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
  if (std::optional<NodeId> pdc = FindNode(index.PdcEmulator()); pdc) {
    AnchorOnPdc(*pdc);
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

void ClockGraph::AnchorOnPdc(NodeId pdc) {
  reference_ = node_names_[pdc];
  frame_ = Solve(pdc);
  frame_empty_ = false;
  const std::string& label = labels_.emplace_back(absl::StrCat("the PDC emulator ", reference_));
  for (std::optional<HostClock>& c : frame_) {
    if (c) c->reference_label = label;
  }
}

bool ClockGraph::AnchorOnFleetMedian() {
  // Anchor on the best-connected node, then shift every offset by the median so the reference
  // is the fleet's majority, not one host's clock.
  std::optional<NodeId> anchor;
  size_t degree = 0;
  for (NodeId node = 0; node < adjacency_.size(); ++node) {
    // Ties go to the first name, so the anchor does not depend on the readings' order.
    const size_t edges = adjacency_[node].size();
    if (!anchor || edges > degree ||
        (edges == degree && node_names_[node] < node_names_[*anchor])) {
      anchor = node;
      degree = edges;
    }
  }
  if (!anchor) return false;
  Frame solved = Solve(*anchor);
  std::vector<absl::Duration> offsets;
  for (NodeId node = 0; node < solved.size(); ++node) {
    if (solved[node] && node_names_[node] != kCollectorNode)
      offsets.push_back(solved[node]->offset);
  }
  if (offsets.empty()) return false;
  std::sort(offsets.begin(), offsets.end());
  const absl::Duration median = offsets[offsets.size() / 2];
  for (std::optional<HostClock>& c : solved) {
    if (!c) continue;
    c->offset -= median;
    c->reference_host.clear();
    c->reference_label = "the fleet median";  // a literal: lives as long as the program
  }
  frame_ = std::move(solved);
  frame_empty_ = false;
  return true;
}

void ClockGraph::JudgeAgainstAuthenticatingDcs(const FleetIndex& index, absl::Duration tolerance) {
  // Without the PDC emulator, a host is judged against the DC it authenticates to when that DC
  // is measured too (and within `tolerance` of the fleet): Kerberos compares the client's
  // clock with its KDC's.
  // The hosts to judge against each DC, then one search from each DC that stops once they are
  // reached: a whole search per DC made this grow with hosts times DCs.
  std::map<NodeId, std::vector<NodeId>> members;  // by DC, in id order
  for (NodeId host = 0; host < frame_.size(); ++host) {
    if (!frame_[host]) continue;
    const std::optional<std::string> dc = AuthenticatingDc(index, node_names_[host]);
    if (!dc || *dc == node_names_[host]) continue;
    const std::optional<NodeId> dc_node = FindNode(*dc);
    if (!dc_node || !frame_[*dc_node] || absl::AbsDuration(frame_[*dc_node]->offset) > tolerance) {
      continue;
    }
    members[*dc_node].push_back(host);
  }
  for (const auto& [dc, hosts] : members) {
    const Frame from_dc = Solve(dc, &hosts);
    const std::string& dc_name = node_names_[dc];
    const std::string& label =
        labels_.emplace_back(absl::StrCat("its authenticating DC ", dc_name));
    for (NodeId host : hosts) {
      if (!from_dc[host]) continue;
      HostClock& c = own_reference_[node_names_[host]] = *from_dc[host];
      c.reference_host = dc_name;
      c.reference_label = label;
      uses_authenticating_dcs_ = true;
    }
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

ClockGraph::Frame ClockGraph::Solve(NodeId root, const std::vector<NodeId>* wanted) const {
  // Dijkstra on summed uncertainty: the most precise chain of readings wins; on equal
  // uncertainty the node first in name order is taken first. A node's path is kept as the edge
  // it was reached by, so nothing is copied while searching.
  struct Reached {
    absl::Duration offset;  // to the root, positive = ahead
    absl::Duration uncertainty;
    NodeId parent = 0;
    const Edge* via = nullptr;  // nullptr for the root
    bool reached = false;
    bool settled = false;
  };
  const size_t n = adjacency_.size();
  std::vector<Reached> best(n);
  using Item = std::tuple<absl::Duration, absl::string_view, NodeId>;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> queue;
  best[root] = Reached{absl::ZeroDuration(), absl::ZeroDuration(), root, nullptr, true, false};
  queue.push({absl::ZeroDuration(), node_names_[root], root});
  size_t wanted_left = wanted != nullptr ? wanted->size() : 0;
  std::vector<bool> is_wanted;
  if (wanted != nullptr) {
    is_wanted.assign(n, false);
    for (NodeId w : *wanted) is_wanted[w] = true;
  }
  while (!queue.empty()) {
    const auto [unc, name, node] = queue.top();
    queue.pop();
    Reached& here = best[node];
    if (here.settled || unc > here.uncertainty) continue;
    here.settled = true;
    if (wanted != nullptr && is_wanted[node] && --wanted_left == 0) break;
    for (const Edge& e : adjacency_[node]) {
      // e: node - e.to = e.offset, so e.to's offset to root = node's - e.offset.
      const absl::Duration u = here.uncertainty + e.uncertainty;
      Reached& there = best[e.to];
      if (there.reached && there.uncertainty <= u) continue;
      there = Reached{here.offset - e.offset, u, node, &e, true, false};
      queue.push({u, node_names_[e.to], e.to});
    }
  }
  Frame out(n);
  auto fill = [&](NodeId node) {
    const Reached& r = best[node];
    if (!r.reached) return;
    HostClock& c = out[node].emplace();
    c.offset = r.offset;
    c.uncertainty = r.uncertainty;
    for (const Reached* step = &r; step->via != nullptr; step = &best[step->parent]) {
      c.readings.push_back(step->via->reading);
    }
    std::reverse(c.readings.begin(), c.readings.end());  // from the root outward
    c.stale = std::all_of(c.readings.begin(), c.readings.end(),
                          [](const ClockReading* r) { return r->stale; });
    c.reference_host = node_names_[root];
    c.reference_label = node_names_[root];
  };
  if (wanted != nullptr) {
    for (NodeId w : *wanted) fill(w);
  } else {
    for (NodeId node = 0; node < n; ++node) fill(node);
  }
  return out;
}

std::string ClockGraph::ReferenceLabel() const {
  if (!reference_.empty()) return absl::StrCat("the PDC emulator ", reference_);
  if (frame_empty_) return "no reference";
  return uses_authenticating_dcs_ ? "each host's authenticating DC (else the fleet median)"
                                  : "the fleet median";
}

const HostClock* ClockGraph::InFrame(absl::string_view host) const {
  const std::optional<NodeId> node = FindNode(host);
  if (!node || *node >= frame_.size() || !frame_[*node]) return nullptr;
  return &*frame_[*node];
}

const HostClock* ClockGraph::ToReference(const std::string& host) const {
  if (!own_reference_.empty()) {
    if (auto own = own_reference_.find(host); own != own_reference_.end()) return &own->second;
  }
  return InFrame(host);
}

std::optional<absl::Duration> ClockGraph::OffsetBetween(const std::string& a,
                                                        const std::string& b) const {
  const HostClock* ca = InFrame(a);
  const HostClock* cb = InFrame(b);
  if (ca == nullptr || cb == nullptr) return std::nullopt;
  return ca->offset - cb->offset;
}

std::optional<HostClock> ClockGraph::Between(const std::string& a, const std::string& b) const {
  const HostClock* ca = InFrame(a);
  const HostClock* cb = InFrame(b);
  if (ca == nullptr || cb == nullptr) return std::nullopt;
  HostClock c;
  c.offset = ca->offset - cb->offset;
  c.uncertainty = ca->uncertainty + cb->uncertainty;
  c.readings = ca->readings;
  c.readings.insert(c.readings.end(), cb->readings.begin(), cb->readings.end());
  c.stale = ca->stale && cb->stale;
  c.reference_host = b;
  c.reference_label = node_names_[*FindNode(b)];
  return c;
}

}  // namespace kerbside::correlator
