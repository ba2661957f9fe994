#include "agent/probes/probe_runner.h"

#include <random>

#include "common/clock.h"
#include "common/proto_time.h"
#include "gtest/gtest.h"

namespace kerbside::agent::probes {
namespace {

TEST(SmtpServiceNamesTest, ShortAndFqdn) {
  EXPECT_EQ(SmtpServiceNames("ex02.contoso.com"),
            (std::vector<std::string>{"SMTPSVC/ex02", "SMTPSVC/ex02.contoso.com"}));
  EXPECT_EQ(SmtpServiceNames("ex02"), (std::vector<std::string>{"SMTPSVC/ex02"}));
}

TEST(MergeTargetsTest, InventoryAddsDcsAndOtherExchangeServers) {
  ProbeTargets configured;
  configured.kdcs.push_back({"dc01.contoso.com", "10.1.1.10"});
  configured.peers.push_back({"ex02.contoso.com", "10.1.1.12"});
  v1::Inventory inv;
  auto add = [&](const char* nb, const char* fqdn, v1::Role role, const char* ip) {
    v1::HostIdentity* h = inv.add_hosts();
    h->set_netbios_name(nb);
    h->set_fqdn(fqdn);
    h->set_role(role);
    if (ip[0] != '\0') h->add_ips(ip);
  };
  add("DC01", "DC01.contoso.com", v1::ROLE_DC, "10.1.1.10");  // already configured
  add("DC02", "dc02.contoso.com", v1::ROLE_DC, "");
  add("EX01", "ex01.contoso.com", v1::ROLE_EXCHANGE, "10.1.1.11");  // self
  add("EX02", "EX02.contoso.com", v1::ROLE_EXCHANGE, "10.1.1.12");  // already configured
  add("EX03", "ex03.contoso.com", v1::ROLE_EXCHANGE, "10.1.1.13");
  ProbeTargets t = MergeTargets(configured, inv, "ex01");
  ASSERT_EQ(t.kdcs.size(), 2u);
  EXPECT_EQ(t.kdcs[1].name, "dc02.contoso.com");
  EXPECT_EQ(t.kdcs[1].host, "dc02.contoso.com");
  EXPECT_EQ(t.kdcs[1].port, 88);
  ASSERT_EQ(t.peers.size(), 2u);
  EXPECT_EQ(t.peers[1].name, "ex03.contoso.com");
  EXPECT_EQ(t.peers[1].host, "10.1.1.13");
}

TEST(NextProbeDelayTest, StaysWithinTheJitterBand) {
  std::mt19937 gen(42);
  absl::Duration lo = absl::InfiniteDuration(), hi = absl::ZeroDuration();
  for (int i = 0; i < 1000; ++i) {
    const absl::Duration d = NextProbeDelay(absl::Minutes(5), 0.1, gen);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_GE(lo, absl::Seconds(270));
  EXPECT_LE(hi, absl::Seconds(330));
  EXPECT_LT(lo, absl::Seconds(280));  // it does spread
  EXPECT_GT(hi, absl::Seconds(320));
  EXPECT_EQ(NextProbeDelay(absl::Minutes(5), 0.0, gen), absl::Minutes(5));
}

TEST(RunProbesTest, TimesComeFromTheInjectedClock) {
  ManualClock clock(absl::FromUnixSeconds(1795766400));
  ProbeRunnerOptions o;
  o.host = "EX01";
  o.realm = "LAB.TEST";
  v1::ProbeResults r = RunProbes(o, ProbeTargets{}, clock);
  EXPECT_EQ(FromProto(r.started_host_time()), absl::FromUnixSeconds(1795766400));
  EXPECT_EQ(r.host(), "EX01");
  EXPECT_EQ(FromProto(r.attempt_timeout()), absl::Seconds(3));
  EXPECT_EQ(r.kdc_size(), 0);
}

}  // namespace
}  // namespace kerbside::agent::probes
