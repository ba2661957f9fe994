// Any bytes: the parser fails with a "fuzz..." error or returns a value that holds its
// invariants; it never crashes, hangs or leaks.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/match.h"
#include "common/events/event_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = kerbside::events::ParseEventsXml(text, "fuzz");
  if (!parsed.ok()) {
    if (!absl::StartsWith(parsed.status().message(), "fuzz")) std::abort();
    return 0;
  }
  for (const auto& event : parsed->events()) {
    if (event.event_id() > 0xFFFF || event.source_line() < 1) std::abort();
  }
  return 0;
}
