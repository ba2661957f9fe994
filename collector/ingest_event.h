#ifndef KERBSIDE_COLLECTOR_INGEST_EVENT_H_
#define KERBSIDE_COLLECTOR_INGEST_EVENT_H_

#include <string>

namespace kerbside::collector {

// What the agent service tells its observers (metrics, the keeper's wake-up) about each stream,
// without them depending on the service.
struct IngestEvent {
  enum class Kind { kConnected, kBatchStored, kBatchFailed, kClockSample };
  Kind kind;
  std::string host;
  std::string source;  // batches only
  int items = 0;       // batches only
};

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_INGEST_EVENT_H_
