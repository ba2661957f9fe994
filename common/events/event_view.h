#ifndef KERBSIDE_COMMON_EVENTS_EVENT_VIEW_H_
#define KERBSIDE_COMMON_EVENTS_EVENT_VIEW_H_

// One Windows event record as views into text someone else owns: the parsed XML (EventViews in
// event_xml.h) or an EventRecord (ViewOf). The agent reads and aggregates events through these
// and builds an EventRecord only for the few it sends as examples: a record per event cost four
// times the XML parse itself (issue 17's event XML row).

#include <cstddef>
#include <cstdint>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::events {

struct FieldView {
  absl::string_view name;  // empty for a positional <Data>
  absl::string_view value;
};

// The same meaning as EventRecord's fields (event_xml.h lists them); every view is valid as long
// as what it was read from.
struct EventView {
  absl::string_view provider;
  absl::string_view event_source_name;
  uint32_t event_id = 0;  // masked with 0xFFFF
  uint32_t qualifiers = 0;
  int32_t level = 0;
  absl::string_view channel;
  absl::string_view computer;
  uint64_t record_id = 0;
  bool has_time_created = false;
  absl::Time time_created;  // meaningful when has_time_created
  // A typical Security-Auditing event has 11 <Data>; a Kerberos client one 11, 1035 four.
  absl::InlinedVector<FieldView, 12> fields;
  absl::string_view binary_hex;
  // Names unique, in the order first set; a later value for a name replaces the earlier one.
  absl::InlinedVector<FieldView, 8> facts;
  int32_t source_line = 0;

  absl::string_view Fact(absl::string_view name) const;  // empty when absent
  bool HasFact(absl::string_view name) const;
  void SetFact(absl::string_view name, absl::string_view value);
};

// `view` as a record (copies every string).
void ToRecord(const EventView& view, v1::EventRecord* record);

// Views into `record`, which must outlive them. `view` is overwritten; passing the same one for
// every record keeps its storage.
void ViewOf(const v1::EventRecord& record, EventView* view);

}  // namespace kerbside::events

#endif  // KERBSIDE_COMMON_EVENTS_EVENT_VIEW_H_
