#ifndef KERBSIDE_COLLECTOR_INGEST_EVENT_H_
#define KERBSIDE_COLLECTOR_INGEST_EVENT_H_

#include <cstdint>
#include <string>

namespace kerbside::collector {

// What the agent service tells its observers (metrics, the keeper's wake-up) about each stream,
// without them depending on the service.
struct IngestEvent {
  enum class Kind { kConnected, kBatchStored, kBatchFailed, kClockSample, kInventorySent };
  Kind kind;
  std::string host;
  std::string source;  // batches: the source; inventories: "full" or "delta"
  int items = 0;       // batches: evidence items; inventories: hosts listed
  int64_t bytes = 0;   // inventories: the CollectorMessage's encoded size
};

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_INGEST_EVENT_H_
