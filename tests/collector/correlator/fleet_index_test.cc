// The fleet index reads event aggregates through their examples and keeps their counts, and
// resolves names, FQDNs and addresses however host.json and the evidence write them.
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

TEST(FleetIndexTest, ResolvesNamesFqdnsAndAddressesInAnyCaseAndForm) {
  model::FleetModel fleet;
  auto add = [&](const std::string& key, const std::string& fqdn, const std::string& ip) {
    model::HostEvidence& h = fleet.hosts[key];
    h.name = key;
    h.has_identity = true;
    h.identity.set_fqdn(fqdn);
    h.identity.add_ips(ip);
  };
  add("EX01", "ex01.contoso.com", "10.1.1.11");          // as agents write them
  add("EX02", "EX02.Contoso.COM.", "::ffff:10.1.1.12");  // capitals, a trailing dot, v4-mapped
  add("ex03", "", "fe80::0:1");                          // a lower-case key, no FQDN
  const FleetIndex index(fleet, absl::FromUnixSeconds(1800000000), absl::Hours(24));
  EXPECT_EQ(index.Resolve("EX01.CONTOSO.COM"), "EX01");
  EXPECT_EQ(index.Resolve("ex01"), "EX01");
  EXPECT_EQ(index.Resolve("10.1.1.11:25"), "EX01");
  EXPECT_EQ(index.Resolve("::ffff:10.1.1.11"), "EX01");  // IPv4-mapped, as Windows writes some
  EXPECT_EQ(index.Resolve("[::ffff:10.1.1.11]:25"), "EX01");
  EXPECT_EQ(index.Resolve("ex02.contoso.com"), "EX02");
  EXPECT_EQ(index.Resolve("Ex02"), "EX02");
  EXPECT_EQ(index.Resolve("10.1.1.12"), "EX02");
  EXPECT_EQ(index.Resolve("::FFFF:10.1.1.12"), "EX02");
  EXPECT_EQ(index.Resolve("EX03.contoso.com"), "ex03");  // the NetBIOS part of an FQDN
  EXPECT_EQ(index.Resolve("[fe80::1]:88"), "ex03");
  EXPECT_EQ(index.Resolve("ex04"), std::nullopt);
  EXPECT_EQ(index.Resolve(""), std::nullopt);
  // The key is the fleet model's own string.
  const std::optional<absl::string_view> key = index.ResolveKey("EX02.contoso.com");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->data(), fleet.hosts.find("EX02")->first.data());
}

}  // namespace
}  // namespace kerbside::correlator
