#ifndef KERBSIDE_COLLECTOR_CORRELATOR_CLOCK_GRAPH_H_
#define KERBSIDE_COLLECTOR_CORRELATOR_CLOCK_GRAPH_H_

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "collector/correlator/diagnosis.h"
#include "collector/correlator/fleet_index.h"

namespace kerbside::correlator {

// One clock reading, an edge of the graph. Its note (what a verdict shows) is written only when
// asked for (ClockGraph::Notes): one sentence per reading of a 20,000-host fleet, nearly all of
// them never shown, was about a fifth of building the graph (issue 17).
struct ClockReading {
  enum class Kind { kCollector, kStripchart, kKdc };
  Kind kind;
  const v1::Evidence* evidence;
  std::string to;         // host key, "(collector)", or the name as written when no host
  absl::Duration offset;  // the evidence's host against `to`: positive = the host is ahead
  int samples = 0;        // w32tm /stripchart: the samples the median is of
  bool stale = false;
};

// One host's clock against its reference. offset: positive = the host is ahead. The readings
// and the label point into the ClockGraph that made it and are valid as long as that graph:
// one copy of each reading per graph, not one per host its path reaches (issue 17).
struct HostClock {
  absl::Duration offset;
  absl::Duration uncertainty;
  // The readings the offset was derived from, from the reference outward (ClockGraph::Notes
  // says them): one or two for most hosts (a reading of the reference, or of a DC that has
  // one), held inline: one heap block per host of a 20,000-host frame was a visible share of
  // correlating (issue 17).
  absl::InlinedVector<const ClockReading*, 2> readings;
  bool stale = false;                 // every reading on the path is stale
  std::string reference_host;         // host key; "" = the fleet median
  absl::string_view reference_label;  // "the PDC emulator DC01", "its authenticating DC DC02"
};

// Every clock reading of the fleet (collector exchanges, w32tm /stripchart, KDC times from
// probes) as edges between hosts, and each host's offset to its reference (DESIGN.md §3): the
// PDC emulator when known (the domain's time root); else the host's authenticating DC, the one
// its time service syncs from (w32tm /query /status Source) or, failing that, the DC its
// stripchart ran against, provided that DC itself is within `tolerance` of the fleet median (a
// DC that is off is no reference: its members are then judged against the median, and the DC
// is the one named); else the fleet median. Paths are the ones with the least summed
// uncertainty; a host with no path to a reference has no entry.
class ClockGraph {
 public:
  ClockGraph(const FleetIndex& index, absl::Duration tolerance);
  // HostClocks point into the graph.
  ClockGraph(const ClockGraph&) = delete;
  ClockGraph& operator=(const ClockGraph&) = delete;

  const std::string& reference() const { return reference_; }  // the PDC emulator, or ""
  // "the PDC emulator DC01", "each host's authenticating DC (else the fleet median)",
  // "the fleet median".
  std::string ReferenceLabel() const;
  // Each host against its own reference; nullptr when it has no path to one. Points into the
  // graph (no copy of the path's evidence), valid as long as the graph.
  const HostClock* ToReference(const std::string& host) const;
  // Offset of `a` against `b` (positive = a ahead), when both reach the reference.
  std::optional<HostClock> Between(const std::string& a, const std::string& b) const;
  // The offset alone, without building the evidence (for comparing many pairs).
  std::optional<absl::Duration> OffsetBetween(const std::string& a, const std::string& b) const;
  bool HasReadings(const std::string& host) const { return FindNode(host).has_value(); }
  // The evidence behind a clock: one note per reading, from the reference outward.
  std::vector<EvidenceNote> Notes(const HostClock& clock) const;

 private:
  // Nodes are dense ids (hosts, the collector, DCs known only by name), in the order readings
  // named them: the search and the frames are arrays, not maps keyed by names (issue 17).
  using NodeId = uint32_t;
  struct Edge {
    NodeId to;
    absl::Duration offset;  // from - to: positive = `from` ahead of `to`
    absl::Duration uncertainty;
    const ClockReading* reading;  // in readings_
  };
  // Each node's clock against one root; nullopt where no path reaches it.
  using Frame = std::vector<std::optional<HostClock>>;
  NodeId Node(absl::string_view name);
  std::optional<NodeId> FindNode(absl::string_view name) const;
  void AddReading(ClockReading reading, absl::Duration uncertainty);
  // Paths from `root`. With `wanted`, the search stops once all of those are reached for good,
  // and only their clocks are filled in.
  Frame Solve(NodeId root, const std::vector<NodeId>* wanted = nullptr) const;
  // The readings, as edges: kerbside's own exchanges, w32tm /stripchart, KDC error times.
  void AddCollectorReadings(const FleetIndex& index);
  void AddStripcharts(const FleetIndex& index);
  void AddKdcClocks(const FleetIndex& index);
  // The frame: on the PDC emulator, else on the fleet median (false: nothing measured).
  void AnchorOnPdc(NodeId pdc);
  bool AnchorOnFleetMedian();
  void JudgeAgainstAuthenticatingDcs(const FleetIndex& index, absl::Duration tolerance);
  const HostClock* InFrame(absl::string_view host) const;

  std::deque<std::string> node_names_;  // by id; a deque so node_ids_' keys stay valid
  absl::flat_hash_map<absl::string_view, NodeId> node_ids_;
  // By node id. Most hosts have one reading (of their DC), held inline.
  std::vector<absl::InlinedVector<Edge, 1>> adjacency_;
  const FleetIndex& index_;            // for the readings' notes; outlives the graph
  std::deque<ClockReading> readings_;  // a deque so pointers stay valid
  std::deque<std::string> labels_;     // what HostClock::reference_label points at
  std::string reference_;
  // Every reachable host in one frame (PDC- or median-anchored), for Between; by node id.
  Frame frame_;
  bool frame_empty_ = true;
  // Hosts judged against another reference than the frame's (their authenticating DC); every
  // other host's reference is the frame's.
  absl::flat_hash_map<std::string, HostClock> own_reference_;
  bool uses_authenticating_dcs_ = false;
};

// The DC `host` authenticates to, as its evidence shows: the DC its time service syncs from
// (w32tm /query /status Source), else the DC its stripchart ran against. Only hosts known as DCs.
std::optional<std::string> AuthenticatingDc(const FleetIndex& index, const std::string& host);

}  // namespace kerbside::correlator

#endif  // KERBSIDE_COLLECTOR_CORRELATOR_CLOCK_GRAPH_H_
