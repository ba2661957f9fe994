// Each host's clock reference (DESIGN.md §3): the PDC emulator when known, else its
// authenticating DC, else the fleet median.
#include "collector/correlator/clock_graph.h"

#include "absl/strings/ascii.h"
#include "common/proto_time.h"
#include "gtest/gtest.h"

namespace kerbside::correlator {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

class ClockGraphTest : public ::testing::Test {
 protected:
  model::HostEvidence& Host(const std::string& name, v1::Role role, bool pdc = false) {
    model::HostEvidence& h = fleet_.hosts[name];
    h.name = name;
    h.has_identity = true;
    h.identity.set_netbios_name(name);
    h.identity.set_fqdn(absl::AsciiStrToLower(name) + ".contoso.com");
    h.identity.set_role(role);
    h.identity.set_pdc_emulator(pdc);
    return h;
  }
  // `host` is `offset` ahead of `reference` (a host name or "collector").
  void Reading(const std::string& host, const std::string& reference, absl::Duration offset,
               absl::Duration uncertainty = absl::Milliseconds(1)) {
    v1::Evidence e;
    e.set_host(host);
    *e.mutable_observed_host_time() = ToProto(kNow);
    v1::ClockReading* r = e.mutable_clock_reading();
    r->set_method(v1::ClockReading::COLLECTOR_EXCHANGE);
    r->set_reference(reference);
    *r->mutable_offset() = ToProto(offset);
    *r->mutable_uncertainty() = ToProto(uncertainty);
    fleet_.hosts[host].evidence.push_back(e);
  }
  void TimeSource(const std::string& host, const std::string& source) {
    v1::Evidence e;
    e.set_host(host);
    *e.mutable_observed_host_time() = ToProto(kNow);
    e.mutable_w32tm_status()->set_source(source);
    fleet_.hosts[host].evidence.push_back(e);
  }
  model::FleetModel fleet_;
};

TEST_F(ClockGraphTest, ThePdcEmulatorWinsWhenMeasured) {
  Host("DC01", v1::ROLE_DC, /*pdc=*/true);
  Host("DC02", v1::ROLE_DC);
  Host("EX02", v1::ROLE_EXCHANGE);
  TimeSource("EX02", "dc02.contoso.com");
  Reading("DC01", "collector", absl::ZeroDuration());
  Reading("DC02", "collector", absl::Minutes(1));
  Reading("EX02", "collector", absl::Minutes(8));
  const FleetIndex index(fleet_, kNow, absl::Hours(24));
  const ClockGraph g(index, absl::Minutes(5));
  EXPECT_EQ(g.reference(), "DC01");
  auto ex02 = g.ToReference("EX02");
  ASSERT_NE(ex02, nullptr);
  EXPECT_EQ(ex02->offset, absl::Minutes(8));
  EXPECT_EQ(ex02->reference_label, "the PDC emulator DC01");
}

TEST_F(ClockGraphTest, WithoutThePdcEachHostAgainstItsAuthenticatingDc) {
  // The PDC emulator sent nothing. EX02 syncs from DC02, which agrees with the fleet within a
  // minute; EX02 itself is 8 minutes ahead of the fleet, 7 of DC02: it is judged against DC02.
  Host("DC01", v1::ROLE_DC);
  Host("DC02", v1::ROLE_DC);
  for (const char* ex : {"EX01", "EX02", "EX03"}) Host(ex, v1::ROLE_EXCHANGE);
  TimeSource("EX02", "DC02.contoso.com");
  TimeSource("EX01", "DC01.contoso.com");
  Reading("DC01", "collector", absl::ZeroDuration());
  Reading("EX01", "collector", absl::ZeroDuration());
  Reading("EX03", "collector", absl::ZeroDuration());
  Reading("DC02", "collector", absl::Minutes(1));
  Reading("EX02", "collector", absl::Minutes(8));
  const FleetIndex index(fleet_, kNow, absl::Hours(24));
  EXPECT_EQ(AuthenticatingDc(index, "EX02"), "DC02");
  EXPECT_EQ(AuthenticatingDc(index, "DC02"), std::nullopt);
  const ClockGraph g(index, absl::Minutes(5));
  EXPECT_EQ(g.reference(), "");
  EXPECT_EQ(g.ReferenceLabel(), "each host's authenticating DC (else the fleet median)");
  auto ex02 = g.ToReference("EX02");
  ASSERT_NE(ex02, nullptr);
  EXPECT_EQ(ex02->offset, absl::Minutes(7));
  EXPECT_EQ(ex02->reference_host, "DC02");
  EXPECT_EQ(ex02->reference_label, "its authenticating DC DC02");
  ASSERT_EQ(ex02->readings.size(), 2u);  // EX02 and DC02 against the collector
  const std::vector<EvidenceNote> notes = g.Notes(*ex02);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0].fact, "DC02 is +1m00.000s against the collector (measured by kerbside)");
  EXPECT_EQ(notes[1].fact, "EX02 is +8m00.000s against the collector (measured by kerbside)");
  // DC02 has no authenticating DC of its own: the fleet median.
  auto dc02 = g.ToReference("DC02");
  ASSERT_NE(dc02, nullptr);
  EXPECT_EQ(dc02->offset, absl::Minutes(1));
  EXPECT_EQ(dc02->reference_label, "the fleet median");
  // Pairs are still measured in one frame.
  auto pair = g.Between("EX02", "EX03");
  ASSERT_TRUE(pair.has_value());
  EXPECT_EQ(pair->offset, absl::Minutes(8));
}

TEST_F(ClockGraphTest, ADcThatIsOffIsNoReference) {
  // DC01 is 7 minutes ahead of everything else. Judged against DC01, its members would each be
  // 7 minutes behind and be blamed; DC01 is the one that is off.
  Host("DC01", v1::ROLE_DC);
  for (const char* ex : {"EX01", "EX02", "EX03"}) {
    Host(ex, v1::ROLE_EXCHANGE);
    TimeSource(ex, "DC01.contoso.com");
    Reading(ex, "collector", absl::ZeroDuration());
  }
  Reading("DC01", "collector", absl::Minutes(7));
  const FleetIndex index(fleet_, kNow, absl::Hours(24));
  const ClockGraph g(index, absl::Minutes(5));
  EXPECT_EQ(g.ReferenceLabel(), "the fleet median");
  auto ex02 = g.ToReference("EX02");
  ASSERT_NE(ex02, nullptr);
  EXPECT_EQ(ex02->offset, absl::ZeroDuration());
  EXPECT_EQ(ex02->reference_label, "the fleet median");
  auto dc01 = g.ToReference("DC01");
  ASSERT_NE(dc01, nullptr);
  EXPECT_EQ(dc01->offset, absl::Minutes(7));
}

TEST_F(ClockGraphTest, AnUnmeasuredOrNonDcSourceFallsBackToTheFleetMedian) {
  Host("DC01", v1::ROLE_DC);
  Host("EX01", v1::ROLE_EXCHANGE);
  Host("EX02", v1::ROLE_EXCHANGE);
  Host("EX03", v1::ROLE_EXCHANGE);
  TimeSource("EX01", "DC01.contoso.com");  // DC01 has no clock reading
  TimeSource("EX02", "Local CMOS Clock");  // not a DC
  TimeSource("EX03", "ex01.contoso.com");  // a host, but not a DC
  Reading("EX01", "collector", absl::ZeroDuration());
  Reading("EX02", "collector", absl::Minutes(9));
  Reading("EX03", "collector", absl::Seconds(1));
  const FleetIndex index(fleet_, kNow, absl::Hours(24));
  EXPECT_EQ(AuthenticatingDc(index, "EX03"), std::nullopt);
  const ClockGraph g(index, absl::Minutes(5));
  EXPECT_EQ(g.ReferenceLabel(), "the fleet median");
  auto ex02 = g.ToReference("EX02");
  ASSERT_NE(ex02, nullptr);
  EXPECT_EQ(ex02->offset, absl::Minutes(9) - absl::Seconds(1));
  EXPECT_EQ(ex02->reference_label, "the fleet median");
  EXPECT_EQ(g.ToReference("DC01"), nullptr);  // no reading: no offset, not "0"
}

// A reading that claims a negative uncertainty (a broken bundle, a compromised agent) is no
// reading: kept, it would make every path through it "more precise" without end.
TEST_F(ClockGraphTest, AReadingWithANegativeUncertaintyIsIgnored) {
  Host("DC01", v1::ROLE_DC, /*pdc=*/true);
  Host("EX01", v1::ROLE_EXCHANGE);
  Host("EX02", v1::ROLE_EXCHANGE);
  Reading("DC01", "collector", absl::ZeroDuration());
  Reading("EX01", "collector", absl::Minutes(8), absl::Seconds(-1));
  Reading("EX02", "collector", absl::Minutes(1));
  Reading("EX02", "DC01", absl::Minutes(1), absl::Seconds(-5));
  const FleetIndex index(fleet_, kNow, absl::Hours(24));
  const ClockGraph g(index, absl::Minutes(5));
  EXPECT_EQ(g.ToReference("EX01"), nullptr);
  EXPECT_FALSE(g.HasReadings("EX01"));
  const HostClock* ex02 = g.ToReference("EX02");
  ASSERT_NE(ex02, nullptr);
  EXPECT_EQ(ex02->offset, absl::Minutes(1));
  EXPECT_EQ(ex02->uncertainty, absl::Milliseconds(2));  // through the collector
  EXPECT_EQ(ex02->readings.size(), 2u);
}

}  // namespace
}  // namespace kerbside::correlator
