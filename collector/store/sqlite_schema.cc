#include "collector/store/sqlite_schema.h"

#include <sqlite3.h>

#include <iterator>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace kerbside::collector::sqlite {
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

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(std::size(kMigrations)); }

absl::StatusOr<int> SchemaVersion(Connection& conn) {
  Statement st(conn, "PRAGMA user_version");
  RETURN_IF_ERROR(st.status("read schema version"));
  if (st.Step() != SQLITE_ROW) return Error(conn.db(), SQLITE_ERROR, "read schema version");
  return static_cast<int>(st.Int(0));
}

absl::Status Migrate(Connection& conn, const MigrationHook& hook) {
  ASSIGN_OR_RETURN(int version, SchemaVersion(conn));
  const int latest = LatestSchemaVersion();
  if (version > latest) {
    return absl::FailedPreconditionError(
        absl::StrCat(conn.path(), ": schema version ", version, " is newer than this collector's (",
                     latest, "); refusing to open it with an older build"));
  }
  for (int v = version; v < latest; ++v) {
    absl::Status s = conn.InTransaction([&]() -> absl::Status {
      RETURN_IF_ERROR(conn.Exec(kMigrations[v]));
      if (hook) RETURN_IF_ERROR(hook(v + 1));
      return conn.Exec(absl::StrCat("PRAGMA user_version = ", v + 1));
    });
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("migration to schema ", v + 1, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace kerbside::collector::sqlite
