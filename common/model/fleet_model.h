#ifndef KERBSIDE_COMMON_MODEL_FLEET_MODEL_H_
#define KERBSIDE_COMMON_MODEL_FLEET_MODEL_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "kerbside/v1/agent.pb.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::model {

// A file (or live source) that could not be read; `message` is "FILE[:LINE]: why".
struct Problem {
  std::string origin;
  std::string message;
};

// Everything known about one host: who it is and each piece of evidence with its origin and
// the time it was observed. The same shape comes from a support bundle and from the live
// collector, so the correlator judges both alike.
struct HostEvidence {
  std::string name;  // upper-case NetBIOS name: the key used everywhere
  v1::HostIdentity identity;
  bool has_identity = false;  // false: only the folder name is known (no host.json)
  std::optional<absl::Time> collected_at;
  std::vector<v1::Evidence> evidence;
  std::vector<Problem> problems;
  std::vector<std::string> ignored;  // files that are not part of the bundle format
};

struct FleetModel {
  std::string format;                            // "kerbside-bundle/1" or "live"
  std::optional<absl::Duration> max_clock_skew;  // from bundle.json or config
  std::map<std::string, HostEvidence> hosts;     // by upper-case NetBIOS name
  std::vector<Problem> problems;                 // not tied to one host (bundle.json, folders)
};

}  // namespace kerbside::model

#endif  // KERBSIDE_COMMON_MODEL_FLEET_MODEL_H_
