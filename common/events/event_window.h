#ifndef KERBSIDE_COMMON_EVENTS_EVENT_WINDOW_H_
#define KERBSIDE_COMMON_EVENTS_EVENT_WINDOW_H_

#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "common/events/event_aggregate.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::events {

// One event key in the collector's window of recent events. A source re-reads an exported log
// every interval: the same export again, the same one grown, a newer one after the log rotated,
// one whose range slid forward, or a read that lost a file for a moment. Each read is compared
// with the last one (`latest`), not with the running total, so a grown export replaces its
// earlier read instead of adding to it; occurrences that fell out of view are carried, with
// their span, so they are not counted twice if a later read shows them again.
struct WindowEntry {
  int64_t carried = 0;  // occurrences of earlier reads no longer in view
  bool carried_is_lower_bound = false;
  // The span (times, record ids) the carried occurrences came from; meaningful when carried > 0.
  v1::EventAggregate carried_span;
  v1::EventAggregate latest;  // the last complete read of this key
  v1::EventAggregate total;   // what the window shows: count = carried + latest.count
};

// The first read of a key.
WindowEntry StartWindow(const v1::EventAggregate& fresh);

// The next read of a key, `fresh` (ranges by record ids when both reads have them, else by
// time; see CompareRanges):
//  - same range, or `fresh` holds `latest`'s (grown): nothing carried;
//  - `fresh` starts after `latest` ends (rotated): all of `latest` carried;
//  - `fresh` ends where `latest` ends but starts later (the oldest fell out): exactly the
//    difference carried;
//  - `fresh` slid forward past part of `latest`: at least the difference carried, a lower bound;
//  - `fresh` ends before `latest` ends (a log loses its oldest events, never its newest: a
//    partial read, a file missing for a moment), or is older than `latest` (an old copy back):
//    ignored, and `latest` stands;
//  - `fresh` shows carried occurrences again: they are no longer carried (all of them when
//    `fresh` covers their span; else none, and the count is a lower bound, never a double
//    count).
// Pure. `fresh` must have `kept.latest`'s AggregateKey.
WindowEntry AdvanceWindow(const WindowEntry& kept, const v1::EventAggregate& fresh,
                          const AggregateLimits& limits = {});

// Drops carried occurrences whose span ended before `cutoff` (the host's clock): they are older
// than the window. The total then starts where `latest` starts.
void ForgetCarriedBefore(WindowEntry& entry, absl::Time cutoff);

// How long the collector keeps a key: the window's start on the collector's clock, and the
// host's clock against it to place host-stamped occurrences.
struct WindowCut {
  // Keys last seen before this instant (collector clock) are outside the window.
  absl::Time since = absl::InfinitePast();
  // The host's clock minus the collector's: positive = host ahead; zero when not measured.
  absl::Duration host_offset;
};

// A key's last occurrence on the collector's clock: its host-clock time `last_seen_host` moved by
// the host's offset, but never after `received_at` (a clock that was ahead cannot make a key
// outlive the window); without a time of its own (the epoch), when it was received.
absl::Time LastSeenOnCollectorClock(absl::Time last_seen_host, absl::Time received_at,
                                    absl::Duration host_offset);

// The window's cut applied to `entry` after a read received at `received_at`: carried
// occurrences older than the window are forgotten (the cut-off on the host's clock), and the
// key is kept only while its last occurrence is inside the window. Pure.
struct CutResult {
  bool keep = false;
  absl::Time last_seen_collector;  // LastSeenOnCollectorClock of the entry's total
};
CutResult CutToWindow(WindowEntry& entry, absl::Time received_at, const WindowCut& cut);

// A batch's events as one read per (channel, event key), in first-seen order of the keys:
// records (an agent that does not aggregate) aggregated, and the aggregates of several files
// of one channel (a log and its rotated copy) combined, so a key is advanced once per batch and
// a copy is not counted twice. The newest read names the origin. Items that are not events are
// left out. Pure.
std::vector<v1::Evidence> CombineBatchReads(const std::vector<v1::Evidence>& items);

}  // namespace kerbside::events

#endif  // KERBSIDE_COMMON_EVENTS_EVENT_WINDOW_H_
