#ifndef KERBSIDE_COMMON_EVENTS_EVENT_AGGREGATE_H_
#define KERBSIDE_COMMON_EVENTS_EVENT_AGGREGATE_H_

#include <cstddef>
#include <string>
#include <vector>

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
// Pure: events in, aggregates out.
std::vector<v1::EventAggregate> AggregateEvents(const v1::EventBatch& batch,
                                                const AggregateLimits& limits = {});

// The identity of an aggregate's key (provider, event id, key facts) as one string, the same for
// equal keys whatever the order of the facts map. For storage keys, not for display.
std::string AggregateKey(const v1::EventAggregate& aggregate);

// Two snapshots of one key, as a source sends them over time (the same exported file re-read,
// a grown one, a rotated one), merged into one: first/last seen and examples span both, distinct
// values are the bounded union. Occurrences are counted once where that can be known: snapshots
// that do not overlap in time add up; when one's time range contains the other's, it already
// holds the other's occurrences and the larger count is kept; a partial overlap keeps the larger
// count and marks it a lower bound. Pure. `kept` and `fresh` must have the same AggregateKey.
v1::EventAggregate MergeAggregates(const v1::EventAggregate& kept, const v1::EventAggregate& fresh,
                                   const AggregateLimits& limits = {});

// The other way, for readers that want records: each aggregate's examples as records.
v1::EventBatch ExamplesOf(const v1::EventAggregate& aggregate);

}  // namespace kerbside::events

#endif  // KERBSIDE_COMMON_EVENTS_EVENT_AGGREGATE_H_
