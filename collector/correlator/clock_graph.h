#ifndef KERBSIDE_COLLECTOR_CORRELATOR_CLOCK_GRAPH_H_
#define KERBSIDE_COLLECTOR_CORRELATOR_CLOCK_GRAPH_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "collector/correlator/diagnosis.h"
#include "collector/correlator/fleet_index.h"

namespace kerbside::correlator {

// One host's clock against the fleet's reference. offset: positive = the host is ahead.
struct HostClock {
  absl::Duration offset;
  absl::Duration uncertainty;
  std::vector<EvidenceNote> evidence;  // the readings the offset was derived from
  bool stale = false;                  // every reading on the path is stale
};

// Every clock reading of the fleet (collector exchanges, w32tm /stripchart, KDC times from
// probes) as edges between hosts, and each host's offset to the reference: the PDC emulator
// when known (the domain's time root), else the fleet median (DESIGN.md §3). Paths are the ones
// with the least summed uncertainty; a host with no path to the reference has no entry.
class ClockGraph {
 public:
  explicit ClockGraph(const FleetIndex& index);

  const std::string& reference() const { return reference_; }  // host key, "" = fleet median
  std::string ReferenceLabel() const;  // "the PDC emulator DC01", "the fleet median"
  std::optional<HostClock> ToReference(const std::string& host) const;
  // Offset of `a` against `b` (positive = a ahead), when both reach the reference.
  std::optional<HostClock> Between(const std::string& a, const std::string& b) const;
  bool HasReadings(const std::string& host) const { return adjacency_.count(host) != 0; }

 private:
  struct Edge {
    std::string to;
    absl::Duration offset;  // from - to: positive = `from` ahead of `to`
    absl::Duration uncertainty;
    EvidenceNote note;
  };
  void AddReading(const std::string& from, const std::string& to, absl::Duration offset,
                  absl::Duration uncertainty, EvidenceNote note);
  std::map<std::string, HostClock> Solve(const std::string& root) const;

  std::map<std::string, std::vector<Edge>> adjacency_;
  std::string reference_;
  std::map<std::string, HostClock> to_reference_;
};

}  // namespace kerbside::correlator

#endif  // KERBSIDE_COLLECTOR_CORRELATOR_CLOCK_GRAPH_H_
