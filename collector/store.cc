#include "collector/store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/events/event_aggregate.h"
#include "common/events/event_window.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace kerbside::collector {
namespace {

// Each entry moves the schema from version i to i+1. Never edit a released entry; append.
const char* const kMigrations[] = {
    // 0 -> 1: hosts and their latest clock estimate.
    R"sql(
    CREATE TABLE hosts (
      name TEXT PRIMARY KEY,            -- upper-case NetBIOS name
      fqdn TEXT NOT NULL,
      identity BLOB NOT NULL,           -- serialized kerbside.v1.HostIdentity
      first_seen_unix_ns INTEGER NOT NULL,
      last_seen_unix_ns INTEGER NOT NULL,
      peer_address TEXT NOT NULL DEFAULT '',
      certificate_subject TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE clock_estimates (
      name TEXT PRIMARY KEY REFERENCES hosts(name),
      offset_ns INTEGER NOT NULL,       -- positive = host ahead of the collector
      uncertainty_ns INTEGER NOT NULL,
      delay_ns INTEGER NOT NULL,
      measured_at_unix_ns INTEGER NOT NULL,
      window_samples INTEGER NOT NULL
    );
    )sql",
    // 1 -> 2: latest evidence snapshot per host, source, kind and subject.
    R"sql(
    CREATE TABLE evidence_latest (
      host TEXT NOT NULL,
      source TEXT NOT NULL,
      kind TEXT NOT NULL,
      subject TEXT NOT NULL,
      received_at_unix_ns INTEGER NOT NULL,
      payload BLOB NOT NULL,            -- serialized kerbside.v1.Evidence
      PRIMARY KEY (host, source, kind, subject)
    );
    )sql",
    // 2 -> 3: a source's batch is a full snapshot: keep every item of the latest one (several
    // items may share a kind and subject), and the source's health with it.
    R"sql(
    DROP TABLE evidence_latest;
    CREATE TABLE evidence (
      host TEXT NOT NULL,
      source TEXT NOT NULL,
      item INTEGER NOT NULL,            -- position in the batch
      kind TEXT NOT NULL,
      subject TEXT NOT NULL,
      received_at_unix_ns INTEGER NOT NULL,
      payload BLOB NOT NULL,            -- serialized kerbside.v1.Evidence
      PRIMARY KEY (host, source, item)
    );
    CREATE TABLE source_health (
      host TEXT NOT NULL,
      source TEXT NOT NULL,
      state TEXT NOT NULL,
      reason TEXT NOT NULL,
      received_at_unix_ns INTEGER NOT NULL,
      PRIMARY KEY (host, source)
    );
    )sql",
    // 3 -> 4: the diagnosis keeper's diagnoses (first seen, last changed, state) and the alert
    // outbox, so a restart neither loses nor re-fires an alert.
    R"sql(
    CREATE TABLE kept_diagnoses (
      cause TEXT NOT NULL,
      blamed_host TEXT NOT NULL,
      alert_key TEXT NOT NULL,          -- the alert's identity, kept when the cause changes
      state TEXT NOT NULL,              -- pending | active | clearing | resolved
      first_seen_unix_ns INTEGER NOT NULL,
      last_changed_unix_ns INTEGER NOT NULL,
      last_seen_unix_ns INTEGER NOT NULL,
      absent_since_unix_ns INTEGER NOT NULL DEFAULT 0,
      paged INTEGER NOT NULL DEFAULT 0,
      detail TEXT NOT NULL,             -- JSON of the alert (sentence, fix, queues, site, ...)
      PRIMARY KEY (cause, blamed_host)
    );
    CREATE TABLE alert_outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT,  -- delivery order
      sink TEXT NOT NULL,
      alert_key TEXT NOT NULL,
      action TEXT NOT NULL,             -- trigger | resolve
      alert TEXT NOT NULL,              -- JSON of the alert when it was queued
      created_unix_ns INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_unix_ns INTEGER NOT NULL,
      last_error TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX alert_outbox_by_sink ON alert_outbox (sink, id);
    )sql",
    // 4 -> 5: the window of recent events. A source's events no longer live in its snapshot
    // (which the next export of a rotated log would wipe) but here, one row per host, source,
    // channel and event key, advanced by every read (common/events/event_window.h) and pruned
    // by age. Migrate() then moves the events of the old snapshots in (C++: they are protos).
    R"sql(
    CREATE TABLE event_window (
      host TEXT NOT NULL,
      source TEXT NOT NULL,
      channel TEXT NOT NULL,            -- event log channel (record ids are per channel)
      event_key TEXT NOT NULL,          -- provider, event id and key facts (AggregateKey)
      origin TEXT NOT NULL,             -- the file or command the last read came from
      provider TEXT NOT NULL,
      event_id INTEGER NOT NULL,
      occurrences INTEGER NOT NULL,     -- carried + the last read's count
      carried_occurrences INTEGER NOT NULL,         -- of earlier reads, no longer in view
      carried_is_lower_bound INTEGER NOT NULL,
      carried_span BLOB NOT NULL,       -- serialized kerbside.v1.EventAggregate: their span
      first_seen_host_unix_ns INTEGER NOT NULL,     -- the host's clock
      last_seen_host_unix_ns INTEGER NOT NULL,      -- the host's clock
      -- The last occurrence placed on the collector's clock (host time minus the host's
      -- measured offset): what the window's age is measured on.
      last_seen_collector_unix_ns INTEGER NOT NULL,
      first_received_unix_ns INTEGER NOT NULL,      -- collector clock
      last_received_unix_ns INTEGER NOT NULL,       -- collector clock
      observed_host_unix_ns INTEGER NOT NULL,       -- the host's clock, its last read
      latest BLOB NOT NULL,             -- serialized kerbside.v1.EventAggregate, the last read
      payload BLOB NOT NULL,            -- serialized kerbside.v1.Evidence, the window's aggregate
      PRIMARY KEY (host, source, channel, event_key)
    );
    CREATE INDEX event_window_by_age ON event_window (last_seen_collector_unix_ns);
    )sql",
};

bool IsEventKind(const v1::Evidence& e) {
  return e.kind_case() == v1::Evidence::kEvents || e.kind_case() == v1::Evidence::kEventAggregate;
}

absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what) {
  return absl::InternalError(absl::StrCat("sqlite: ", what, ": ", sqlite3_errstr(rc), " (code ", rc,
                                          "): ", db ? sqlite3_errmsg(db) : ""));
}

// Statements prepared once per connection and reused: re-preparing every statement of every
// batch cost a fifth of ingest (issue 17). Keyed by the SQL literal's address; every use is
// under Store::mu_, and a statement already in use (the same SQL twice at once) gets a fresh one.
class StatementCache {
 public:
  struct Entry {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  ~StatementCache() {
    for (auto& [sql, e] : entries_) sqlite3_finalize(e.stmt);
  }
  // The cached entry for `sql`, prepared now if needed; null when it is in use or cannot be
  // prepared (the caller then prepares its own, which reports the error).
  Entry* Take(sqlite3* db, const char* sql) {
    Entry& e = entries_[sql];
    if (e.in_use) return nullptr;
    if (e.stmt == nullptr &&
        sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &e.stmt, nullptr) != SQLITE_OK) {
      sqlite3_finalize(e.stmt);
      e.stmt = nullptr;
      return nullptr;
    }
    e.in_use = true;
    return &e;
  }

 private:
  // Node-based: a Statement holds its Entry* while other statements are added.
  absl::node_hash_map<const char*, Entry> entries_;
};

// One cache per open connection (Store::Open adds it, ~Store drops it before closing).
absl::Mutex caches_mu;
absl::flat_hash_map<sqlite3*, std::unique_ptr<StatementCache>>& Caches() {
  static auto* caches = new absl::flat_hash_map<sqlite3*, std::unique_ptr<StatementCache>>();
  return *caches;
}
StatementCache* CacheOf(sqlite3* db) {
  absl::MutexLock lock(&caches_mu);
  auto it = Caches().find(db);
  return it == Caches().end() ? nullptr : it->second.get();
}

// A prepared statement: the connection's cached one (reset and unbound when done), else its own
// (finalized when done).
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    StatementCache* cache = CacheOf(db);
    entry_ = cache != nullptr ? cache->Take(db, sql) : nullptr;
    if (entry_ != nullptr) {
      stmt_ = entry_->stmt;
      rc_ = SQLITE_OK;
    } else {
      rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
    }
  }
  ~Statement() {
    if (entry_ == nullptr) {
      sqlite3_finalize(stmt_);
      return;
    }
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    entry_->in_use = false;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  absl::Status status(absl::string_view what) const {
    return rc_ == SQLITE_OK ? absl::OkStatus() : SqliteError(db_, rc_, what);
  }
  void Bind(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void BindBlob(int i, const std::string& s) {
    sqlite3_bind_blob(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  int Step() { return sqlite3_step(stmt_); }
  // For the next row of a statement prepared once and run many times.
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  absl::Status Run(absl::string_view what) {
    const int rc = Step();
    return rc == SQLITE_DONE ? absl::OkStatus() : SqliteError(db_, rc, what);
  }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) {
    const void* p = sqlite3_column_blob(stmt_, col);
    const int n = sqlite3_column_bytes(stmt_, col);
    return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : "";
  }
  bool IsNull(int col) { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  StatementCache::Entry* entry_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

// The event window's statements, prepared once per batch: a batch may carry hundreds of keys.
struct WindowStatements {
  explicit WindowStatements(sqlite3* db)
      : read(db, R"sql(
            SELECT latest, carried_occurrences, carried_is_lower_bound, payload,
                   first_received_unix_ns, carried_span, last_seen_host_unix_ns
            FROM event_window
            WHERE host = ?1 AND source = ?2 AND channel = ?3 AND event_key = ?4)sql"),
        put(db, R"sql(
            INSERT OR REPLACE INTO event_window
              (host, source, channel, event_key, origin, provider, event_id, occurrences,
               carried_occurrences, carried_is_lower_bound, first_seen_host_unix_ns,
               last_seen_host_unix_ns, last_seen_collector_unix_ns, first_received_unix_ns,
               last_received_unix_ns, latest, payload, carried_span, observed_host_unix_ns)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                    ?17, ?18, ?19))sql"),
        touch(db, R"sql(
            UPDATE event_window SET origin = ?5, last_seen_collector_unix_ns = ?6,
                                    last_received_unix_ns = ?7, observed_host_unix_ns = ?8
            WHERE host = ?1 AND source = ?2 AND channel = ?3 AND event_key = ?4)sql") {}
  absl::Status status() const {
    RETURN_IF_ERROR(read.status("prepare read event window"));
    RETURN_IF_ERROR(put.status("prepare put event window"));
    return touch.status("prepare touch event window");
  }
  Statement read, put, touch;
};

// Advances one key of the window with the batch's read of it (`item`: an event aggregate).
absl::Status MergeIntoEventWindow(sqlite3* db, const std::string& path, WindowStatements& st,
                                  const std::string& host, const std::string& source,
                                  absl::Time received_at, const v1::Evidence& item,
                                  const EventWindowPolicy& window) {
  const v1::EventAggregate& fresh = item.event_aggregate();
  const std::string key = events::AggregateKey(fresh);
  events::WindowEntry entry;
  absl::Time first_received = received_at;
  st.read.Reset();
  st.read.Bind(1, host);
  st.read.Bind(2, source);
  st.read.Bind(3, fresh.channel());
  st.read.Bind(4, key);
  const int rc = st.read.Step();
  const absl::Time observed =
      item.has_observed_host_time() ? FromProto(item.observed_host_time()) : received_at;
  if (rc == SQLITE_ROW) {
    events::WindowEntry kept;
    const bool latest_ok = kept.latest.ParseFromString(st.read.Text(0));
    // The steady state: the same export read again, nothing carried. Only the times move, so
    // the row is touched, not rebuilt (the bench: tests/bench/event_window_bench.cc).
    if (latest_ok && st.read.Int(1) == 0 &&
        events::CompareRanges(kept.latest, fresh) == events::RangeRelation::kSame &&
        kept.latest.count() == fresh.count() &&
        kept.latest.count_is_lower_bound() == fresh.count_is_lower_bound()) {
      const absl::Time last_seen_collector = events::LastSeenOnCollectorClock(
          absl::FromUnixNanos(st.read.Int(6)), received_at, window.host_offset);
      if (last_seen_collector < window.since) return absl::OkStatus();
      st.touch.Reset();
      st.touch.Bind(1, host);
      st.touch.Bind(2, source);
      st.touch.Bind(3, fresh.channel());
      st.touch.Bind(4, key);
      st.touch.Bind(5, item.origin());
      st.touch.Bind(6, absl::ToUnixNanos(last_seen_collector));
      st.touch.Bind(7, absl::ToUnixNanos(received_at));
      st.touch.Bind(8, absl::ToUnixNanos(observed));
      return st.touch.Run("touch event window");
    }
    v1::Evidence kept_total;
    if (!latest_ok || !kept_total.ParseFromString(st.read.Text(3)) ||
        !kept_total.has_event_aggregate() || !kept.carried_span.ParseFromString(st.read.Text(5))) {
      // Unreadable: start the key afresh rather than refuse the host's batches forever.
      spdlog::error("{}: event_window row {}/{}/{} does not parse; starting it again", path, host,
                    source, fresh.channel());
      entry = events::StartWindow(fresh);
    } else {
      kept.carried = st.read.Int(1);
      kept.carried_is_lower_bound = st.read.Int(2) != 0;
      kept.total = kept_total.event_aggregate();
      entry = events::AdvanceWindow(kept, fresh);
      first_received = absl::FromUnixNanos(st.read.Int(4));
    }
  } else if (rc == SQLITE_DONE) {
    entry = events::StartWindow(fresh);
  } else {
    return SqliteError(db, rc, "read event window");
  }
  const events::CutResult cut = events::CutToWindow(entry, received_at, window);
  if (!cut.keep) return absl::OkStatus();
  const v1::EventAggregate& a = entry.total;
  const absl::Time last_seen_collector = cut.last_seen_collector;
  v1::Evidence shown = item;
  *shown.mutable_event_aggregate() = a;
  st.put.Reset();
  st.put.Bind(1, host);
  st.put.Bind(2, source);
  st.put.Bind(3, fresh.channel());
  st.put.Bind(4, key);
  st.put.Bind(5, item.origin());
  st.put.Bind(6, a.provider());
  st.put.Bind(7, static_cast<int64_t>(a.event_id()));
  st.put.Bind(8, a.count());
  st.put.Bind(9, entry.carried);
  st.put.Bind(10, int64_t{entry.carried_is_lower_bound ? 1 : 0});
  st.put.Bind(11, absl::ToUnixNanos(FromProto(a.first_seen())));
  st.put.Bind(12, absl::ToUnixNanos(FromProto(a.last_seen())));
  st.put.Bind(13, absl::ToUnixNanos(last_seen_collector));
  st.put.Bind(14, absl::ToUnixNanos(first_received));
  st.put.Bind(15, absl::ToUnixNanos(received_at));
  st.put.BindBlob(16, entry.latest.SerializeAsString());
  st.put.BindBlob(17, shown.SerializeAsString());
  st.put.BindBlob(18, entry.carried_span.SerializeAsString());
  st.put.Bind(19, absl::ToUnixNanos(observed));
  return st.put.Run("put event window");
}

// A batch's events as one read per (channel, event key): records aggregated, and the
// aggregates of several files of one channel (a log and its rotated copy) combined, so a key
// is advanced once per batch and a copy is not counted twice.
std::vector<v1::Evidence> EventReads(const std::vector<v1::Evidence>& items) {
  std::vector<v1::Evidence> out;
  std::map<std::pair<std::string, std::string>, size_t> index;
  auto add = [&](v1::Evidence e) {
    const v1::EventAggregate& a = e.event_aggregate();
    auto [it, fresh] =
        index.emplace(std::make_pair(a.channel(), events::AggregateKey(a)), out.size());
    if (fresh) {
      out.push_back(std::move(e));
      return;
    }
    v1::Evidence& kept = out[it->second];
    // The newest read names the origin.
    const bool newer = FromProto(a.last_seen()) > FromProto(kept.event_aggregate().last_seen());
    v1::EventAggregate combined =
        events::CombineAggregates(kept.event_aggregate(), e.event_aggregate());
    if (newer) {
      e.clear_event_aggregate();
      kept = std::move(e);
    }
    *kept.mutable_event_aggregate() = std::move(combined);
  };
  for (const v1::Evidence& e : items) {
    if (e.kind_case() == v1::Evidence::kEventAggregate) {
      add(e);
    } else if (e.kind_case() == v1::Evidence::kEvents) {
      // Records (an agent that does not aggregate): the window keeps aggregates only.
      for (v1::EventAggregate& a : events::AggregateEvents(e.events())) {
        v1::Evidence item = e;
        *item.mutable_event_aggregate() = std::move(a);
        add(std::move(item));
      }
    }
  }
  return out;
}

}  // namespace

int Store::LatestSchemaVersion() { return static_cast<int>(std::size(kMigrations)); }

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  // One collector per database: two would split the agents between them and page twice. The
  // lock is an flock on PATH.lock, held for the store's life and released by the kernel if the
  // process dies; it names the holder's pid.
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
  // A new database is created readable by its owner only: it holds the fleet's evidence and
  // the alert outbox (with what the sinks are sent). SQLite gives -wal and -shm the same mode.
  const int created = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (created >= 0) ::close(created);
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status s = SqliteError(db, rc, absl::StrCat("open ", path));
    sqlite3_close(db);
    ::close(lock_fd);
    return s;
  }
  if (sqlite3_db_readonly(db, "main") == 1) {
    sqlite3_close(db);
    ::close(lock_fd);
    return absl::PermissionDeniedError(absl::StrCat(
        "store: ", path, " opened read-only: the collector must write evidence and alerts"));
  }
  {
    absl::MutexLock lock(&caches_mu);
    Caches()[db] = std::make_unique<StatementCache>();
  }
  std::unique_ptr<Store> store(new Store(db, path));
  store->lock_fd_ = lock_fd;
  sqlite3_busy_timeout(db, 5000);
  RETURN_IF_ERROR(store->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"));
  RETURN_IF_ERROR(store->Migrate());
  return store;
}

Store::~Store() {
  {
    absl::MutexLock lock(&caches_mu);
    Caches().erase(db_);  // finalizes the cached statements: sqlite3_close needs none left
  }
  sqlite3_close(db_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

absl::Status Store::Exec(const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : "";
    sqlite3_free(err);
    return absl::InternalError(
        absl::StrCat("sqlite: ", path_, ": ", sqlite3_errstr(rc), " (code ", rc, "): ", msg));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> Store::SchemaVersion() {
  absl::MutexLock lock(&mu_);
  Statement st(db_, "PRAGMA user_version");
  RETURN_IF_ERROR(st.status("read schema version"));
  if (st.Step() != SQLITE_ROW) return SqliteError(db_, SQLITE_ERROR, "read schema version");
  return static_cast<int>(st.Int(0));
}

absl::Status Store::Migrate() {
  ASSIGN_OR_RETURN(int version, SchemaVersion());
  const int latest = LatestSchemaVersion();
  if (version > latest) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, ": schema version ", version, " is newer than this collector's (",
                     latest, "); refusing to open it with an older build"));
  }
  absl::MutexLock lock(&mu_);
  for (int v = version; v < latest; ++v) {
    RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    absl::Status s = Exec(kMigrations[v]);
    if (s.ok() && v + 1 == 5) s = MoveSnapshotEventsToWindowLocked();
    if (s.ok()) s = Exec(absl::StrCat("PRAGMA user_version = ", v + 1));
    if (!s.ok()) {
      Exec("ROLLBACK").IgnoreError();
      return absl::Status(s.code(), absl::StrCat("migration to schema ", v + 1, ": ", s.message()));
    }
    RETURN_IF_ERROR(Exec("COMMIT"));
  }
  return absl::OkStatus();
}

absl::Status Store::MoveSnapshotEventsToWindowLocked() {
  // Schema 4 kept events in each source's snapshot. Each becomes the first read of its keys,
  // received when the snapshot was, so a restart into the new schema loses no event.
  struct Old {
    std::string host, source;
    absl::Time received;
    v1::Evidence evidence;
  };
  std::vector<Old> old;
  {
    Statement st(db_, R"sql(
        SELECT host, source, received_at_unix_ns, payload FROM evidence
        WHERE kind IN ('events', 'event_aggregate') ORDER BY host, source, item)sql");
    RETURN_IF_ERROR(st.status("prepare read snapshot events"));
    int rc;
    while ((rc = st.Step()) == SQLITE_ROW) {
      Old o{st.Text(0), st.Text(1), absl::FromUnixNanos(st.Int(2)), {}};
      if (!o.evidence.ParseFromString(st.Text(3))) {
        spdlog::warn("{}: an old snapshot event of {} does not parse; dropped", path_, o.host);
        continue;
      }
      old.push_back(std::move(o));
    }
    if (rc != SQLITE_DONE) return SqliteError(db_, rc, "read snapshot events");
  }
  WindowStatements st(db_);
  RETURN_IF_ERROR(st.status());
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
    for (const v1::Evidence& e : EventReads(items)) {
      RETURN_IF_ERROR(
          MergeIntoEventWindow(db_, path_, st, old[i].host, old[i].source, received, e, {}));
    }
    i = j;
  }
  return Exec("DELETE FROM evidence WHERE kind IN ('events', 'event_aggregate')");
}

absl::Status Store::UpsertHost(const HostRecord& host) {
  absl::MutexLock lock(&mu_);
  Statement st(db_, R"sql(
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

absl::Status Store::TouchHost(const std::string& name, absl::Time last_seen) {
  absl::MutexLock lock(&mu_);
  Statement st(db_, "UPDATE hosts SET last_seen_unix_ns = ?2 WHERE name = ?1");
  RETURN_IF_ERROR(st.status("prepare touch host"));
  st.Bind(1, name);
  st.Bind(2, absl::ToUnixNanos(last_seen));
  return st.Run("touch host");
}

absl::Status Store::SaveClockEstimate(const std::string& name, const ClockEstimateValue& e) {
  absl::MutexLock lock(&mu_);
  Statement st(db_, R"sql(
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

absl::StatusOr<std::vector<HostRecord>> Store::LoadHosts() {
  absl::MutexLock lock(&mu_);
  Statement st(db_, R"sql(
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
          absl::StrCat(path_, ": hosts row '", st.Text(0), "': identity does not parse"));
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
  if (rc != SQLITE_DONE) return SqliteError(db_, rc, "load hosts");
  return out;
}

absl::Status Store::ReplaceSourceEvidence(const std::string& host, const std::string& source,
                                          const v1::SourceHealth& health, absl::Time received_at,
                                          const std::vector<v1::Evidence>& items,
                                          const EventWindowPolicy& window) {
  std::vector<const v1::Evidence*> snapshot;
  for (const v1::Evidence& e : items) {
    if (!IsEventKind(e)) snapshot.push_back(&e);
  }
  const std::vector<v1::Evidence> aggregates = EventReads(items);
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto run = [&]() -> absl::Status {
    {
      Statement del(db_, "DELETE FROM evidence WHERE host = ?1 AND source = ?2");
      RETURN_IF_ERROR(del.status("prepare delete evidence"));
      del.Bind(1, host);
      del.Bind(2, source);
      RETURN_IF_ERROR(del.Run("delete evidence"));
    }
    if (!aggregates.empty()) {
      WindowStatements st(db_);
      RETURN_IF_ERROR(st.status());
      for (const v1::Evidence& e : aggregates) {
        RETURN_IF_ERROR(MergeIntoEventWindow(db_, path_, st, host, source, received_at, e, window));
      }
    }
    {
      Statement prune(db_, "DELETE FROM event_window WHERE last_seen_collector_unix_ns < ?1");
      RETURN_IF_ERROR(prune.status("prepare prune event window"));
      prune.Bind(1, absl::ToUnixNanos(window.since));
      RETURN_IF_ERROR(prune.Run("prune event window"));
    }
    Statement st(db_, R"sql(
        INSERT INTO evidence (host, source, item, kind, subject, received_at_unix_ns, payload)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7))sql");
    RETURN_IF_ERROR(st.status("prepare put evidence"));
    for (size_t i = 0; i < snapshot.size(); ++i) {
      const v1::Evidence& e = *snapshot[i];
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
    Statement h(db_, R"sql(
        INSERT OR REPLACE INTO source_health (host, source, state, reason, received_at_unix_ns)
        VALUES (?1, ?2, ?3, ?4, ?5))sql");
    RETURN_IF_ERROR(h.status("prepare source health"));
    h.Bind(1, host);
    h.Bind(2, source);
    h.Bind(3, v1::SourceHealth::State_Name(health.state()));
    h.Bind(4, health.reason());
    h.Bind(5, absl::ToUnixNanos(received_at));
    return h.Run("source health");
  };
  absl::Status s = run();
  if (!s.ok()) {
    Exec("ROLLBACK").IgnoreError();
    return s;
  }
  return Exec("COMMIT");
}

absl::StatusOr<std::vector<v1::Evidence>> Store::LoadEvidence(const std::string& host) {
  absl::MutexLock lock(&mu_);
  Statement st(db_, host.empty() ? "SELECT payload, host FROM evidence ORDER BY host, source, item"
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
          absl::StrCat(path_, ": evidence row of ", st.Text(1), " does not parse"));
    }
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return SqliteError(db_, rc, "load evidence");
  return out;
}

absl::StatusOr<std::vector<v1::Evidence>> Store::LoadEventWindow(const std::string& host,
                                                                 absl::Time since) {
  absl::MutexLock lock(&mu_);
  Statement st(
      db_,
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
      spdlog::error("{}: an event_window row of {} does not parse; skipped", path_, st.Text(1));
      continue;
    }
    // The window's item is as recent as the last batch that reported it.
    *e.mutable_received_at() = ToProto(absl::FromUnixNanos(st.Int(2)));
    *e.mutable_observed_host_time() = ToProto(absl::FromUnixNanos(st.Int(3)));
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return SqliteError(db_, rc, "load event window");
  return out;
}

absl::StatusOr<int64_t> Store::CountEventWindow(const std::string& host) {
  return CountRowsOfHost("event_window", host);
}

absl::StatusOr<std::vector<SourceHealthRecord>> Store::LoadSourceHealth() {
  absl::MutexLock lock(&mu_);
  Statement st(db_,
               "SELECT host, source, state, reason, received_at_unix_ns FROM source_health "
               "ORDER BY host, source");
  RETURN_IF_ERROR(st.status("prepare load source health"));
  std::vector<SourceHealthRecord> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    out.push_back({st.Text(0), st.Text(1), st.Text(2), st.Text(3), absl::FromUnixNanos(st.Int(4))});
  }
  if (rc != SQLITE_DONE) return SqliteError(db_, rc, "load source health");
  return out;
}

absl::StatusOr<int64_t> Store::CountEvidence(const std::string& host) {
  return CountRowsOfHost("evidence", host);
}

absl::StatusOr<int64_t> Store::CountRowsOfHost(const char* table, const std::string& host) {
  absl::MutexLock lock(&mu_);
  Statement st(db_, absl::StrCat("SELECT COUNT(*) FROM ", table, " WHERE host = ?1").c_str());
  RETURN_IF_ERROR(st.status(absl::StrCat("prepare count ", table)));
  st.Bind(1, host);
  if (st.Step() != SQLITE_ROW) return SqliteError(db_, SQLITE_ERROR, absl::StrCat("count ", table));
  return st.Int(0);
}

absl::Status Store::CommitDiagnoses(const std::vector<KeptDiagnosisRecord>& upserts,
                                    const std::vector<std::pair<std::string, std::string>>& deleted,
                                    const std::vector<OutboxRecord>& enqueue) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto run = [&]() -> absl::Status {
    for (const auto& [cause, host] : deleted) {
      Statement del(db_, "DELETE FROM kept_diagnoses WHERE cause = ?1 AND blamed_host = ?2");
      RETURN_IF_ERROR(del.status("prepare delete kept diagnosis"));
      del.Bind(1, cause);
      del.Bind(2, host);
      RETURN_IF_ERROR(del.Run("delete kept diagnosis"));
    }
    for (const KeptDiagnosisRecord& k : upserts) {
      Statement st(db_, R"sql(
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
      Statement st(db_, R"sql(
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
  };
  absl::Status s = run();
  if (!s.ok()) {
    Exec("ROLLBACK").IgnoreError();
    return s;
  }
  return Exec("COMMIT");
}

absl::StatusOr<std::vector<KeptDiagnosisRecord>> Store::LoadKeptDiagnoses() {
  absl::MutexLock lock(&mu_);
  Statement st(db_, R"sql(
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
  if (rc != SQLITE_DONE) return SqliteError(db_, rc, "load kept diagnoses");
  return out;
}

absl::StatusOr<std::optional<OutboxRecord>> Store::OutboxHead(const std::string& sink) {
  absl::MutexLock lock(&mu_);
  Statement st(db_, R"sql(
      SELECT id, sink, alert_key, action, alert, created_unix_ns, attempts,
             next_attempt_unix_ns, last_error
      FROM alert_outbox WHERE sink = ?1 ORDER BY id LIMIT 1)sql");
  RETURN_IF_ERROR(st.status("prepare outbox head"));
  st.Bind(1, sink);
  const int rc = st.Step();
  if (rc == SQLITE_DONE) return std::optional<OutboxRecord>();
  if (rc != SQLITE_ROW) return SqliteError(db_, rc, "outbox head");
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

absl::Status Store::OutboxDone(int64_t id) {
  absl::MutexLock lock(&mu_);
  Statement st(db_, "DELETE FROM alert_outbox WHERE id = ?1");
  RETURN_IF_ERROR(st.status("prepare outbox done"));
  st.Bind(1, id);
  return st.Run("outbox done");
}

absl::Status Store::OutboxRetryLater(int64_t id, int attempts, absl::Time next_attempt,
                                     const std::string& last_error) {
  absl::MutexLock lock(&mu_);
  Statement st(db_, R"sql(
      UPDATE alert_outbox SET attempts = ?2, next_attempt_unix_ns = ?3, last_error = ?4
      WHERE id = ?1)sql");
  RETURN_IF_ERROR(st.status("prepare outbox retry"));
  st.Bind(1, id);
  st.Bind(2, int64_t{attempts});
  st.Bind(3, absl::ToUnixNanos(next_attempt));
  st.Bind(4, last_error);
  return st.Run("outbox retry");
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> Store::OutboxPending() {
  absl::MutexLock lock(&mu_);
  Statement st(db_, "SELECT sink, COUNT(*) FROM alert_outbox GROUP BY sink ORDER BY sink");
  RETURN_IF_ERROR(st.status("prepare outbox pending"));
  std::vector<std::pair<std::string, int64_t>> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back({st.Text(0), st.Int(1)});
  if (rc != SQLITE_DONE) return SqliteError(db_, rc, "outbox pending");
  return out;
}

}  // namespace kerbside::collector
