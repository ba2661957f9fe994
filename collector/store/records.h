#ifndef KERBSIDE_COLLECTOR_STORE_RECORDS_H_
#define KERBSIDE_COLLECTOR_STORE_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/events/event_window.h"
#include "common/time_exchange.h"
#include "kerbside/v1/agent.pb.h"

// What the collector keeps, as plain values: no store engine shows through these.
namespace kerbside::collector {

// What the collector keeps about a host across restarts.
struct HostRecord {
  v1::HostIdentity identity;
  absl::Time first_seen;
  absl::Time last_seen;
  std::string peer_address;
  std::string certificate_subject;
  std::optional<ClockEstimateValue> clock;  // vs the collector's clock
};

struct SourceHealthRecord {
  std::string host;
  std::string source;
  std::string state;  // OK, DEGRADED, FAILING
  std::string reason;
  absl::Time received_at;
};

// A diagnosis as the keeper keeps it, keyed by (cause, blamed host).
struct KeptDiagnosisRecord {
  std::string cause;
  std::string blamed_host;
  std::string alert_key;  // the alert's identity; survives a change of cause on the same group
  std::string state;      // pending | active | clearing | resolved
  absl::Time first_seen;
  absl::Time last_changed;
  absl::Time last_seen;
  std::optional<absl::Time> absent_since;  // clearing: since when the correlator lost it
  bool paged = false;
  std::string detail_json;
};

// One alert notification waiting for one sink. Delivered in id order per sink.
struct OutboxRecord {
  int64_t id = 0;
  std::string sink;
  std::string alert_key;
  std::string action;  // trigger | resolve
  std::string alert_json;
  absl::Time created;
  int attempts = 0;
  absl::Time next_attempt;
  std::string last_error;
};

// The window of recent events: keys last seen before `since` (collector clock) are not stored,
// and pruned from what is (common/events/event_window.h).
using EventWindowPolicy = events::WindowCut;

// One source's batch as ingest stores it (EvidenceStore::ReplaceSourceEvidence says how).
struct SourceSnapshot {
  std::string host;
  std::string source;
  v1::SourceHealth health;
  absl::Time received_at;  // collector clock
  std::vector<v1::Evidence> items;
  EventWindowPolicy window;
  // The agent stream it came on (AgentSession's token); 0: none. IngestWriter stores a source's
  // batches of one stream in order, and none after one that failed.
  uint64_t stream = 0;
};

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_STORE_RECORDS_H_
