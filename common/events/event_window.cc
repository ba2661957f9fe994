#include "common/events/event_window.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "common/proto_time.h"

namespace kerbside::events {
namespace {

void Total(WindowEntry& e) {
  e.total.set_count(e.carried + e.latest.count());
  e.total.set_count_is_lower_bound(e.carried_is_lower_bound || e.latest.count_is_lower_bound());
}

// The part of `older` before `newer` starts, holding `count` occurrences.
v1::EventAggregate Before(const v1::EventAggregate& older, const v1::EventAggregate& newer,
                          int64_t count) {
  v1::EventAggregate span;
  *span.mutable_first_seen() = older.first_seen();
  *span.mutable_last_seen() = ToProto(FromProto(newer.first_seen()) - absl::Nanoseconds(1));
  if (older.first_record_id() != 0 && newer.first_record_id() > 1) {
    span.set_first_record_id(older.first_record_id());
    span.set_last_record_id(newer.first_record_id() - 1);
  }
  span.set_count(count);
  return span;
}

void Carry(WindowEntry& e, const v1::EventAggregate& span, bool lower_bound) {
  if (span.count() <= 0 && !lower_bound) return;
  if (e.carried == 0) {
    e.carried_span = span;
  } else {
    v1::EventAggregate& c = e.carried_span;
    if (FromProto(span.first_seen()) < FromProto(c.first_seen())) {
      *c.mutable_first_seen() = span.first_seen();
    }
    if (FromProto(span.last_seen()) > FromProto(c.last_seen())) {
      *c.mutable_last_seen() = span.last_seen();
    }
    if (c.first_record_id() != 0 && span.first_record_id() != 0) {
      c.set_first_record_id(std::min(c.first_record_id(), span.first_record_id()));
      c.set_last_record_id(std::max(c.last_record_id(), span.last_record_id()));
    } else {
      c.set_first_record_id(0);
      c.set_last_record_id(0);
    }
  }
  e.carried += std::max<int64_t>(0, span.count());
  e.carried_span.set_count(e.carried);
  e.carried_is_lower_bound |= lower_bound;
}

}  // namespace

WindowEntry StartWindow(const v1::EventAggregate& fresh) {
  WindowEntry e;
  e.latest = fresh;
  e.total = fresh;
  Total(e);
  return e;
}

WindowEntry AdvanceWindow(const WindowEntry& kept, const v1::EventAggregate& fresh,
                          const AggregateLimits& limits) {
  WindowEntry e = kept;
  const RangeRelation relation = CompareRanges(kept.latest, fresh);
  if (relation == RangeRelation::kAContainsB || relation == RangeRelation::kBSlidBack ||
      relation == RangeRelation::kBefore) {
    // A partial read or an older one: the last complete read stands. Only an older read can
    // mean the count is short (an old copy never counted); a partial one changes nothing.
    if (relation != RangeRelation::kAContainsB) e.carried_is_lower_bound = true;
    Total(e);
    return e;
  }
  // Carried occurrences shown again by this read are no longer carried.
  if (e.carried > 0) {
    switch (CompareRanges(e.carried_span, fresh)) {
      case RangeRelation::kAfter:
        break;
      case RangeRelation::kSame:
      case RangeRelation::kBContainsA:
        e.carried = 0;
        e.carried_span.Clear();
        break;
      default:
        // Some of them, how many is not known: drop them all rather than count any twice.
        e.carried = 0;
        e.carried_span.Clear();
        e.carried_is_lower_bound = true;
        break;
    }
  }
  const int64_t dropped = std::max<int64_t>(0, kept.latest.count() - fresh.count());
  switch (relation) {
    case RangeRelation::kSame:
    case RangeRelation::kBContainsA:
      // A grown (or equal) read cannot hold fewer occurrences unless some were lost to it.
      if (fresh.count() < kept.latest.count()) e.carried_is_lower_bound = true;
      break;
    case RangeRelation::kAfter:
      Carry(e, kept.latest, kept.latest.count_is_lower_bound());
      break;
    case RangeRelation::kBTrailsA:
      // Both reads are complete for their ranges: what is missing now rolled out of view.
      Carry(e, Before(kept.latest, fresh, dropped), kept.latest.count_is_lower_bound());
      break;
    case RangeRelation::kBSlidForward:
      Carry(e, Before(kept.latest, fresh, dropped), true);
      break;
    default:
      break;
  }
  e.latest = fresh;
  e.total = UniteDetails(kept.total, fresh, limits);
  Total(e);
  return e;
}

void ForgetCarriedBefore(WindowEntry& entry, absl::Time cutoff) {
  if (entry.carried == 0 || FromProto(entry.carried_span.last_seen()) >= cutoff) return;
  entry.carried = 0;
  entry.carried_span.Clear();
  *entry.total.mutable_first_seen() = entry.latest.first_seen();
  entry.total.set_first_record_id(entry.latest.first_record_id());
  Total(entry);
}

absl::Time LastSeenOnCollectorClock(absl::Time last_seen_host, absl::Time received_at,
                                    absl::Duration host_offset) {
  if (last_seen_host <= absl::UnixEpoch()) return received_at;
  return std::min(received_at, last_seen_host - host_offset);
}

CutResult CutToWindow(WindowEntry& entry, absl::Time received_at, const WindowCut& cut) {
  ForgetCarriedBefore(entry, cut.since + cut.host_offset);
  CutResult out;
  out.last_seen_collector =
      LastSeenOnCollectorClock(FromProto(entry.total.last_seen()), received_at, cut.host_offset);
  out.keep = out.last_seen_collector >= cut.since;
  return out;
}

std::vector<v1::Evidence> CombineBatchReads(const std::vector<v1::Evidence>& items) {
  std::vector<v1::Evidence> out;
  std::map<std::pair<std::string, std::string>, size_t> index;
  auto add = [&](v1::Evidence e) {
    const v1::EventAggregate& a = e.event_aggregate();
    auto [it, fresh] = index.emplace(std::make_pair(a.channel(), AggregateKey(a)), out.size());
    if (fresh) {
      out.push_back(std::move(e));
      return;
    }
    v1::Evidence& kept = out[it->second];
    const bool newer = FromProto(a.last_seen()) > FromProto(kept.event_aggregate().last_seen());
    v1::EventAggregate combined = CombineAggregates(kept.event_aggregate(), e.event_aggregate());
    if (newer) {
      e.clear_event_aggregate();
      kept = std::move(e);
    }
    *kept.mutable_event_aggregate() = std::move(combined);
  };
  for (const v1::Evidence& e : items) {
    if (e.kind_case() == v1::Evidence::kEventAggregate) {
      add(e);
    } else if (e.kind_case() == v1::Evidence::kEvents) {
      for (v1::EventAggregate& a : AggregateEvents(e.events())) {
        v1::Evidence item = e;
        *item.mutable_event_aggregate() = std::move(a);
        add(std::move(item));
      }
    }
  }
  return out;
}

}  // namespace kerbside::events
