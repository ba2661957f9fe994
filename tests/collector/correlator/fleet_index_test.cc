// The fleet index reads event aggregates through their examples and keeps their counts.
#include "collector/correlator/fleet_index.h"

#include "common/proto_time.h"
#include "gtest/gtest.h"

namespace kerbside::correlator {
namespace {

TEST(FleetIndexTest, AggregatesAreReadAsRecordsThatKeepTheirCount) {
  model::FleetModel fleet;
  model::HostEvidence& h = fleet.hosts["DC01"];
  h.name = "DC01";
  v1::Evidence e;
  e.set_host("DC01");
  v1::EventAggregate* a = e.mutable_event_aggregate();
  a->set_provider("Microsoft-Windows-Security-Auditing");
  a->set_event_id(4769);
  a->set_count(3412);
  for (uint64_t id : {100u, 9000u}) {
    v1::EventRecord* r = a->add_examples();
    r->set_provider(a->provider());
    r->set_event_id(4769);
    r->set_record_id(id);
    (*r->mutable_facts())["status"] = "0x25";
  }
  h.evidence.push_back(e);
  v1::Evidence plain;
  plain.set_host("DC01");
  v1::EventRecord* r = plain.mutable_events()->add_events();
  r->set_event_id(4769);
  h.evidence.push_back(plain);

  const FleetIndex index(fleet, absl::FromUnixSeconds(1800000000), absl::Hours(24));
  const auto& refs = index.EventsWithId(4769);
  ASSERT_EQ(refs.size(), 3u);
  int64_t total = 0;
  for (const auto& [ev, rec] : refs) total += index.Occurrences(*rec);
  EXPECT_EQ(total, 3412 + 1);
  EXPECT_EQ(index.Of("DC01", v1::Evidence::kEvents).size(), 2u);  // both read as records
}

}  // namespace
}  // namespace kerbside::correlator
