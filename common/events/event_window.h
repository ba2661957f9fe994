#ifndef KERBSIDE_COMMON_EVENTS_EVENT_WINDOW_H_
#define KERBSIDE_COMMON_EVENTS_EVENT_WINDOW_H_

#include <cstdint>

#include "common/events/event_aggregate.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::events {

// One event key in the collector's window of recent events. A source re-reads an exported log
// every interval: the same export again, the same one grown, a newer one after the log rotated,
// or one whose range slid forward. Each read is compared with the last one (`latest`), not with
// the running total, so a grown export replaces its earlier read instead of adding to it, and
// occurrences that fell out of view are carried.
struct WindowEntry {
  int64_t carried = 0;  // occurrences of earlier exports no longer in view
  bool carried_is_lower_bound = false;
  v1::EventAggregate latest;  // the last export's aggregate of this key
  v1::EventAggregate total;   // what the window shows: count = carried + latest.count
};

// The first read of a key.
WindowEntry StartWindow(const v1::EventAggregate& fresh);

// The next read of a key, `fresh` (ranges by record ids when both reads have them, else by
// time):
//  - same range, or `fresh` holds `latest`'s (grown): nothing carried;
//  - `fresh` starts after `latest` ends (rotated): all of `latest` carried;
//  - `fresh` lies inside `latest` (the start moved, nothing new): the difference carried;
//  - `fresh` slid forward past part of `latest`: at least the difference carried, a lower bound;
//  - `fresh` is older than `latest` (an old copy came back): not counted again; a lower bound.
// Pure. `fresh` must have `kept.latest`'s AggregateKey.
WindowEntry AdvanceWindow(const WindowEntry& kept, const v1::EventAggregate& fresh,
                          const AggregateLimits& limits = {});

}  // namespace kerbside::events

#endif  // KERBSIDE_COMMON_EVENTS_EVENT_WINDOW_H_
