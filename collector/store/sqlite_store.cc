#include "collector/store/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "collector/store/sqlite_connection.h"
#include "collector/store/sqlite_event_window.h"
#include "collector/store/sqlite_schema.h"
#include "common/events/event_window.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace kerbside::collector {
namespace {

using sqlite::Statement;

bool IsEventKind(const v1::Evidence& e) {
  return e.kind_case() == v1::Evidence::kEvents || e.kind_case() == v1::Evidence::kEventAggregate;
}

// One collector per database: two would split the agents between them and page twice. The
// lock is an flock on PATH.lock, held for the store's life and released by the kernel if the
// process dies; it names the holder's pid. Returns the locked descriptor.
absl::StatusOr<int> LockForOneCollector(const std::string& path) {
  const std::string lock_path = path + ".lock";
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("store: cannot open ", lock_path, ": ", std::strerror(errno)));
  }
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char holder[32] = {};
    const ssize_t n = ::pread(lock_fd, holder, sizeof holder - 1, 0);
    ::close(lock_fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("store: ", path, " is in use by another collector (pid ",
                       n > 0 ? absl::StripAsciiWhitespace(holder) : "unknown", ", lock ", lock_path,
                       "): one collector per database"));
    }
    return absl::InternalError(absl::StrCat("store: lock ", lock_path, ": ", std::strerror(err)));
  }
  const std::string pid = absl::StrCat(::getpid(), "\n");
  if (::ftruncate(lock_fd, 0) != 0 || ::pwrite(lock_fd, pid.data(), pid.size(), 0) < 0) {
    // The lock holds without the pid; only the message of a refused second collector is poorer.
  }
  return lock_fd;
}

}  // namespace

int SqliteStore::LatestSchemaVersion() { return sqlite::LatestSchemaVersion(); }

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  ASSIGN_OR_RETURN(const int lock_fd, LockForOneCollector(path));
  auto conn = sqlite::Connection::Open(path);
  if (!conn.ok()) {
    ::close(lock_fd);
    return conn.status();
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(*conn), lock_fd));
  RETURN_IF_ERROR(sqlite::Migrate(*store->conn_, [&store](int to_version) {
    return to_version == 5 ? store->MoveSnapshotEventsToWindow() : absl::OkStatus();
  }));
  return store;
}

SqliteStore::SqliteStore(std::unique_ptr<sqlite::Connection> conn, int lock_fd)
    : conn_(std::move(conn)), lock_fd_(lock_fd) {}

SqliteStore::~SqliteStore() {
  conn_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

absl::StatusOr<int> SqliteStore::SchemaVersion() {
  absl::MutexLock lock(&mu_);
  return sqlite::SchemaVersion(*conn_);
}

absl::Status SqliteStore::MoveSnapshotEventsToWindow() {
  // Schema 4 kept events in each source's snapshot. Each becomes the first read of its keys,
  // received when the snapshot was, so a restart into the new schema loses no event.
  struct Old {
    std::string host, source;
    absl::Time received;
    v1::Evidence evidence;
  };
  std::vector<Old> old;
  {
    Statement st(*conn_, R"sql(
        SELECT host, source, received_at_unix_ns, payload FROM evidence
        WHERE kind IN ('events', 'event_aggregate') ORDER BY host, source, item)sql");
    RETURN_IF_ERROR(st.status("prepare read snapshot events"));
    int rc;
    while ((rc = st.Step()) == SQLITE_ROW) {
      Old o{st.Text(0), st.Text(1), absl::FromUnixNanos(st.Int(2)), {}};
      if (!o.evidence.ParseFromString(st.Text(3))) {
        spdlog::warn("{}: an old snapshot event of {} does not parse; dropped", conn_->path(),
                     o.host);
        continue;
      }
      old.push_back(std::move(o));
    }
    if (rc != SQLITE_DONE) return sqlite::Error(conn_->db(), rc, "read snapshot events");
  }
  sqlite::EventWindowWriter window(*conn_);
  RETURN_IF_ERROR(window.status());
  // One snapshot per (host, source) held every file: read together, as a batch would be, so a
  // log and its rotated copy are combined and not advanced one after the other.
  for (size_t i = 0; i < old.size();) {
    size_t j = i;
    std::vector<v1::Evidence> items;
    absl::Time received = old[i].received;
    for (; j < old.size() && old[j].host == old[i].host && old[j].source == old[i].source; ++j) {
      items.push_back(old[j].evidence);
      received = std::max(received, old[j].received);
    }
    for (const v1::Evidence& e : events::CombineBatchReads(items)) {
      RETURN_IF_ERROR(window.Merge(old[i].host, old[i].source, received, e, {}));
    }
    i = j;
  }
  return conn_->Exec("DELETE FROM evidence WHERE kind IN ('events', 'event_aggregate')");
}

absl::Status SqliteStore::UpsertHost(const HostRecord& host) {
  absl::MutexLock lock(&mu_);
  Statement st(*conn_, R"sql(
      INSERT INTO hosts (name, fqdn, identity, first_seen_unix_ns, last_seen_unix_ns,
                         peer_address, certificate_subject)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
      ON CONFLICT(name) DO UPDATE SET fqdn = ?2, identity = ?3, last_seen_unix_ns = ?5,
                                      peer_address = ?6, certificate_subject = ?7)sql");
  RETURN_IF_ERROR(st.status("prepare upsert host"));
  st.Bind(1, host.identity.netbios_name());
  st.Bind(2, host.identity.fqdn());
  st.BindBlob(3, host.identity.SerializeAsString());
  st.Bind(4, absl::ToUnixNanos(host.first_seen));
  st.Bind(5, absl::ToUnixNanos(host.last_seen));
  st.Bind(6, host.peer_address);
  st.Bind(7, host.certificate_subject);
  return st.Run("upsert host");
}

absl::Status SqliteStore::TouchHost(const std::string& name, absl::Time last_seen) {
  absl::MutexLock lock(&mu_);
  Statement st(*conn_, "UPDATE hosts SET last_seen_unix_ns = ?2 WHERE name = ?1");
  RETURN_IF_ERROR(st.status("prepare touch host"));
  st.Bind(1, name);
  st.Bind(2, absl::ToUnixNanos(last_seen));
  return st.Run("touch host");
}

absl::Status SqliteStore::SaveClockEstimate(const std::string& name, const ClockEstimateValue& e) {
  absl::MutexLock lock(&mu_);
  Statement st(*conn_, R"sql(
      INSERT OR REPLACE INTO clock_estimates
        (name, offset_ns, uncertainty_ns, delay_ns, measured_at_unix_ns, window_samples)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6))sql");
  RETURN_IF_ERROR(st.status("prepare save clock estimate"));
  st.Bind(1, name);
  st.Bind(2, absl::ToInt64Nanoseconds(e.offset));
  st.Bind(3, absl::ToInt64Nanoseconds(e.uncertainty));
  st.Bind(4, absl::ToInt64Nanoseconds(e.delay));
  st.Bind(5, absl::ToUnixNanos(e.measured_at));
  st.Bind(6, e.window_samples);
  return st.Run("save clock estimate");
}

absl::StatusOr<std::vector<HostRecord>> SqliteStore::LoadHosts() {
  absl::MutexLock lock(&mu_);
  Statement st(*conn_, R"sql(
      SELECT h.name, h.identity, h.first_seen_unix_ns, h.last_seen_unix_ns, h.peer_address,
             h.certificate_subject, c.offset_ns, c.uncertainty_ns, c.delay_ns,
             c.measured_at_unix_ns, c.window_samples
      FROM hosts h LEFT JOIN clock_estimates c ON c.name = h.name ORDER BY h.name)sql");
  RETURN_IF_ERROR(st.status("prepare load hosts"));
  std::vector<HostRecord> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    HostRecord h;
    if (!h.identity.ParseFromString(st.Text(1))) {
      return absl::DataLossError(
          absl::StrCat(conn_->path(), ": hosts row '", st.Text(0), "': identity does not parse"));
    }
    h.first_seen = absl::FromUnixNanos(st.Int(2));
    h.last_seen = absl::FromUnixNanos(st.Int(3));
    h.peer_address = st.Text(4);
    h.certificate_subject = st.Text(5);
    if (!st.IsNull(6)) {
      ClockEstimateValue e;
      e.offset = absl::Nanoseconds(st.Int(6));
      e.uncertainty = absl::Nanoseconds(st.Int(7));
      e.delay = absl::Nanoseconds(st.Int(8));
      e.measured_at = absl::FromUnixNanos(st.Int(9));
      e.window_samples = static_cast<int>(st.Int(10));
      h.clock = e;
    }
    out.push_back(std::move(h));
  }
  if (rc != SQLITE_DONE) return sqlite::Error(conn_->db(), rc, "load hosts");
  return out;
}

std::vector<absl::Status> SqliteStore::ReplaceSourcesEvidence(
    const std::vector<SourceSnapshot>& snapshots) {
  std::vector<absl::Status> out(snapshots.size());
  if (snapshots.empty()) return out;
  // The window is pruned once per transaction, to the latest cut of its batches.
  auto write = [&](size_t first, size_t end) {
    return conn_->InTransaction([&]() -> absl::Status {
      absl::Time since = absl::InfinitePast();
      for (size_t i = first; i < end; ++i) {
        RETURN_IF_ERROR(WriteSourceEvidence(snapshots[i]));
        since = std::max(since, snapshots[i].window.since);
      }
      Statement prune(*conn_, "DELETE FROM event_window WHERE last_seen_collector_unix_ns < ?1");
      RETURN_IF_ERROR(prune.status("prepare prune event window"));
      prune.Bind(1, absl::ToUnixNanos(since));
      return prune.Run("prune event window");
    });
  };
  absl::MutexLock lock(&mu_);
  // Optimistic: the whole group in one transaction. When a batch fails (rare: a full disk, a
  // constraint), the group is undone and stored again batch by batch, each in a transaction of
  // its own, so the failure is that batch's alone.
  const absl::Status group = write(0, snapshots.size());
  if (group.ok() || snapshots.size() == 1) {
    std::fill(out.begin(), out.end(), group);
    return out;
  }
  // A source's batches stay in order (EvidenceStore says why): after one fails, the later ones
  // of its host and source in this group are not stored either.
  std::set<std::pair<std::string_view, std::string_view>> failed;
  for (size_t i = 0; i < snapshots.size(); ++i) {
    const std::pair<std::string_view, std::string_view> key(snapshots[i].host, snapshots[i].source);
    if (failed.count(key) > 0) {
      out[i] = absl::FailedPreconditionError(absl::StrCat(
          "not stored: an earlier batch of ", snapshots[i].host, "/", snapshots[i].source,
          " in the same group failed, and a source's batches "
          "are stored in order"));
      continue;
    }
    out[i] = write(i, i + 1);
    if (!out[i].ok()) failed.insert(key);
  }
  return out;
}

absl::Status SqliteStore::WriteSourceEvidence(const SourceSnapshot& snapshot) {
  const std::string& host = snapshot.host;
  const std::string& source = snapshot.source;
  const absl::Time received_at = snapshot.received_at;
  std::vector<const v1::Evidence*> items_kept;
  for (const v1::Evidence& e : snapshot.items) {
    if (!IsEventKind(e)) items_kept.push_back(&e);
  }
  const std::vector<v1::Evidence> aggregates = events::CombineBatchReads(snapshot.items);
  if (!aggregates.empty()) {
    sqlite::EventWindowWriter writer(*conn_);
    RETURN_IF_ERROR(writer.status());
    for (const v1::Evidence& e : aggregates) {
      RETURN_IF_ERROR(writer.Merge(host, source, received_at, e, snapshot.window));
    }
  }
  {
    // The source's rows become items 0..n-1 of this batch: each row written over in place, then
    // the rows past n deleted. A source usually sends as many items as last time, and a delete
    // of all its rows and n inserts changed the table and its key index twice per item
    // (issue 17: SQLite was the largest share of the collector's ingest).
    Statement st(*conn_, R"sql(
        INSERT INTO evidence (host, source, item, kind, subject, received_at_unix_ns, payload)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
        ON CONFLICT (host, source, item) DO UPDATE SET kind = excluded.kind,
          subject = excluded.subject, received_at_unix_ns = excluded.received_at_unix_ns,
          payload = excluded.payload)sql");
    RETURN_IF_ERROR(st.status("prepare put evidence"));
    for (size_t i = 0; i < items_kept.size(); ++i) {
      const v1::Evidence& e = *items_kept[i];
      const auto* field = e.GetDescriptor()->FindFieldByNumber(e.kind_case());
      st.Reset();
      st.Bind(1, host);
      st.Bind(2, source);
      st.Bind(3, static_cast<int64_t>(i));
      st.Bind(4, field != nullptr ? field->name() : std::string("unknown"));
      st.Bind(5, e.subject());
      st.Bind(6, absl::ToUnixNanos(received_at));
      st.BindBlob(7, e.SerializeAsString());
      RETURN_IF_ERROR(st.Run("put evidence"));
    }
    Statement del(*conn_, "DELETE FROM evidence WHERE host = ?1 AND source = ?2 AND item >= ?3");
    RETURN_IF_ERROR(del.status("prepare delete evidence"));
    del.Bind(1, host);
    del.Bind(2, source);
    del.Bind(3, static_cast<int64_t>(items_kept.size()));
    RETURN_IF_ERROR(del.Run("delete evidence"));
  }
  Statement h(*conn_, R"sql(
      INSERT OR REPLACE INTO source_health (host, source, state, reason, received_at_unix_ns)
      VALUES (?1, ?2, ?3, ?4, ?5))sql");
  RETURN_IF_ERROR(h.status("prepare source health"));
  h.Bind(1, host);
  h.Bind(2, source);
  h.Bind(3, v1::SourceHealth::State_Name(snapshot.health.state()));
  h.Bind(4, snapshot.health.reason());
  h.Bind(5, absl::ToUnixNanos(received_at));
  return h.Run("source health");
}

absl::StatusOr<std::vector<v1::Evidence>> SqliteStore::LoadEvidence(const std::string& host) {
  absl::MutexLock lock(&mu_);
  Statement st(*conn_, host.empty()
                           ? "SELECT payload, host FROM evidence ORDER BY host, source, item"
                           : "SELECT payload, host FROM evidence WHERE host = ?1 "
                             "ORDER BY source, item");
  RETURN_IF_ERROR(st.status("prepare load evidence"));
  if (!host.empty()) st.Bind(1, host);
  std::vector<v1::Evidence> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    v1::Evidence e;
    if (!e.ParseFromString(st.Text(0))) {
      return absl::DataLossError(
          absl::StrCat(conn_->path(), ": evidence row of ", st.Text(1), " does not parse"));
    }
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return sqlite::Error(conn_->db(), rc, "load evidence");
  return out;
}

absl::StatusOr<std::vector<v1::Evidence>> SqliteStore::LoadEventWindow(const std::string& host,
                                                                       absl::Time since) {
  absl::MutexLock lock(&mu_);
  Statement st(
      *conn_,
      host.empty()
          ? "SELECT payload, host, last_received_unix_ns, observed_host_unix_ns FROM event_window "
            "WHERE last_seen_collector_unix_ns >= ?1 "
            "ORDER BY host, source, channel, first_seen_host_unix_ns, event_key"
          : "SELECT payload, host, last_received_unix_ns, observed_host_unix_ns FROM event_window "
            "WHERE last_seen_collector_unix_ns >= ?1 AND host = ?2 "
            "ORDER BY source, channel, first_seen_host_unix_ns, event_key");
  RETURN_IF_ERROR(st.status("prepare load event window"));
  st.Bind(1, absl::ToUnixNanos(since));
  if (!host.empty()) st.Bind(2, host);
  std::vector<v1::Evidence> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    v1::Evidence e;
    if (!e.ParseFromString(st.Text(0))) {
      // One bad row must not hide every host's events: skip it, say so.
      spdlog::error("{}: an event_window row of {} does not parse; skipped", conn_->path(),
                    st.Text(1));
      continue;
    }
    // The window's item is as recent as the last batch that reported it.
    *e.mutable_received_at() = ToProto(absl::FromUnixNanos(st.Int(2)));
    *e.mutable_observed_host_time() = ToProto(absl::FromUnixNanos(st.Int(3)));
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return sqlite::Error(conn_->db(), rc, "load event window");
  return out;
}

absl::StatusOr<int64_t> SqliteStore::CountEventWindow(const std::string& host) {
  return CountRowsOfHost("event_window", host);
}

absl::StatusOr<std::vector<SourceHealthRecord>> SqliteStore::LoadSourceHealth() {
  absl::MutexLock lock(&mu_);
  Statement st(*conn_,
               "SELECT host, source, state, reason, received_at_unix_ns FROM source_health "
               "ORDER BY host, source");
  RETURN_IF_ERROR(st.status("prepare load source health"));
  std::vector<SourceHealthRecord> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    out.push_back({st.Text(0), st.Text(1), st.Text(2), st.Text(3), absl::FromUnixNanos(st.Int(4))});
  }
  if (rc != SQLITE_DONE) return sqlite::Error(conn_->db(), rc, "load source health");
  return out;
}

absl::StatusOr<int64_t> SqliteStore::CountEvidence(const std::string& host) {
  return CountRowsOfHost("evidence", host);
}

absl::StatusOr<int64_t> SqliteStore::CountRowsOfHost(const char* table, const std::string& host) {
  absl::MutexLock lock(&mu_);
  Statement st =
      Statement::Dynamic(*conn_, absl::StrCat("SELECT COUNT(*) FROM ", table, " WHERE host = ?1"));
  RETURN_IF_ERROR(st.status(absl::StrCat("prepare count ", table)));
  st.Bind(1, host);
  if (st.Step() != SQLITE_ROW)
    return sqlite::Error(conn_->db(), SQLITE_ERROR, absl::StrCat("count ", table));
  return st.Int(0);
}

absl::Status SqliteStore::CommitDiagnoses(
    const std::vector<KeptDiagnosisRecord>& upserts,
    const std::vector<std::pair<std::string, std::string>>& deleted,
    const std::vector<OutboxRecord>& enqueue) {
  absl::MutexLock lock(&mu_);
  return conn_->InTransaction([&]() -> absl::Status {
    for (const auto& [cause, host] : deleted) {
      Statement del(*conn_, "DELETE FROM kept_diagnoses WHERE cause = ?1 AND blamed_host = ?2");
      RETURN_IF_ERROR(del.status("prepare delete kept diagnosis"));
      del.Bind(1, cause);
      del.Bind(2, host);
      RETURN_IF_ERROR(del.Run("delete kept diagnosis"));
    }
    for (const KeptDiagnosisRecord& k : upserts) {
      Statement st(*conn_, R"sql(
          INSERT OR REPLACE INTO kept_diagnoses
            (cause, blamed_host, alert_key, state, first_seen_unix_ns, last_changed_unix_ns,
             last_seen_unix_ns, absent_since_unix_ns, paged, detail)
          VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10))sql");
      RETURN_IF_ERROR(st.status("prepare keep diagnosis"));
      st.Bind(1, k.cause);
      st.Bind(2, k.blamed_host);
      st.Bind(3, k.alert_key);
      st.Bind(4, k.state);
      st.Bind(5, absl::ToUnixNanos(k.first_seen));
      st.Bind(6, absl::ToUnixNanos(k.last_changed));
      st.Bind(7, absl::ToUnixNanos(k.last_seen));
      st.Bind(8, k.absent_since ? absl::ToUnixNanos(*k.absent_since) : int64_t{0});
      st.Bind(9, int64_t{k.paged ? 1 : 0});
      st.Bind(10, k.detail_json);
      RETURN_IF_ERROR(st.Run("keep diagnosis"));
    }
    for (const OutboxRecord& o : enqueue) {
      Statement st(*conn_, R"sql(
          INSERT INTO alert_outbox (sink, alert_key, action, alert, created_unix_ns,
                                    next_attempt_unix_ns)
          VALUES (?1, ?2, ?3, ?4, ?5, ?6))sql");
      RETURN_IF_ERROR(st.status("prepare queue alert"));
      st.Bind(1, o.sink);
      st.Bind(2, o.alert_key);
      st.Bind(3, o.action);
      st.Bind(4, o.alert_json);
      st.Bind(5, absl::ToUnixNanos(o.created));
      st.Bind(6, absl::ToUnixNanos(o.next_attempt));
      RETURN_IF_ERROR(st.Run("queue alert"));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<KeptDiagnosisRecord>> SqliteStore::LoadKeptDiagnoses() {
  absl::MutexLock lock(&mu_);
  Statement st(*conn_, R"sql(
      SELECT cause, blamed_host, alert_key, state, first_seen_unix_ns, last_changed_unix_ns,
             last_seen_unix_ns, absent_since_unix_ns, paged, detail
      FROM kept_diagnoses ORDER BY first_seen_unix_ns, cause, blamed_host)sql");
  RETURN_IF_ERROR(st.status("prepare load kept diagnoses"));
  std::vector<KeptDiagnosisRecord> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    KeptDiagnosisRecord k;
    k.cause = st.Text(0);
    k.blamed_host = st.Text(1);
    k.alert_key = st.Text(2);
    k.state = st.Text(3);
    k.first_seen = absl::FromUnixNanos(st.Int(4));
    k.last_changed = absl::FromUnixNanos(st.Int(5));
    k.last_seen = absl::FromUnixNanos(st.Int(6));
    if (st.Int(7) != 0) k.absent_since = absl::FromUnixNanos(st.Int(7));
    k.paged = st.Int(8) != 0;
    k.detail_json = st.Text(9);
    out.push_back(std::move(k));
  }
  if (rc != SQLITE_DONE) return sqlite::Error(conn_->db(), rc, "load kept diagnoses");
  return out;
}

absl::StatusOr<std::optional<OutboxRecord>> SqliteStore::OutboxHead(const std::string& sink) {
  absl::MutexLock lock(&mu_);
  Statement st(*conn_, R"sql(
      SELECT id, sink, alert_key, action, alert, created_unix_ns, attempts,
             next_attempt_unix_ns, last_error
      FROM alert_outbox WHERE sink = ?1 ORDER BY id LIMIT 1)sql");
  RETURN_IF_ERROR(st.status("prepare outbox head"));
  st.Bind(1, sink);
  const int rc = st.Step();
  if (rc == SQLITE_DONE) return std::optional<OutboxRecord>();
  if (rc != SQLITE_ROW) return sqlite::Error(conn_->db(), rc, "outbox head");
  OutboxRecord o;
  o.id = st.Int(0);
  o.sink = st.Text(1);
  o.alert_key = st.Text(2);
  o.action = st.Text(3);
  o.alert_json = st.Text(4);
  o.created = absl::FromUnixNanos(st.Int(5));
  o.attempts = static_cast<int>(st.Int(6));
  o.next_attempt = absl::FromUnixNanos(st.Int(7));
  o.last_error = st.Text(8);
  return std::optional<OutboxRecord>(std::move(o));
}

absl::Status SqliteStore::OutboxDone(int64_t id) {
  absl::MutexLock lock(&mu_);
  Statement st(*conn_, "DELETE FROM alert_outbox WHERE id = ?1");
  RETURN_IF_ERROR(st.status("prepare outbox done"));
  st.Bind(1, id);
  return st.Run("outbox done");
}

absl::Status SqliteStore::OutboxRetryLater(int64_t id, int attempts, absl::Time next_attempt,
                                           const std::string& last_error) {
  absl::MutexLock lock(&mu_);
  Statement st(*conn_, R"sql(
      UPDATE alert_outbox SET attempts = ?2, next_attempt_unix_ns = ?3, last_error = ?4
      WHERE id = ?1)sql");
  RETURN_IF_ERROR(st.status("prepare outbox retry"));
  st.Bind(1, id);
  st.Bind(2, int64_t{attempts});
  st.Bind(3, absl::ToUnixNanos(next_attempt));
  st.Bind(4, last_error);
  return st.Run("outbox retry");
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> SqliteStore::OutboxPending() {
  absl::MutexLock lock(&mu_);
  Statement st(*conn_, "SELECT sink, COUNT(*) FROM alert_outbox GROUP BY sink ORDER BY sink");
  RETURN_IF_ERROR(st.status("prepare outbox pending"));
  std::vector<std::pair<std::string, int64_t>> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back({st.Text(0), st.Int(1)});
  if (rc != SQLITE_DONE) return sqlite::Error(conn_->db(), rc, "outbox pending");
  return out;
}

}  // namespace kerbside::collector
