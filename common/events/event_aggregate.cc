#include "common/events/event_aggregate.h"

#include <algorithm>
#include <deque>
#include <map>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace kerbside::events {
namespace {

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

google::protobuf::Timestamp Proto(absl::Time t) {
  google::protobuf::Timestamp p;
  const int64_t ns = absl::ToUnixNanos(t);
  p.set_seconds(ns / 1000000000);
  p.set_nanos(static_cast<int32_t>(ns % 1000000000));
  if (p.nanos() < 0) {
    p.set_seconds(p.seconds() - 1);
    p.set_nanos(p.nanos() + 1000000000);
  }
  return p;
}

// At most `max_bytes` of UTF-8 `s`, never splitting a character: a cut one would make the
// aggregate an invalid proto3 string, which no reader could parse back.
absl::string_view CutAtCharacter(absl::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// Facts are what kerbside reasons about (connector, source IP, error code...): occurrences
// that agree on them say the same thing, whatever their record ids and times. Facts sorted by
// name, so equal sets are equal keys.
struct KeyRef {
  absl::string_view provider;
  uint32_t event_id = 0;
  absl::Span<const FieldView> facts;

  template <typename H>
  friend H AbslHashValue(H h, const KeyRef& k) {
    h = H::combine(std::move(h), k.provider, k.event_id, k.facts.size());
    for (const FieldView& f : k.facts) h = H::combine(std::move(h), f.name, f.value);
    return h;
  }
  friend bool operator==(const KeyRef& a, const KeyRef& b) {
    if (a.provider != b.provider || a.event_id != b.event_id) return false;
    return std::equal(a.facts.begin(), a.facts.end(), b.facts.begin(), b.facts.end(),
                      [](const FieldView& x, const FieldView& y) {
                        return x.name == y.name && x.value == y.value;
                      });
  }
};

struct DistinctValues {
  std::string field;
  std::vector<std::string> values;
  bool truncated = false;
};

}  // namespace

struct EventAggregator::State {
  struct Group {
    std::string provider;
    uint32_t event_id = 0;
    std::string channel;
    std::vector<std::pair<std::string, std::string>> facts;  // by name
    std::vector<FieldView> key_facts;                        // views of `facts`, for the index
    int64_t count = 0;
    uint64_t min_record = UINT64_MAX, max_record = 0;
    bool every_record_has_id = true;
    absl::Time first = absl::InfiniteFuture(), last = absl::InfinitePast();
    uint64_t first_tag = 0, last_tag = 0;
    std::vector<DistinctValues> distinct;  // in order of the fields' first appearance
  };

  AggregateLimits limits;
  std::deque<Group> groups;  // stable addresses: the index's keys are views into them
  absl::flat_hash_map<KeyRef, size_t, absl::Hash<KeyRef>> index;
  absl::InlinedVector<FieldView, 8> sorted;  // the current event's facts, by name
};

EventAggregator::EventAggregator(const AggregateLimits& limits)
    : state_(std::make_unique<State>()) {
  state_->limits = limits;
}

EventAggregator::~EventAggregator() = default;

void EventAggregator::Add(const EventView& event, uint64_t tag) {
  State& s = *state_;
  s.sorted.assign(event.facts.begin(), event.facts.end());
  std::sort(s.sorted.begin(), s.sorted.end(),
            [](const FieldView& a, const FieldView& b) { return a.name < b.name; });
  const KeyRef key{event.provider, event.event_id, s.sorted};
  auto it = s.index.find(key);
  if (it == s.index.end()) {
    State::Group& fresh = s.groups.emplace_back();
    fresh.provider = std::string(event.provider);
    fresh.event_id = event.event_id;
    fresh.channel = std::string(event.channel);
    fresh.facts.reserve(s.sorted.size());
    for (const FieldView& f : s.sorted) fresh.facts.emplace_back(f.name, f.value);
    for (const auto& [name, value] : fresh.facts) fresh.key_facts.push_back({name, value});
    it = s.index
             .emplace(KeyRef{fresh.provider, fresh.event_id, fresh.key_facts}, s.groups.size() - 1)
             .first;
  }
  State::Group& g = s.groups[it->second];
  ++g.count;
  if (event.record_id == 0) g.every_record_has_id = false;
  g.min_record = std::min(g.min_record, event.record_id);
  g.max_record = std::max(g.max_record, event.record_id);
  // Ties keep the earliest record as first and the latest added as last.
  if (event.time_created < g.first) {
    g.first = event.time_created;
    g.first_tag = tag;
  }
  if (event.time_created >= g.last) {
    g.last = event.time_created;
    g.last_tag = tag;
  }
  std::string positional;  // "#N": N counts every field before it, named or not
  for (size_t i = 0; i < event.fields.size(); ++i) {
    const FieldView& f = event.fields[i];
    absl::string_view name = f.name;
    if (name.empty()) {
      positional = absl::StrCat("#", i);
      name = positional;
    }
    // Occurrences of one key nearly always list the same fields in the same order.
    DistinctValues* dv = nullptr;
    if (i < g.distinct.size() && g.distinct[i].field == name) {
      dv = &g.distinct[i];
    } else {
      for (DistinctValues& d : g.distinct) {
        if (d.field == name) {
          dv = &d;
          break;
        }
      }
      if (dv == nullptr) {
        dv = &g.distinct.emplace_back();
        dv->field = std::string(name);
      }
    }
    const absl::string_view value = CutAtCharacter(f.value, s.limits.max_value_bytes);
    if (std::find(dv->values.begin(), dv->values.end(), value) != dv->values.end()) continue;
    if (dv->values.size() < s.limits.max_distinct_values) {
      dv->values.emplace_back(value);
    } else {
      dv->truncated = true;
    }
  }
}

std::vector<v1::EventAggregate> EventAggregator::Finish(
    absl::FunctionRef<v1::EventRecord(uint64_t tag)> record_of) {
  State& s = *state_;
  std::vector<v1::EventAggregate> out;
  out.reserve(s.groups.size());
  for (State::Group& g : s.groups) {
    v1::EventAggregate& a = out.emplace_back();
    a.set_provider(std::move(g.provider));
    a.set_event_id(g.event_id);
    a.set_channel(std::move(g.channel));
    a.set_count(g.count);
    for (auto& [name, value] : g.facts) (*a.mutable_key_facts())[name] = std::move(value);
    *a.mutable_first_seen() = Proto(g.first);
    *a.mutable_last_seen() = Proto(g.last);
    if (g.every_record_has_id) {
      a.set_first_record_id(g.min_record);
      a.set_last_record_id(g.max_record);
    }
    for (DistinctValues& d : g.distinct) {
      v1::EventAggregate::DistinctValues* dv = a.add_distinct_values();
      dv->set_field(std::move(d.field));
      for (std::string& v : d.values) dv->add_values(std::move(v));
      dv->set_truncated(d.truncated);
    }
    if (s.limits.max_examples > 0) *a.add_examples() = record_of(g.first_tag);
    if (s.limits.max_examples > 1 && g.count > 1) *a.add_examples() = record_of(g.last_tag);
  }
  s.index.clear();
  s.groups.clear();
  return out;
}

std::vector<v1::EventAggregate> AggregateEvents(const v1::EventBatch& batch,
                                                const AggregateLimits& limits) {
  EventAggregator aggregator(limits);
  EventView view;
  for (int i = 0; i < batch.events_size(); ++i) {
    ViewOf(batch.events(i), &view);
    aggregator.Add(view, static_cast<uint64_t>(i));
  }
  return aggregator.Finish([&](uint64_t tag) { return batch.events(static_cast<int>(tag)); });
}

std::string AggregateKey(const v1::EventAggregate& a) {
  // Unit and record separators cannot occur in an event's provider name or extracted facts.
  std::string key = absl::StrCat(a.provider(), "\x1f", a.event_id());
  const std::map<std::string, std::string> facts(a.key_facts().begin(), a.key_facts().end());
  for (const auto& [name, value] : facts) absl::StrAppend(&key, "\x1f", name, "\x1e", value);
  return key;
}

namespace {

RangeRelation Relate(int64_t alo, int64_t ahi, int64_t blo, int64_t bhi) {
  if (alo == blo && ahi == bhi) return RangeRelation::kSame;
  if (blo > ahi) return RangeRelation::kAfter;
  if (bhi < alo) return RangeRelation::kBefore;
  if (blo <= alo && bhi >= ahi) return RangeRelation::kBContainsA;
  if (alo <= blo && ahi >= bhi) {
    return bhi == ahi ? RangeRelation::kBTrailsA : RangeRelation::kAContainsB;
  }
  return blo > alo ? RangeRelation::kBSlidForward : RangeRelation::kBSlidBack;
}

}  // namespace

RangeRelation CompareRanges(const v1::EventAggregate& a, const v1::EventAggregate& b) {
  auto ns = [](const google::protobuf::Timestamp& t) { return absl::ToUnixNanos(TimeOf(t)); };
  const RangeRelation by_time =
      Relate(ns(a.first_seen()), ns(a.last_seen()), ns(b.first_seen()), ns(b.last_seen()));
  const bool by_id = a.first_record_id() != 0 && a.last_record_id() != 0 &&
                     b.first_record_id() != 0 && b.last_record_id() != 0;
  if (!by_id) return by_time;
  const RangeRelation by_ids =
      Relate(static_cast<int64_t>(a.first_record_id()), static_cast<int64_t>(a.last_record_id()),
             static_cast<int64_t>(b.first_record_id()), static_cast<int64_t>(b.last_record_id()));
  const bool apart_in_time = by_time == RangeRelation::kAfter || by_time == RangeRelation::kBefore;
  const bool apart_by_id = by_ids == RangeRelation::kAfter || by_ids == RangeRelation::kBefore;
  return apart_in_time && !apart_by_id ? by_time : by_ids;
}

v1::EventAggregate UniteDetails(const v1::EventAggregate& kept, const v1::EventAggregate& fresh,
                                const AggregateLimits& limits) {
  v1::EventAggregate out = kept;
  const absl::Time kept_first = TimeOf(kept.first_seen()), kept_last = TimeOf(kept.last_seen());
  const absl::Time fresh_first = TimeOf(fresh.first_seen()), fresh_last = TimeOf(fresh.last_seen());
  if (fresh_first < kept_first) *out.mutable_first_seen() = fresh.first_seen();
  if (fresh_last > kept_last) *out.mutable_last_seen() = fresh.last_seen();
  if (kept.first_record_id() != 0 && fresh.first_record_id() != 0) {
    out.set_first_record_id(std::min(kept.first_record_id(), fresh.first_record_id()));
    out.set_last_record_id(std::max(kept.last_record_id(), fresh.last_record_id()));
  } else {
    out.set_first_record_id(0);
    out.set_last_record_id(0);
  }
  if (out.channel().empty()) out.set_channel(fresh.channel());

  // Examples: the earliest and the latest occurrence among both.
  std::vector<const v1::EventRecord*> candidates;
  for (const v1::EventRecord& r : kept.examples()) candidates.push_back(&r);
  for (const v1::EventRecord& r : fresh.examples()) candidates.push_back(&r);
  out.clear_examples();
  if (!candidates.empty() && limits.max_examples > 0) {
    auto by_time = [](const v1::EventRecord* a, const v1::EventRecord* b) {
      return TimeOf(a->time_created()) < TimeOf(b->time_created());
    };
    const v1::EventRecord* first = *std::min_element(candidates.begin(), candidates.end(), by_time);
    const v1::EventRecord* last = *std::max_element(candidates.begin(), candidates.end(), by_time);
    *out.add_examples() = *first;
    if (limits.max_examples > 1 && last != first &&
        (last->record_id() != first->record_id() ||
         TimeOf(last->time_created()) != TimeOf(first->time_created()))) {
      *out.add_examples() = *last;
    }
  }

  // Distinct values: kept's first (they were seen first), then fresh's new ones, bounded.
  out.clear_distinct_values();
  std::map<std::string, int> field_index;
  for (const v1::EventAggregate* a : {&kept, &fresh}) {
    for (const v1::EventAggregate::DistinctValues& dv : a->distinct_values()) {
      auto [it, added] = field_index.emplace(dv.field(), out.distinct_values_size());
      if (added) out.add_distinct_values()->set_field(dv.field());
      v1::EventAggregate::DistinctValues& merged = *out.mutable_distinct_values(it->second);
      if (dv.truncated()) merged.set_truncated(true);
      for (const std::string& v : dv.values()) {
        if (std::find(merged.values().begin(), merged.values().end(), v) != merged.values().end()) {
          continue;
        }
        if (static_cast<size_t>(merged.values_size()) < limits.max_distinct_values) {
          merged.add_values(v);
        } else {
          merged.set_truncated(true);
        }
      }
    }
  }
  return out;
}

v1::EventAggregate CombineAggregates(const v1::EventAggregate& a, const v1::EventAggregate& b,
                                     const AggregateLimits& limits) {
  v1::EventAggregate out = UniteDetails(a, b, limits);
  const v1::EventAggregate& larger = a.count() >= b.count() ? a : b;
  switch (CompareRanges(a, b)) {
    case RangeRelation::kAfter:
    case RangeRelation::kBefore:
      out.set_count(a.count() + b.count());
      out.set_count_is_lower_bound(a.count_is_lower_bound() || b.count_is_lower_bound());
      break;
    case RangeRelation::kSame:
    case RangeRelation::kBContainsA:
    case RangeRelation::kBTrailsA:
    case RangeRelation::kAContainsB:
      out.set_count(larger.count());
      out.set_count_is_lower_bound(larger.count_is_lower_bound());
      break;
    case RangeRelation::kBSlidForward:
    case RangeRelation::kBSlidBack:
      out.set_count(larger.count());
      out.set_count_is_lower_bound(true);
      break;
  }
  return out;
}

v1::EventBatch ExamplesOf(const v1::EventAggregate& aggregate) {
  v1::EventBatch b;
  for (const v1::EventRecord& r : aggregate.examples()) *b.add_events() = r;
  return b;
}

}  // namespace kerbside::events
