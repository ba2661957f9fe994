#ifndef KERBSIDE_COLLECTOR_STORE_H_
#define KERBSIDE_COLLECTOR_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/events/event_window.h"
#include "common/time_exchange.h"
#include "kerbside/v1/agent.pb.h"
#include "kerbside/v1/evidence.pb.h"

struct sqlite3;

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

// How a batch's events join the window of recent events.
// The window of recent events: keys last seen before `since` (collector clock) are not stored,
// and pruned from what is (common/events/event_window.h).
using EventWindowPolicy = events::WindowCut;

// The collector's embedded store: SQLite in WAL mode. Thread-safe.
// The schema is versioned (PRAGMA user_version) and migrated forward on open.
class Store {
 public:
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The schema version this build writes; Open migrates older files up to it.
  static int LatestSchemaVersion();
  absl::StatusOr<int> SchemaVersion();

  // Inserts or updates identity, peer and certificate; keeps first_seen of an existing host.
  absl::Status UpsertHost(const HostRecord& host);
  absl::Status TouchHost(const std::string& name, absl::Time last_seen);
  absl::Status SaveClockEstimate(const std::string& name, const ClockEstimateValue& estimate);
  absl::StatusOr<std::vector<HostRecord>> LoadHosts();

  // A source's batch is a full snapshot: replaces everything that source said about the host,
  // with its health, in one transaction. Events are the exception: they join the window of
  // recent events (one entry per host, source, channel and event key, advanced by each read as
  // common/events/event_window.h says), so an exported log that rotates does not erase what it
  // held and a re-read counts once. Records are aggregated first; several files of one channel
  // are combined. The window is pruned to `window.since` in the same transaction.
  absl::Status ReplaceSourceEvidence(const std::string& host, const std::string& source,
                                     const v1::SourceHealth& health, absl::Time received_at,
                                     const std::vector<v1::Evidence>& items,
                                     const EventWindowPolicy& window);
  // Every snapshot item (not events) of `host` (of every host when empty).
  absl::StatusOr<std::vector<v1::Evidence>> LoadEvidence(const std::string& host);
  // The window of recent events of `host` (every host when empty): the event aggregates whose
  // last occurrence, on the collector's clock, is at or after `since`; received_at is the last
  // batch that reported each.
  absl::StatusOr<std::vector<v1::Evidence>> LoadEventWindow(const std::string& host,
                                                            absl::Time since);
  absl::StatusOr<int64_t> CountEventWindow(const std::string& host);
  absl::StatusOr<std::vector<SourceHealthRecord>> LoadSourceHealth();
  absl::StatusOr<int64_t> CountEvidence(const std::string& host);

  // Diagnosis keeper: writes `upserts`, deletes `deleted` ((cause, blamed host) pairs) and
  // queues `enqueue` in one transaction, so a kept state change and its alerts land together.
  absl::Status CommitDiagnoses(const std::vector<KeptDiagnosisRecord>& upserts,
                               const std::vector<std::pair<std::string, std::string>>& deleted,
                               const std::vector<OutboxRecord>& enqueue);
  absl::StatusOr<std::vector<KeptDiagnosisRecord>> LoadKeptDiagnoses();

  // Alert outbox: the oldest entry of `sink`, if any.
  absl::StatusOr<std::optional<OutboxRecord>> OutboxHead(const std::string& sink);
  absl::Status OutboxDone(int64_t id);
  absl::Status OutboxRetryLater(int64_t id, int attempts, absl::Time next_attempt,
                                const std::string& last_error);
  // Entries waiting per sink.
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> OutboxPending();

 private:
  explicit Store(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  absl::Status Exec(const std::string& sql);
  absl::Status Migrate();
  // Rows of `table` (a fixed name, never input) whose host is `host`.
  absl::StatusOr<int64_t> CountRowsOfHost(const char* table, const std::string& host);
  absl::Status MoveSnapshotEventsToWindowLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  sqlite3* db_;
  std::string path_;
  int lock_fd_ = -1;  // the flock on path_ + ".lock": one collector per database
};

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_STORE_H_
