#ifndef KERBSIDE_AGENT_PLATFORM_EVENT_LOG_H_
#define KERBSIDE_AGENT_PLATFORM_EVENT_LOG_H_

// The Windows event log, read incrementally: a subscription in pull mode to one structured XML
// QueryList, started after a bookmark. Windows: EvtSubscribe/EvtNext/EvtRender (wevtapi);
// elsewhere there is no such log and Subscribe says so.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace kerbside::agent::platform {

struct EventLogRead {
  // Each event as EvtRenderEventXml renders it (one <Event> element), UTF-8.
  std::vector<std::string> events_xml;
  // The bookmark after the last event of events_xml (EvtRenderBookmark); empty when none was
  // read.
  std::string bookmark_xml;
  // Stopped at max_events with more waiting.
  bool more = false;
};

class EventLogSubscription {
 public:
  virtual ~EventLogSubscription() = default;
  // The events that arrived since the last Read (or the start), at most `max_events`.
  virtual absl::StatusOr<EventLogRead> Read(size_t max_events) = 0;
  // Said once, at the first Read, by a subscription that could not start exactly after its
  // bookmark (the log was overwritten past it): events in between are lost. Empty otherwise.
  virtual std::string gap() const = 0;
};

// `bookmark_xml` empty: from the oldest record the query matches. A bookmark that does not
// parse: INVALID_ARGUMENT (the caller decides to start afresh).
using EventLogSubscriber = std::function<absl::StatusOr<std::unique_ptr<EventLogSubscription>>(
    const std::string& query_xml, const std::string& bookmark_xml)>;

// This platform's event log (event_log_win.cc, event_log_posix.cc).
absl::StatusOr<std::unique_ptr<EventLogSubscription>> SubscribeEventLog(
    const std::string& query_xml, const std::string& bookmark_xml);
// Whether this platform has one ("event_log = auto" turns the source on where it does).
bool HasEventLog();

}  // namespace kerbside::agent::platform

#endif  // KERBSIDE_AGENT_PLATFORM_EVENT_LOG_H_
