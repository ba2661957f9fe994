#include "agent/enrollment/certreq.h"

#include "absl/strings/str_cat.h"
#include "common/identity.h"
#include "gtest/gtest.h"

namespace kerbside::agent {
namespace {

std::string Sample(const char* name) {
  auto text = ReadFileToString(absl::StrCat(KERBSIDE_TEST_DATA "/windows/", name));
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : "";
}

TEST(ParseCertreqOutputTest, IssuedWithTheCasRemark) {
  auto r = ParseCertreqOutput(Sample("certreq-submit-issued.txt"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->disposition, CertreqDisposition::kIssued);
  EXPECT_EQ(r->request_id, "7");
  EXPECT_NE(r->message.find("validity period will be shorter"), std::string::npos);
}

TEST(ParseCertreqOutputTest, PendingKeepsTheRequestId) {
  auto r = ParseCertreqOutput(Sample("certreq-submit-pending.txt"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->disposition, CertreqDisposition::kPending);
  EXPECT_EQ(r->request_id, "12");
  EXPECT_EQ(r->message, "Taken Under Submission (0)");
}

TEST(ParseCertreqOutputTest, DeniedCarriesThePolicyModulesReasonOverItsLines) {
  auto r = ParseCertreqOutput(Sample("certreq-submit-denied.txt"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->disposition, CertreqDisposition::kDenied);
  EXPECT_EQ(r->request_id, "4");
  EXPECT_NE(r->message.find("Denied by Policy Module"), std::string::npos);
  EXPECT_NE(r->message.find("CERTSRV_E_SUBJECT_EMAIL_REQUIRED"), std::string::npos);
}

TEST(ParseCertreqOutputTest, NoDispositionIsUnavailableWithCertreqsWords) {
  auto r = ParseCertreqOutput(Sample("certreq-submit-rpc-unavailable.txt"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("RPC_S_SERVER_UNAVAILABLE"), std::string::npos);
  EXPECT_EQ(ParseCertreqOutput("").status().code(), absl::StatusCode::kUnavailable);
}

TEST(ParseCertreqOutputTest, ARequestIdThatIsNotANumberIsIgnored) {
  auto r = ParseCertreqOutput("RequestId: 12; del x\nCertificate request is pending: Taken\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->request_id, "");
}

TEST(FindCertreqRequestIdTest, FindsTheIdInAnyLanguage) {
  EXPECT_EQ(FindCertreqRequestId("RequestId: 93\r\nRequestId: \"93\"\r\n"
                                 "Zertifikatanforderung ausstehend: Wird bearbeitet (0)\r\n"),
            "93");
  EXPECT_EQ(FindCertreqRequestId(Sample("certreq-submit-rpc-unavailable.txt")), "");
}

TEST(CertreqArgvTest, SubmitIsSilentAndNamesTheTemplate) {
  EXPECT_EQ(
      CertreqSubmitArgv("certreq.exe", "ca01.contoso.com\\Contoso Issuing CA",
                        "KerbsideExchangeAgent", "C:\\tls\\request.csr", "C:\\tls\\issued.crt"),
      (std::vector<std::string>{"certreq.exe", "-submit", "-q", "-f", "-config",
                                "ca01.contoso.com\\Contoso Issuing CA", "-attrib",
                                "CertificateTemplate:KerbsideExchangeAgent", "C:\\tls\\request.csr",
                                "C:\\tls\\issued.crt"}));
  EXPECT_EQ(CertreqRetrieveArgv("certreq.exe", "ca\\CA", "12", "out.crt"),
            (std::vector<std::string>{"certreq.exe", "-retrieve", "-q", "-f", "-config", "ca\\CA",
                                      "12", "out.crt"}));
}

}  // namespace
}  // namespace kerbside::agent
