#ifndef KERBSIDE_COMMON_EVENTS_EVENT_AGGREGATE_H_
#define KERBSIDE_COMMON_EVENTS_EVENT_AGGREGATE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "common/events/event_view.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::events {

struct AggregateLimits {
  size_t max_examples = 2;          // the first and the last occurrence
  size_t max_distinct_values = 16;  // per field
  size_t max_value_bytes = 256;     // longer values are cut (a message text, a hex blob)
};

// Groups events by key — (provider, event id, the extracted facts) — into one aggregate per
// key: count, first and last seen (TimeCreated, the host's clock), the key facts, a bounded set
// of distinct values per field and a bounded set of examples (first and last). An event source
// that repeats thousands of times a minute (1035 on every SMTP retry) becomes one item per key,
// however many times it fired. Aggregates come out in order of their key's first appearance.
//
// Events arrive as views one at a time, each with a caller's tag; the aggregator copies only the
// keys and the distinct values it keeps, and asks for the records of its examples by tag at the
// end. So a reader never builds a record per event (issue 17), and the events need not all be
// in memory at once.
class EventAggregator {
 public:
  explicit EventAggregator(const AggregateLimits& limits = {});
  ~EventAggregator();
  EventAggregator(const EventAggregator&) = delete;
  EventAggregator& operator=(const EventAggregator&) = delete;

  // `event` need only live for the call.
  void Add(const EventView& event, uint64_t tag);
  // The aggregates; `record_of(tag)` gives the record of an event Add was given `tag` with, for
  // the examples. Leaves the aggregator empty.
  std::vector<v1::EventAggregate> Finish(
      absl::FunctionRef<v1::EventRecord(uint64_t tag)> record_of);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The same for records in memory. Pure: events in, aggregates out.
std::vector<v1::EventAggregate> AggregateEvents(const v1::EventBatch& batch,
                                                const AggregateLimits& limits = {});

// The identity of an aggregate's key (provider, event id, key facts) as one string, the same for
// equal keys whatever the order of the facts map. For storage keys, not for display.
std::string AggregateKey(const v1::EventAggregate& aggregate);

// Two aggregates of one key from exports read at the same time (a log and its rotated copy,
// two files of one channel), as one: first/last seen, record ids and examples span both,
// distinct values are the bounded union. Exports whose ranges (record ids when both know them,
// else times) do not overlap add up; when one's range holds the other's, it holds its
// occurrences too and the larger count stands; a partial overlap keeps the larger count and
// marks it a lower bound. Pure; `a` and `b` must have the same AggregateKey.
v1::EventAggregate CombineAggregates(const v1::EventAggregate& a, const v1::EventAggregate& b,
                                     const AggregateLimits& limits = {});

// `fresh`'s time span, record ids, examples and distinct values united into `kept`'s, counts
// untouched (the caller decides them). Pure.
v1::EventAggregate UniteDetails(const v1::EventAggregate& kept, const v1::EventAggregate& fresh,
                                const AggregateLimits& limits = {});

// How two aggregates' ranges relate: by record ids when both have them, else by time. Record ids
// that say the ranges overlap while the times are apart (a log cleared, its ids restarted)
// yield to the times.
enum class RangeRelation {
  kSame,        // equal ranges
  kAfter,       // b starts after a ends
  kBefore,      // b ends before a starts
  kBContainsA,  // b's range holds a's (and is larger)
  kBTrailsA,    // b ends where a ends but starts later: a's oldest occurrences left b
  kAContainsB,  // a's range holds b's and b ends earlier

  kBSlidForward,  // b starts inside a and ends after it
  kBSlidBack,     // b starts before a and ends inside it
};
RangeRelation CompareRanges(const v1::EventAggregate& a, const v1::EventAggregate& b);

// The other way, for readers that want records: each aggregate's examples as records.
v1::EventBatch ExamplesOf(const v1::EventAggregate& aggregate);

}  // namespace kerbside::events

#endif  // KERBSIDE_COMMON_EVENTS_EVENT_AGGREGATE_H_
