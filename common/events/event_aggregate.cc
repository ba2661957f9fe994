#include "common/events/event_aggregate.h"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace kerbside::events {
namespace {

// Facts are what kerbside reasons about (connector, source IP, error code...): occurrences
// that agree on them say the same thing, whatever their record ids and times.
using Key = std::tuple<std::string, uint32_t, std::map<std::string, std::string>>;

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}
absl::Time TimeOf(const v1::EventRecord& r) { return TimeOf(r.time_created()); }

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
std::string CutAtCharacter(const std::string& s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

struct Group {
  v1::EventAggregate agg;
  uint64_t min_record = UINT64_MAX, max_record = 0;
  bool every_record_has_id = true;
  absl::Time first = absl::InfiniteFuture(), last = absl::InfinitePast();
  v1::EventRecord first_record, last_record;
  std::map<std::string, size_t> field_index;  // field -> index in agg.distinct_values
};

}  // namespace

std::vector<v1::EventAggregate> AggregateEvents(const v1::EventBatch& batch,
                                                const AggregateLimits& limits) {
  std::map<Key, size_t> index;
  std::vector<Group> groups;
  for (const v1::EventRecord& r : batch.events()) {
    Key key{r.provider(), r.event_id(), {r.facts().begin(), r.facts().end()}};
    auto [it, inserted] = index.emplace(std::move(key), groups.size());
    if (inserted) {
      groups.emplace_back();
      v1::EventAggregate& a = groups.back().agg;
      a.set_provider(r.provider());
      a.set_event_id(r.event_id());
      a.set_channel(r.channel());
      a.mutable_key_facts()->insert(r.facts().begin(), r.facts().end());
    }
    Group& g = groups[it->second];
    g.agg.set_count(g.agg.count() + 1);
    if (r.record_id() == 0) g.every_record_has_id = false;
    g.min_record = std::min(g.min_record, r.record_id());
    g.max_record = std::max(g.max_record, r.record_id());
    const absl::Time t = TimeOf(r);
    // Ties keep the earliest record as first and the latest in the batch as last.
    if (t < g.first) {
      g.first = t;
      g.first_record = r;
    }
    if (t >= g.last) {
      g.last = t;
      g.last_record = r;
    }
    for (int i = 0; i < r.fields_size(); ++i) {
      const v1::EventField& f = r.fields(i);
      const std::string name = f.name().empty() ? absl::StrCat("#", i) : f.name();
      auto [fi, fresh] = g.field_index.emplace(name, g.agg.distinct_values_size());
      if (fresh) g.agg.add_distinct_values()->set_field(name);
      v1::EventAggregate::DistinctValues& dv = *g.agg.mutable_distinct_values(fi->second);
      const std::string value = CutAtCharacter(f.value(), limits.max_value_bytes);
      if (std::find(dv.values().begin(), dv.values().end(), value) != dv.values().end()) continue;
      if (static_cast<size_t>(dv.values_size()) < limits.max_distinct_values) {
        dv.add_values(value);
      } else {
        dv.set_truncated(true);
      }
    }
  }
  std::vector<v1::EventAggregate> out;
  out.reserve(groups.size());
  for (Group& g : groups) {
    *g.agg.mutable_first_seen() = Proto(g.first);
    *g.agg.mutable_last_seen() = Proto(g.last);
    if (g.every_record_has_id) {
      g.agg.set_first_record_id(g.min_record);
      g.agg.set_last_record_id(g.max_record);
    }
    if (limits.max_examples > 0) *g.agg.add_examples() = g.first_record;
    if (limits.max_examples > 1 && g.agg.count() > 1) *g.agg.add_examples() = g.last_record;
    out.push_back(std::move(g.agg));
  }
  return out;
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
