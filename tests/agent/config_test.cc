#include "agent/config.h"

#include "gtest/gtest.h"

namespace kerbside::agent {
namespace {

AgentFlags Good() {
  AgentFlags f;
  f.collector = "collector.contoso.com:7443";
  f.ca = "ca.crt";
  f.cert = "ex01.crt";
  f.key = "ex01.key";
  f.netbios_name = "ex01";
  f.fqdn = "EX01.contoso.com.";
  f.role = "exchange";
  f.site = "HQ";
  f.ips = {"10.1.1.11", "fe80::1"};
  return f;
}

TEST(ValidateAgentFlagsTest, NormalisesNamesAndDerivesDomain) {
  auto c = ValidateAgentFlags(Good());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->identity.netbios_name(), "EX01");
  EXPECT_EQ(c->identity.fqdn(), "ex01.contoso.com");
  EXPECT_EQ(c->identity.domain(), "contoso.com");
  EXPECT_EQ(c->identity.role(), v1::ROLE_EXCHANGE);
  EXPECT_EQ(c->identity.ips_size(), 2);
  EXPECT_EQ(c->heartbeat_interval, absl::Seconds(15));
}

struct BadCase {
  const char* key;
  std::function<void(AgentFlags&)> mutate;
};

TEST(ValidateAgentFlagsTest, NamesTheBadKey) {
  const BadCase cases[] = {
      {"collector", [](AgentFlags& f) { f.collector = "nohostport"; }},
      {"ca", [](AgentFlags& f) { f.ca.clear(); }},
      {"netbios_name", [](AgentFlags& f) { f.netbios_name = "EX01_BAD"; }},
      {"netbios_name", [](AgentFlags& f) { f.netbios_name = "ABCDEFGHIJKLMNOP"; }},
      {"fqdn", [](AgentFlags& f) { f.fqdn = "ex01"; }},
      {"fqdn", [](AgentFlags& f) { f.fqdn = "ex02.contoso.com"; }},
      {"role", [](AgentFlags& f) { f.role = "hub"; }},
      {"pdc_emulator", [](AgentFlags& f) { f.pdc_emulator = true; }},
      {"ip", [](AgentFlags& f) { f.ips = {"10.1.1.300"}; }},
      {"heartbeat_interval", [](AgentFlags& f) { f.heartbeat_interval = "0s"; }},
      {"backoff_max", [](AgentFlags& f) { f.backoff_max = "100ms"; }},
  };
  for (const BadCase& bc : cases) {
    AgentFlags f = Good();
    bc.mutate(f);
    auto c = ValidateAgentFlags(f);
    ASSERT_FALSE(c.ok()) << bc.key;
    EXPECT_EQ(c.status().message().substr(0, strlen(bc.key) + 1), std::string(bc.key) + ":")
        << c.status();
  }
}

TEST(ValidateAgentFlagsTest, PlaintextNeedsNoCertificates) {
  AgentFlags f = Good();
  f.plaintext = true;
  f.ca = f.cert = f.key = "";
  EXPECT_TRUE(ValidateAgentFlags(f).ok());
}

TEST(ValidateAgentFlagsTest, DomainControllerMayHoldPdcEmulator) {
  AgentFlags f = Good();
  f.netbios_name = "DC01";
  f.fqdn = "dc01.contoso.com";
  f.role = "dc";
  f.pdc_emulator = true;
  auto c = ValidateAgentFlags(f);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->identity.pdc_emulator());
}

}  // namespace
}  // namespace kerbside::agent
