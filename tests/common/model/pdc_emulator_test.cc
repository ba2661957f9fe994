#include "common/model/pdc_emulator.h"

#include "gtest/gtest.h"

namespace kerbside::model {
namespace {

HostEvidence Host(const std::string& name, v1::Role role, bool claims,
                  const std::string& reads_pdc = "") {
  HostEvidence h;
  h.name = name;
  h.identity.set_netbios_name(name);
  h.identity.set_role(role);
  h.identity.set_pdc_emulator(claims);
  if (!reads_pdc.empty()) {
    v1::Evidence e;
    e.set_host(name);
    e.mutable_domain_roles()->set_pdc_emulator(reads_pdc);
    e.mutable_domain_roles()->set_read_from_dc(name);
    h.evidence.push_back(e);
  }
  return h;
}

TEST(PdcEmulatorTest, NothingKnown) {
  EXPECT_EQ(ChoosePdcEmulator({}, {}).host, "");
  EXPECT_EQ(ChoosePdcEmulator({}, {}).reason, "no PDC emulator known and none configured");
}

TEST(PdcEmulatorTest, MajorityOfReportsAndContradictedClaims) {
  const PdcChoice c = ChoosePdcEmulator(
      {{"DC01", "DC01", false}, {"DC02", "dc01", false}, {"DC03", "DC03", false}}, {"DC03"});
  EXPECT_EQ(c.host, "DC01");
  EXPECT_NE(c.reason.find("DC01, DC02 read DC01; DC03 read DC03"), std::string::npos) << c.reason;
  EXPECT_NE(c.reason.find("not believed: DC03 claims the role"), std::string::npos) << c.reason;
}

TEST(PdcEmulatorTest, TieGoesToTheFirstNameSoTheChoiceIsStable) {
  EXPECT_EQ(ChoosePdcEmulator({{"DC02", "DC02", false}, {"DC01", "DC01", false}}, {}).host, "DC01");
}

// A bundle or live model: only DC-role hosts' reports and claims count (issue 12: an Exchange
// server cannot name the PDC emulator, itself or another).
TEST(PdcEmulatorTest, OnlyDcsSpeakInAModel) {
  FleetModel fleet;
  fleet.hosts["DC01"] = Host("DC01", v1::ROLE_DC, false, "DC01");
  fleet.hosts["EX01"] = Host("EX01", v1::ROLE_EXCHANGE, true, "EX01");
  fleet.hosts["DC02"] = Host("DC02", v1::ROLE_DC, true, "");
  const std::vector<PdcReport> reports = PdcReportsIn(fleet);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].dc, "DC01");
  // The walk the correlator makes: the same reports, and only the DC's claim.
  std::vector<PdcReport> walked;
  std::vector<std::string> claims;
  for (const auto& [key, host] : fleet.hosts) AddPdcEvidence(key, host, walked, claims);
  ASSERT_EQ(walked.size(), 1u);
  EXPECT_EQ(walked[0].dc, "DC01");
  EXPECT_EQ(claims, std::vector<std::string>{"DC02"});
  const PdcChoice c = ChoosePdcEmulator(reports, claims);
  EXPECT_EQ(c.host, "DC01");
  EXPECT_NE(c.reason.find("DC02 claims the role"), std::string::npos) << c.reason;
}

}  // namespace
}  // namespace kerbside::model
