#ifndef KERBSIDE_COLLECTOR_STORE_SQLITE_EVENT_WINDOW_H_
#define KERBSIDE_COLLECTOR_STORE_SQLITE_EVENT_WINDOW_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "collector/store/records.h"
#include "collector/store/sqlite_connection.h"
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
  Connection& conn_;
  Statement read_, put_, touch_;
};

}  // namespace kerbside::collector::sqlite

#endif  // KERBSIDE_COLLECTOR_STORE_SQLITE_EVENT_WINDOW_H_
