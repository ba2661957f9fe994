#include "collector/store/sqlite_event_window.h"

#include <sqlite3.h>

#include "common/events/event_aggregate.h"
#include "common/events/event_window.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace kerbside::collector::sqlite {

EventWindowWriter::EventWindowWriter(Connection& conn)
    : conn_(conn),
      read_(conn, R"sql(
          SELECT latest, carried_occurrences, carried_is_lower_bound, payload,
                 first_received_unix_ns, carried_span, last_seen_host_unix_ns
          FROM event_window
          WHERE host = ?1 AND source = ?2 AND channel = ?3 AND event_key = ?4)sql"),
      put_(conn, R"sql(
          INSERT OR REPLACE INTO event_window
            (host, source, channel, event_key, origin, provider, event_id, occurrences,
             carried_occurrences, carried_is_lower_bound, first_seen_host_unix_ns,
             last_seen_host_unix_ns, last_seen_collector_unix_ns, first_received_unix_ns,
             last_received_unix_ns, latest, payload, carried_span, observed_host_unix_ns)
          VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                  ?17, ?18, ?19))sql"),
      touch_(conn, R"sql(
          UPDATE event_window SET origin = ?5, last_seen_collector_unix_ns = ?6,
                                  last_received_unix_ns = ?7, observed_host_unix_ns = ?8
          WHERE host = ?1 AND source = ?2 AND channel = ?3 AND event_key = ?4)sql") {}

absl::Status EventWindowWriter::status() const {
  RETURN_IF_ERROR(read_.status("prepare read event window"));
  RETURN_IF_ERROR(put_.status("prepare put event window"));
  return touch_.status("prepare touch event window");
}

absl::Status EventWindowWriter::Merge(const std::string& host, const std::string& source,
                                      absl::Time received_at, const v1::Evidence& item,
                                      const EventWindowPolicy& window) {
  const v1::EventAggregate& fresh = item.event_aggregate();
  const Row row{host,
                source,
                fresh.channel(),
                events::AggregateKey(fresh),
                item.origin(),
                received_at,
                item.has_observed_host_time() ? FromProto(item.observed_host_time()) : received_at};
  events::WindowEntry entry;
  absl::Time first_received = received_at;
  read_.Reset();
  BindKey(read_, row);
  const int rc = read_.Step();
  if (rc == SQLITE_ROW) {
    events::WindowEntry kept;
    const bool latest_ok = kept.latest.ParseFromString(read_.Text(0));
    // The steady state: the same export read again, nothing carried. Only the times move, so
    // the row is touched, not rebuilt (the bench: tests/bench/event_window_bench.cc).
    if (latest_ok && read_.Int(1) == 0 &&
        events::CompareRanges(kept.latest, fresh) == events::RangeRelation::kSame &&
        kept.latest.count() == fresh.count() &&
        kept.latest.count_is_lower_bound() == fresh.count_is_lower_bound()) {
      const absl::Time last_seen_collector = events::LastSeenOnCollectorClock(
          absl::FromUnixNanos(read_.Int(6)), received_at, window.host_offset);
      if (last_seen_collector < window.since) return absl::OkStatus();
      return Touch(row, last_seen_collector);
    }
    v1::Evidence kept_total;
    if (!latest_ok || !kept_total.ParseFromString(read_.Text(3)) ||
        !kept_total.has_event_aggregate() || !kept.carried_span.ParseFromString(read_.Text(5))) {
      // Unreadable: start the key afresh rather than refuse the host's batches forever.
      spdlog::error("{}: event_window row {}/{}/{} does not parse; starting it again", conn_.path(),
                    host, source, fresh.channel());
      entry = events::StartWindow(fresh);
    } else {
      kept.carried = read_.Int(1);
      kept.carried_is_lower_bound = read_.Int(2) != 0;
      kept.total = kept_total.event_aggregate();
      entry = events::AdvanceWindow(kept, fresh);
      first_received = absl::FromUnixNanos(read_.Int(4));
    }
  } else if (rc == SQLITE_DONE) {
    entry = events::StartWindow(fresh);
  } else {
    return Error(conn_.db(), rc, "read event window");
  }
  const events::CutResult cut = events::CutToWindow(entry, received_at, window);
  if (!cut.keep) return absl::OkStatus();
  v1::Evidence shown = item;
  *shown.mutable_event_aggregate() = entry.total;
  return Put(row, entry, shown, cut.last_seen_collector, first_received);
}

void EventWindowWriter::BindKey(Statement& st, const Row& row) {
  st.Bind(1, row.host);
  st.Bind(2, row.source);
  st.Bind(3, row.channel);
  st.Bind(4, row.key);
}

absl::Status EventWindowWriter::Touch(const Row& row, absl::Time last_seen_collector) {
  touch_.Reset();
  BindKey(touch_, row);
  touch_.Bind(5, row.origin);
  touch_.Bind(6, absl::ToUnixNanos(last_seen_collector));
  touch_.Bind(7, absl::ToUnixNanos(row.received_at));
  touch_.Bind(8, absl::ToUnixNanos(row.observed));
  return touch_.Run("touch event window");
}

absl::Status EventWindowWriter::Put(const Row& row, const events::WindowEntry& entry,
                                    const v1::Evidence& shown, absl::Time last_seen_collector,
                                    absl::Time first_received) {
  const v1::EventAggregate& a = entry.total;
  put_.Reset();
  BindKey(put_, row);
  put_.Bind(5, row.origin);
  put_.Bind(6, a.provider());
  put_.Bind(7, static_cast<int64_t>(a.event_id()));
  put_.Bind(8, a.count());
  put_.Bind(9, entry.carried);
  put_.Bind(10, int64_t{entry.carried_is_lower_bound ? 1 : 0});
  put_.Bind(11, absl::ToUnixNanos(FromProto(a.first_seen())));
  put_.Bind(12, absl::ToUnixNanos(FromProto(a.last_seen())));
  put_.Bind(13, absl::ToUnixNanos(last_seen_collector));
  put_.Bind(14, absl::ToUnixNanos(first_received));
  put_.Bind(15, absl::ToUnixNanos(row.received_at));
  put_.BindBlob(16, entry.latest.SerializeAsString());
  put_.BindBlob(17, shown.SerializeAsString());
  put_.BindBlob(18, entry.carried_span.SerializeAsString());
  put_.Bind(19, absl::ToUnixNanos(row.observed));
  return put_.Run("put event window");
}

}  // namespace kerbside::collector::sqlite
