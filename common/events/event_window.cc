#include "common/events/event_window.h"

#include <algorithm>

namespace kerbside::events {
namespace {

void Total(WindowEntry& e) {
  e.total.set_count(e.carried + e.latest.count());
  e.total.set_count_is_lower_bound(e.carried_is_lower_bound || e.latest.count_is_lower_bound());
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
  const int64_t dropped = std::max<int64_t>(0, kept.latest.count() - fresh.count());
  switch (CompareRanges(kept.latest, fresh)) {
    case RangeRelation::kSame:
    case RangeRelation::kBContainsA:
      e.latest = fresh;
      break;
    case RangeRelation::kAfter:
      e.carried += kept.latest.count();
      e.carried_is_lower_bound |= kept.latest.count_is_lower_bound();
      e.latest = fresh;
      break;
    case RangeRelation::kAContainsB:
      // Both reads are complete for their ranges: what is missing now rolled out of view.
      e.carried += dropped;
      e.latest = fresh;
      break;
    case RangeRelation::kBSlidForward:
      e.carried += dropped;
      e.carried_is_lower_bound = true;
      e.latest = fresh;
      break;
    case RangeRelation::kBSlidBack:
    case RangeRelation::kBefore:
      // An older read (a restored copy, a clock stepped back without record ids): counting it
      // again could double count; keep the newer read and say the count may be short.
      e.carried_is_lower_bound = true;
      break;
  }
  e.total = UniteDetails(kept.total, fresh, limits);
  Total(e);
  return e;
}

}  // namespace kerbside::events
