#include "common/identity.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_tls.h"
#include "gtest/gtest.h"

namespace kerbside {
namespace {

CertificateIdentity HostCert() {
  CertificateIdentity c;
  c.subject = "/O=kerbside/OU=kerbside-host/CN=ex01.contoso.com";
  c.common_name = "ex01.contoso.com";
  c.dns_names = {"ex01.contoso.com", "ex01"};
  c.role = CertificateRole::kHost;
  return c;
}

TEST(CheckCertificateCoversHostTest, AcceptsShortNameAndFqdnInAnyCase) {
  EXPECT_TRUE(CheckCertificateCoversHost(HostCert(), "EX01", "ex01.contoso.com").ok());
  EXPECT_TRUE(CheckCertificateCoversHost(HostCert(), "ex01", "EX01.CONTOSO.COM.").ok());
}

TEST(CheckCertificateCoversHostTest, NetbiosNameMayComeFromTheFqdnOnTheCertificate) {
  CertificateIdentity c = HostCert();
  c.dns_names = {"ex01.contoso.com"};
  EXPECT_TRUE(CheckCertificateCoversHost(c, "EX01", "ex01.contoso.com").ok());
}

TEST(CheckCertificateCoversHostTest, RefusesAnotherHostAndNamesBoth) {
  absl::Status s = CheckCertificateCoversHost(HostCert(), "EX02", "ex02.contoso.com");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("EX02"), std::string::npos);
  EXPECT_NE(s.message().find("ex01.contoso.com"), std::string::npos);
}

TEST(CheckCertificateCoversHostTest, RefusesMixingNamesOfTheCertificate) {
  // The FQDN is right but the NetBIOS name claims another host.
  CertificateIdentity c = HostCert();
  c.dns_names.push_back("ex02");
  EXPECT_FALSE(CheckCertificateCoversHost(c, "EX02", "ex01.contoso.com").ok());
}

TEST(CheckCertificateCoversHostTest, RefusesSameLabelInAnotherDomain) {
  EXPECT_FALSE(CheckCertificateCoversHost(HostCert(), "EX01", "ex01.fabrikam.com").ok());
}

TEST(CheckCertificateCoversHostTest, RefusesEmptyNames) {
  EXPECT_FALSE(CheckCertificateCoversHost(HostCert(), "", "ex01.contoso.com").ok());
  EXPECT_FALSE(CheckCertificateCoversHost(HostCert(), "EX01", "").ok());
}

TEST(ParseCertificatePemTest, ReadsHostCertificateMadeByOurPki) {
  auto pem = ReadFileToString(KERBSIDE_TEST_DATA "/pki/host-ex01.crt");
  ASSERT_TRUE(pem.ok()) << pem.status();
  auto c = ParseCertificatePem(*pem);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->common_name, "ex01.contoso.com");
  EXPECT_EQ(c->role, CertificateRole::kHost);
  EXPECT_EQ(c->dns_names, (std::vector<std::string>{"ex01.contoso.com", "ex01"}));
  // Backdated by the PKI script so a host whose clock is behind can still connect.
  EXPECT_GE(c->not_after - c->not_before, absl::Hours(24 * 800));
  EXPECT_TRUE(CheckCertificateCoversHost(*c, "EX01", "ex01.contoso.com").ok());
}

v1::HostIdentity Claim(v1::Role role, bool pdc = false) {
  v1::HostIdentity id;
  id.set_role(role);
  id.set_pdc_emulator(pdc);
  return id;
}

// Issue 12: the role is the certificate's, never the hello's.
TEST(CheckCertificateGrantsRoleTest, TheHelloMayClaimOnlyWhatTheCertificateGrants) {
  auto ex01 = ParseCertificatePem(*ReadFileToString(KERBSIDE_TEST_DATA "/pki/host-ex01.crt"));
  auto dc01 = ParseCertificatePem(*ReadFileToString(KERBSIDE_TEST_DATA "/pki/host-dc01.crt"));
  auto old =
      ParseCertificatePem(*ReadFileToString(KERBSIDE_TEST_DATA "/pki/host-ex01-no-role.crt"));
  ASSERT_TRUE(ex01.ok() && dc01.ok() && old.ok());
  EXPECT_EQ(ex01->host_role, v1::ROLE_EXCHANGE);
  EXPECT_EQ(dc01->host_role, v1::ROLE_DC);
  EXPECT_EQ(old->host_role, v1::ROLE_UNSPECIFIED);

  EXPECT_TRUE(CheckCertificateGrantsRole(*ex01, Claim(v1::ROLE_EXCHANGE)).ok());
  EXPECT_TRUE(CheckCertificateGrantsRole(*dc01, Claim(v1::ROLE_DC, /*pdc=*/true)).ok());
  absl::Status forged = CheckCertificateGrantsRole(*ex01, Claim(v1::ROLE_DC, /*pdc=*/true));
  EXPECT_TRUE(absl::IsPermissionDenied(forged));
  EXPECT_NE(forged.message().find("hello claims role dc but certificate"), std::string::npos)
      << forged;
  EXPECT_NE(forged.message().find("grants exchange"), std::string::npos) << forged;
  // The PDC claim needs the DC role even when the role itself is not disputed.
  auto pdc = CheckCertificateGrantsRole(*ex01, Claim(v1::ROLE_EXCHANGE, /*pdc=*/true));
  EXPECT_NE(pdc.message().find("PDC emulator"), std::string::npos) << pdc;
  // No role claimed, or a certificate that grants none: refused, saying how to issue one.
  EXPECT_FALSE(CheckCertificateGrantsRole(*ex01, Claim(v1::ROLE_UNSPECIFIED)).ok());
  auto none = CheckCertificateGrantsRole(*old, Claim(v1::ROLE_EXCHANGE));
  EXPECT_NE(none.message().find("grants no role"), std::string::npos) << none;
}

TEST(ParseCertificatePemTest, ReadsOperatorRole) {
  auto pem = ReadFileToString(KERBSIDE_TEST_DATA "/pki/operator.crt");
  ASSERT_TRUE(pem.ok());
  auto c = ParseCertificatePem(*pem);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->role, CertificateRole::kOperator);
  EXPECT_FALSE(CheckCertificateCoversHost(*c, "ONCALL", "oncall.contoso.com").ok());
}

TEST(ParseCertificatePemTest, RejectsGarbage) {
  auto c = ParseCertificatePem("-----BEGIN CERTIFICATE-----\nnot base64\n");
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReadFileToStringTest, NamesTheMissingFile) {
  auto r = ReadFileToString("/nonexistent/kerbside.crt");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent/kerbside.crt"), std::string::npos);
}

TEST(ClockOutsideValidityTest, SaysWhichWayTheClockIsOff) {
  CertificateIdentity c = HostCert();
  c.not_before = absl::FromUnixSeconds(1'700'000'000);
  c.not_after = c.not_before + absl::Hours(24 * 365);
  EXPECT_EQ(ClockOutsideValidity("cert", c, c.not_before + absl::Hours(1)), "");
  std::string behind = ClockOutsideValidity("cert", c, c.not_before - absl::Hours(3));
  EXPECT_NE(behind.find("behind by at least 3h"), std::string::npos) << behind;
  std::string ahead = ClockOutsideValidity("cert", c, c.not_after + absl::Minutes(7));
  EXPECT_NE(ahead.find("ahead by at least 7m"), std::string::npos) << ahead;
}

CertificateIdentity AdcsCert(const char* file) {
  auto pem = ReadFileToString(absl::StrCat(KERBSIDE_TEST_DATA "/pki/", file));
  EXPECT_TRUE(pem.ok()) << pem.status();
  auto c = ParseCertificatePem(*pem);
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

TEST(CertificateTemplateTest, ReadsTheVersion1TemplateName) {
  CertificateIdentity c = AdcsCert("adcs-ex01-v1-template.crt");
  EXPECT_EQ(c.template_name, "KerbsideExchangeAgent");
  EXPECT_EQ(c.template_oid, "");
  EXPECT_EQ(c.role, CertificateRole::kUnknown);  // no kerbside OU
}

TEST(CertificateTemplateTest, ReadsTheVersion2TemplateOid) {
  CertificateIdentity c = AdcsCert("adcs-dc01-v2-template.crt");
  EXPECT_EQ(c.template_name, "");
  EXPECT_EQ(c.template_oid, "1.3.6.1.4.1.311.21.8.8135771.14412345.7716143.5822468.1.2");
}

TEST(CertificateTemplateTest, FleetCertificatesNameNoTemplate) {
  CertificateIdentity c = AdcsCert("host-ex01.crt");
  EXPECT_EQ(c.template_name, "");
  EXPECT_EQ(c.template_oid, "");
}

TEST(ApplyTemplateRolesTest, AMappedTemplateMakesAHostCertificateOfItsRole) {
  std::vector<TemplateRole> map = {
      *ParseTemplateRole("kerbsideexchangeagent=exchange"),
      *ParseTemplateRole("1.3.6.1.4.1.311.21.8.8135771.14412345.7716143.5822468.1.2=dc")};
  CertificateIdentity ex = AdcsCert("adcs-ex01-v1-template.crt");
  ApplyTemplateRoles(map, &ex);
  EXPECT_EQ(ex.role, CertificateRole::kHost);
  EXPECT_EQ(ex.host_role, v1::ROLE_EXCHANGE);
  EXPECT_TRUE(CheckCertificateCoversHost(ex, "EX01", "ex01.contoso.com").ok());
  CertificateIdentity dc = AdcsCert("adcs-dc01-v2-template.crt");
  ApplyTemplateRoles(map, &dc);
  EXPECT_EQ(dc.role, CertificateRole::kHost);
  EXPECT_EQ(dc.host_role, v1::ROLE_DC);
}

TEST(ApplyTemplateRolesTest, AnUnmappedTemplateStaysUnknown) {
  CertificateIdentity ex = AdcsCert("adcs-ex01-v1-template.crt");
  ApplyTemplateRoles({*ParseTemplateRole("WebServer=exchange")}, &ex);
  EXPECT_EQ(ex.role, CertificateRole::kUnknown);
  EXPECT_EQ(ex.host_role, v1::ROLE_UNSPECIFIED);
}

TEST(ApplyTemplateRolesTest, ATemplateMappedToTwoRolesGrantsNeither) {
  CertificateIdentity ex = AdcsCert("adcs-ex01-v1-template.crt");
  ApplyTemplateRoles({*ParseTemplateRole("KerbsideExchangeAgent=exchange"),
                      *ParseTemplateRole("KerbsideExchangeAgent=dc")},
                     &ex);
  EXPECT_EQ(ex.role, CertificateRole::kHost);
  EXPECT_EQ(ex.host_role, v1::ROLE_UNSPECIFIED);
}

TEST(ApplyTemplateRolesTest, AKerbsideOuWinsOverATemplate) {
  CertificateIdentity c = HostCert();
  c.host_role = v1::ROLE_DC;
  c.template_name = "KerbsideExchangeAgent";
  ApplyTemplateRoles({*ParseTemplateRole("KerbsideExchangeAgent=exchange")}, &c);
  EXPECT_EQ(c.host_role, v1::ROLE_DC);
}

TEST(ParseTemplateRoleTest, NamesTheBadValue) {
  EXPECT_EQ(ParseTemplateRole("KerbsideExchangeAgent").status().code(),
            absl::StatusCode::kInvalidArgument);
  auto bad = ParseTemplateRole("KerbsideExchangeAgent=mailbox");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("mailbox"), std::string::npos);
  EXPECT_FALSE(ParseTemplateRole("=dc").ok());
}

}  // namespace
}  // namespace kerbside
