#ifndef KERBSIDE_COLLECTOR_STORE_SQLITE_STORE_H_
#define KERBSIDE_COLLECTOR_STORE_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "collector/store/store.h"

namespace kerbside::collector {

namespace sqlite {
class Connection;
}

// The collector's embedded store: one SQLite file in WAL mode, one collector per file (an
// flock on PATH.lock). Thread-safe: one connection, every use under one mutex. The schema is
// versioned (PRAGMA user_version) and migrated forward on open (sqlite_schema.cc).
class SqliteStore final : public Store {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // The schema version this build writes; Open migrates older files up to it.
  static int LatestSchemaVersion();
  absl::StatusOr<int> SchemaVersion();

  // EvidenceStore
  absl::Status UpsertHost(const HostRecord& host) override;
  absl::Status TouchHost(const std::string& name, absl::Time last_seen) override;
  absl::Status SaveClockEstimate(const std::string& name,
                                 const ClockEstimateValue& estimate) override;
  absl::StatusOr<std::vector<HostRecord>> LoadHosts() override;
  std::vector<absl::Status> ReplaceSourcesEvidence(
      const std::vector<SourceSnapshot>& snapshots) override;
  absl::StatusOr<std::vector<v1::Evidence>> LoadEvidence(const std::string& host) override;
  absl::StatusOr<std::vector<v1::Evidence>> LoadEventWindow(const std::string& host,
                                                            absl::Time since) override;
  absl::StatusOr<int64_t> CountEventWindow(const std::string& host) override;
  absl::StatusOr<std::vector<SourceHealthRecord>> LoadSourceHealth() override;
  absl::StatusOr<int64_t> CountEvidence(const std::string& host) override;

  // DiagnosisStore
  absl::Status CommitDiagnoses(const std::vector<KeptDiagnosisRecord>& upserts,
                               const std::vector<std::pair<std::string, std::string>>& deleted,
                               const std::vector<OutboxRecord>& enqueue) override;
  absl::StatusOr<std::vector<KeptDiagnosisRecord>> LoadKeptDiagnoses() override;

  // OutboxStore
  absl::StatusOr<std::optional<OutboxRecord>> OutboxHead(const std::string& sink) override;
  absl::Status OutboxDone(int64_t id) override;
  absl::Status OutboxRetryLater(int64_t id, int attempts, absl::Time next_attempt,
                                const std::string& last_error) override;
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> OutboxPending() override;

 private:
  SqliteStore(std::unique_ptr<sqlite::Connection> conn, int lock_fd);
  // Rows of `table` (a fixed name, never input) whose host is `host`.
  absl::StatusOr<int64_t> CountRowsOfHost(const char* table, const std::string& host);
  // The C++ half of the migration to schema 5 (runs inside its transaction, before the store
  // is shared).
  absl::Status MoveSnapshotEventsToWindow();
  // One snapshot's rows, inside the caller's transaction (under mu_).
  absl::Status WriteSourceEvidence(const SourceSnapshot& snapshot);

  absl::Mutex mu_;
  std::unique_ptr<sqlite::Connection> conn_;  // used under mu_
  int lock_fd_ = -1;                          // the flock on PATH.lock: one collector per database
};

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_STORE_SQLITE_STORE_H_
