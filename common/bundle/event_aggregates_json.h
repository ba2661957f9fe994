#ifndef KERBSIDE_COMMON_BUNDLE_EVENT_AGGREGATES_JSON_H_
#define KERBSIDE_COMMON_BUNDLE_EVENT_AGGREGATES_JSON_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kerbside/v1/evidence.pb.h"
#include "nlohmann/json.hpp"

namespace kerbside::bundle {

// hosts/<NAME>/event-aggregates-<ANY>.json (format "kerbside-event-aggregates/1"): events as the
// collector's window keeps them, one aggregate per event key. An addition to DESIGN.md §5 so an
// exported live fleet keeps each key's occurrence count and time span, which its examples alone
// (first and last occurrence) do not carry. The examples stay in the events' own format:
//   {"format":"kerbside-event-aggregates/1",
//    "aggregates":[{"provider":"MSExchangeFrontEndTransport","event_id":1035,
//                   "channel":"Application","count":3412,"count_is_lower_bound":false,
//                   "first_seen":"2026-11-26T08:00:00Z","last_seen":"2026-11-26T09:59:58Z",
//                   "first_record_id":48211,"last_record_id":51622,
//                   "distinct_values":[{"field":"#0","values":["..."],"truncated":false}],
//                   "examples_xml":"<Event xmlns=...>...</Event>\n<Event ...>...</Event>\n"}]}
// first_seen/last_seen are on the host's clock; the record ids are the smallest and largest
// EventRecordID of the occurrences (0: not known). Key facts are not written: the loader takes
// them from the examples, as the parser extracts them from any event.
nlohmann::ordered_json EventAggregatesToJson(const std::vector<v1::EventAggregate>& aggregates);
absl::StatusOr<std::vector<v1::EventAggregate>> ParseEventAggregatesJson(absl::string_view text,
                                                                         absl::string_view file);

}  // namespace kerbside::bundle

#endif  // KERBSIDE_COMMON_BUNDLE_EVENT_AGGREGATES_JSON_H_
