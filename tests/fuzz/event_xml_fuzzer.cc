// Any bytes: the parser fails with a "fuzz..." error or returns a value that holds its
// invariants; it never crashes, hangs or leaks. The same bytes go the agent's way too: views,
// aggregated, records only for the examples; counts add up to the events read.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/match.h"
#include "common/events/event_aggregate.h"
#include "common/events/event_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = kerbside::events::ParseEventsXml(text, "fuzz");
  kerbside::events::EventViews views;
  const absl::Status viewed = views.Parse(text, "fuzz");
  if (viewed.ok() != parsed.ok()) std::abort();
  if (!parsed.ok()) {
    if (!absl::StartsWith(parsed.status().message(), "fuzz")) std::abort();
    if (!views.events().empty()) std::abort();
    return 0;
  }
  for (const auto& event : parsed->events()) {
    if (event.event_id() > 0xFFFF || event.source_line() < 1) std::abort();
  }
  if (views.events().size() != static_cast<size_t>(parsed->events_size())) std::abort();
  kerbside::events::EventAggregator aggregator;
  for (size_t i = 0; i < views.events().size(); ++i) aggregator.Add(views.events()[i], i);
  int64_t total = 0;
  for (const auto& a : aggregator.Finish([&](uint64_t tag) {
         if (tag >= static_cast<uint64_t>(parsed->events_size())) std::abort();
         return parsed->events(static_cast<int>(tag));
       })) {
    if (a.count() < 1 || a.examples_size() < 1 || a.examples_size() > 2) std::abort();
    total += a.count();
  }
  if (total != parsed->events_size()) std::abort();
  return 0;
}
