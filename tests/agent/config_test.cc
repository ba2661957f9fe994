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

TEST(ValidateAgentFlagsTest, EnrollmentTakesThePlaceOfCertAndKey) {
  AgentFlags f = Good();
  f.cert.clear();
  f.key.clear();
  f.enroll_template = "KerbsideExchangeAgent";
  f.enroll_ca = "ca01.contoso.com\\Contoso Issuing CA";
  f.enroll_command = "certreq.exe";
  f.enroll_dir = "C:\\ProgramData\\Kerbside\\tls";
  auto c = ValidateAgentFlags(f);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->enrollment.template_name, "KerbsideExchangeAgent");
  EXPECT_EQ(c->enrollment.ca, "ca01.contoso.com\\Contoso Issuing CA");
  EXPECT_EQ(c->tls.cert_file, "");  // filled in once enrolled
  EXPECT_EQ(Good().enroll_template, "");
  EXPECT_EQ(ValidateAgentFlags(Good())->enrollment.template_name, "");
}

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
      // Enrollment replaces cert and key, needs its CA, and its keys need enroll_template.
      {"cert",
       [](AgentFlags& f) {
         f.enroll_template = "KerbsideExchangeAgent";
         f.enroll_ca = "ca\\CA";
         f.enroll_command = "certreq.exe";
         f.enroll_dir = "tls";
       }},
      {"enroll_ca",
       [](AgentFlags& f) {
         f.cert.clear();
         f.key.clear();
         f.enroll_template = "KerbsideExchangeAgent";
         f.enroll_command = "certreq.exe";
         f.enroll_dir = "tls";
       }},
      {"enroll_ca", [](AgentFlags& f) { f.enroll_ca = "ca\\CA"; }},
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

TEST(ValidateProbeFlagsTest, ParsesTargetsAndNamesBadKeys) {
  AgentFlags f = Good();
  f.realm = "CONTOSO.COM";
  f.kdcs = {"dc01.contoso.com", "10.1.1.10:1088"};
  f.peers = {"EX02.contoso.com", "ex03.contoso.com=10.1.1.13"};
  f.keytab = "/etc/krb5.keytab";
  auto p = ValidateProbeFlags(f, /*require_targets=*/true);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->targets.kdcs.size(), 2u);
  EXPECT_EQ(p->targets.kdcs[0].port, 88);
  EXPECT_EQ(p->targets.kdcs[1].port, 1088);
  EXPECT_EQ(p->targets.peers[0].name, "ex02.contoso.com");
  EXPECT_EQ(p->targets.peers[1].host, "10.1.1.13");
  EXPECT_EQ(p->runner.smtp_ports, (std::vector<int>{25, 2525}));
  EXPECT_EQ(p->runner.attempt_timeout, absl::Seconds(3));
  EXPECT_EQ(p->interval, absl::Minutes(5));

  const BadCase cases[] = {
      {"realm", [](AgentFlags& f) { f.realm.clear(); }},
      {"realm", [](AgentFlags& f) { f.realm = "CONTOSO COM"; }},
      {"kdc", [](AgentFlags& f) { f.kdcs = {"dc01:99999"}; }},
      {"peer", [](AgentFlags& f) { f.peers = {"=10.1.1.1"}; }},
      {"smtp_ports", [](AgentFlags& f) { f.smtp_ports = "25,x"; }},
      {"probe_interval", [](AgentFlags& f) { f.probe_interval = "soon"; }},
      {"probe_attempt_timeout", [](AgentFlags& f) { f.probe_attempt_timeout = "5m"; }},
      {"probe_concurrency", [](AgentFlags& f) { f.probe_concurrency = "0"; }},
      {"host_principal",
       [](AgentFlags& f) {
         f.keytab.clear();
         f.host_principal = "EX01$";
       }},
  };
  for (const BadCase& bc : cases) {
    AgentFlags g = f;
    bc.mutate(g);
    auto r = ValidateProbeFlags(g, /*require_targets=*/true);
    ASSERT_FALSE(r.ok()) << bc.key;
    EXPECT_EQ(r.status().message().substr(0, strlen(bc.key) + 1), std::string(bc.key) + ":")
        << r.status();
  }
  AgentFlags none = Good();
  none.realm = "CONTOSO.COM";
  EXPECT_FALSE(ValidateProbeFlags(none, /*require_targets=*/true).ok());
  EXPECT_TRUE(ValidateAgentFlags(none).ok());  // the stream alone needs no probe targets
}

}  // namespace
}  // namespace kerbside::agent
