#ifndef KERBSIDE_COLLECTOR_STORE_SQLITE_EVENT_WINDOW_H_
#define KERBSIDE_COLLECTOR_STORE_SQLITE_EVENT_WINDOW_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "collector/store/records.h"
#include "collector/store/sqlite_connection.h"
#include "common/events/event_window.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::collector::sqlite {

// Writes reads into the event_window table: the SQL side of common/events/event_window.h,
// whose pure functions decide what each read does to a key. Its statements are prepared once
// per batch (a batch may carry hundreds of keys); the caller holds the transaction.
class EventWindowWriter {
 public:
  explicit EventWindowWriter(Connection& conn);
  absl::Status status() const;
  // Advances one key of the window with the batch's read of it (`item`: an event aggregate,
  // one per key: events::CombineBatchReads).
  absl::Status Merge(const std::string& host, const std::string& source, absl::Time received_at,
                     const v1::Evidence& item, const EventWindowPolicy& window);

 private:
  // One key of the window and the read that advances it.
  struct Row {
    const std::string& host;
    const std::string& source;
    const std::string& channel;
    std::string key;  // events::AggregateKey
    const std::string& origin;
    absl::Time received_at;  // collector clock
    absl::Time observed;     // the host's clock, its read
  };
  static void BindKey(Statement& st, const Row& row);
  // The same read again: only its times move.
  absl::Status Touch(const Row& row, absl::Time last_seen_collector);
  absl::Status Put(const Row& row, const events::WindowEntry& entry, const v1::Evidence& shown,
                   absl::Time last_seen_collector, absl::Time first_received);

  Connection& conn_;
  Statement read_, put_, touch_;
};

}  // namespace kerbside::collector::sqlite

#endif  // KERBSIDE_COLLECTOR_STORE_SQLITE_EVENT_WINDOW_H_
