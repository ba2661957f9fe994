#include "common/events/event_view.h"

#include <string>

namespace kerbside::events {

absl::string_view EventView::Fact(absl::string_view name) const {
  for (const FieldView& f : facts) {
    if (f.name == name) return f.value;
  }
  return absl::string_view();
}

bool EventView::HasFact(absl::string_view name) const {
  for (const FieldView& f : facts) {
    if (f.name == name) return true;
  }
  return false;
}

void EventView::SetFact(absl::string_view name, absl::string_view value) {
  for (FieldView& f : facts) {
    if (f.name == name) {
      f.value = value;
      return;
    }
  }
  facts.push_back({name, value});
}

void ToRecord(const EventView& view, v1::EventRecord* record) {
  record->set_provider(std::string(view.provider));
  record->set_event_source_name(std::string(view.event_source_name));
  record->set_event_id(view.event_id);
  record->set_qualifiers(view.qualifiers);
  record->set_level(view.level);
  record->set_channel(std::string(view.channel));
  record->set_computer(std::string(view.computer));
  record->set_record_id(view.record_id);
  if (view.has_time_created) {
    const int64_t nanos = absl::ToUnixNanos(view.time_created);
    int64_t seconds = nanos / 1000000000;
    int64_t rem = nanos % 1000000000;
    if (rem < 0) {
      rem += 1000000000;
      --seconds;
    }
    record->mutable_time_created()->set_seconds(seconds);
    record->mutable_time_created()->set_nanos(static_cast<int32_t>(rem));
  }
  record->mutable_fields()->Reserve(static_cast<int>(view.fields.size()));
  for (const FieldView& f : view.fields) {
    v1::EventField* field = record->add_fields();
    field->set_name(std::string(f.name));
    field->set_value(std::string(f.value));
  }
  record->set_binary_hex(std::string(view.binary_hex));
  auto& facts = *record->mutable_facts();
  for (const FieldView& f : view.facts) facts[std::string(f.name)] = std::string(f.value);
  record->set_source_line(view.source_line);
}

void ViewOf(const v1::EventRecord& record, EventView* view) {
  view->provider = record.provider();
  view->event_source_name = record.event_source_name();
  view->event_id = record.event_id();
  view->qualifiers = record.qualifiers();
  view->level = record.level();
  view->channel = record.channel();
  view->computer = record.computer();
  view->record_id = record.record_id();
  view->has_time_created = record.has_time_created();
  view->time_created = absl::FromUnixSeconds(record.time_created().seconds()) +
                       absl::Nanoseconds(record.time_created().nanos());
  view->fields.clear();
  for (const v1::EventField& f : record.fields()) view->fields.push_back({f.name(), f.value()});
  view->binary_hex = record.binary_hex();
  view->facts.clear();
  for (const auto& [name, value] : record.facts()) view->facts.push_back({name, value});
  view->source_line = record.source_line();
}

}  // namespace kerbside::events
