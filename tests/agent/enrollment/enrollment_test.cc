#include "agent/enrollment/enrollment.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "agent/enrollment/key_request.h"
#include "agent/sources/command.h"
#include "common/clock.h"
#include "gtest/gtest.h"

namespace kerbside::agent {
namespace {

namespace fs = std::filesystem;

// The enrollment runs the real flow against fake_certreq.sh, which signs requests with a CA made
// here (openssl) the way an AD CS enterprise CA would: certreq itself needs Windows and a domain.
class EnrollerTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(testing::TempDir()) /
            absl::StrCat("enroll-", testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "ca");
    const std::string ca = (root_ / "ca").string();
    ASSERT_EQ(std::system(absl::StrCat("openssl req -x509 -newkey rsa:2048 -nodes -keyout '", ca,
                                       "/ca.key' -out '", ca,
                                       "/ca.crt' -days 30 -subj '/CN=Test Issuing CA' "
                                       "2>/dev/null")
                              .c_str()),
              0);
    setenv("FAKE_CA_DIR", ca.c_str(), 1);
  }
  void Mode(const std::string& mode) { std::ofstream(root_ / "ca" / "mode") << mode; }
  void Days(int days) { std::ofstream(root_ / "ca" / "days") << days; }
  int Calls() {
    std::ifstream in(root_ / "ca" / "calls");
    int n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  }
  Enroller Make() {
    EnrollmentSettings s;
    s.template_name = "KerbsideExchangeAgent";
    s.ca = "ca01.contoso.com\\Contoso Issuing CA";
    s.command = KERBSIDE_FAKE_CERTREQ;
    s.dir = (root_ / "tls").string();
    s.timeout = absl::Seconds(30);
    return Enroller(
        s, "EX01", "ex01.contoso.com", &clock_,
        [](const std::vector<std::string>& argv, absl::Duration t) { return RunCommand(argv, t); });
  }
  std::string Read(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path root_;
  // The CA (openssl) dates certificates by the real time, to the second; AD CS backdates them
  // (10 minutes by default). The tests' clock runs a little ahead of the real one to match.
  ManualClock clock_{RealClock().Now() + absl::Minutes(1)};
};

TEST_F(EnrollerTest, EnrollsOnceThenUsesWhatItHas) {
  Enroller e = Make();
  auto first = e.Ensure();
  ASSERT_TRUE(first.ok()) << first.status();
  auto cert = ParseCertificatePem(Read(first->cert_path));
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(cert->template_name, "KerbsideExchangeAgent");
  EXPECT_TRUE(CheckCertificateCoversHost(*cert, "EX01", "ex01.contoso.com").ok());
  EXPECT_TRUE(CheckKeyMatchesCertificate(Read(first->key_path), Read(first->cert_path)).ok());
  // Renewal two thirds into the lifetime (365 days by default).
  EXPECT_GT(first->renew_at, clock_.Now() + absl::Hours(24 * 200));
  EXPECT_LT(first->renew_at, clock_.Now() + absl::Hours(24 * 250));
  EXPECT_FALSE(fs::exists(root_ / "tls" / "request.key"));
  EXPECT_EQ(Calls(), 1);

  auto again = Make().Ensure();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(Calls(), 1);  // nothing asked of the CA
  EXPECT_EQ(again->renew_at, first->renew_at);
}

TEST_F(EnrollerTest, RenewsWithANewKeyWhenDue) {
  Days(3);
  Enroller e = Make();
  auto first = e.Ensure();
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string old_key = Read(first->key_path);
  clock_.Set(clock_.Now() + absl::Hours(60));  // past 2/3 of 3 days
  auto renewed = e.Ensure();
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(Calls(), 2);
  EXPECT_NE(Read(renewed->key_path), old_key);
  EXPECT_TRUE(CheckKeyMatchesCertificate(Read(renewed->key_path), Read(renewed->cert_path)).ok());
}

TEST_F(EnrollerTest, AFailedRenewalKeepsTheWorkingCertificate) {
  Days(3);
  Enroller e = Make();
  auto first = e.Ensure();
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string cert = Read(first->cert_path);
  Mode("unreachable");
  clock_.Set(clock_.Now() + absl::Hours(60));
  auto kept = e.Ensure();
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(Read(kept->cert_path), cert);
  EXPECT_EQ(kept->renew_at, clock_.Now() + absl::Hours(1));  // tried again in an hour
}

TEST_F(EnrollerTest, APendingRequestIsCollectedOnceIssued) {
  Mode("pending");
  Enroller e = Make();
  auto pending = e.Ensure();
  ASSERT_FALSE(pending.ok());
  EXPECT_EQ(pending.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(pending.status().message().find("request 42 is pending"), std::string::npos);
  EXPECT_NE(pending.status().message().find("certutil -resubmit 42"), std::string::npos);
  auto still = e.Ensure();  // -retrieve, not a second request
  ASSERT_FALSE(still.ok());
  EXPECT_NE(still.status().message().find("still pending"), std::string::npos);
  std::ofstream(root_ / "ca" / "approve-42") << "";
  auto issued = e.Ensure();
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_TRUE(CheckKeyMatchesCertificate(Read(issued->key_path), Read(issued->cert_path)).ok());
  EXPECT_EQ(Calls(), 3);
  EXPECT_FALSE(fs::exists(root_ / "tls" / "request.id"));
}

TEST_F(EnrollerTest, ACertificateNotValidYetIsWaitedForNotRequestedAgain) {
  clock_.Set(RealClock().Now() - absl::Hours(1));  // this host's clock behind the CA's
  Enroller e = Make();
  auto r = e.Ensure();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("not valid before"), std::string::npos);
  auto again = e.Ensure();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(Calls(), 1);
  clock_.Set(RealClock().Now() + absl::Minutes(1));
  EXPECT_TRUE(e.Ensure().ok());
  EXPECT_EQ(Calls(), 1);
}

TEST_F(EnrollerTest, AnAnswerInAnotherLanguageWithARequestIdIsWaitedFor) {
  Mode("pending-de");
  Enroller e = Make();
  auto r = e.Ensure();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("request 42 is pending"), std::string::npos);
  EXPECT_NE(r.status().message().find("Zertifikatanforderung"), std::string::npos);
  std::ofstream(root_ / "ca" / "approve-42") << "";
  ASSERT_TRUE(e.Ensure().ok());  // retrieved, not requested again
  EXPECT_EQ(Calls(), 2);
}

TEST_F(EnrollerTest, ADenialQuotesThePolicyModule) {
  Mode("deny");
  auto r = Make().Ensure();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("do not allow the current user to enroll"),
            std::string::npos);
  EXPECT_NE(r.status().message().find("KerbsideExchangeAgent"), std::string::npos);
  EXPECT_FALSE(fs::exists(root_ / "tls" / "request.key"));
}

TEST_F(EnrollerTest, AMissingToolIsNamed) {
  EnrollmentSettings s;
  s.template_name = "T";
  s.ca = "ca\\CA";
  s.command = (root_ / "no-such-certreq").string();
  s.dir = (root_ / "tls").string();
  Enroller e(
      s, "EX01", "ex01.contoso.com", &clock_,
      [](const std::vector<std::string>& argv, absl::Duration t) { return RunCommand(argv, t); });
  auto r = e.Ensure();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no-such-certreq"), std::string::npos);
}

// JudgeEnrolledCertificate, branch by branch, on a certificate parsed from PEM.
class JudgeTest : public testing::Test {
 protected:
  CertificateIdentity Cert() {
    CertificateIdentity c;
    c.common_name = "ex01.contoso.com";
    c.dns_names = {"ex01.contoso.com", "EX01"};
    c.not_before = absl::FromUnixSeconds(1'700'000'000);
    c.not_after = c.not_before + absl::Hours(24 * 300);
    return c;
  }
  EnrolledCertificateState Judge(const absl::StatusOr<CertificateIdentity>& c, absl::Time now,
                                 absl::Status key = absl::OkStatus()) {
    return JudgeEnrolledCertificate(c, key, "EX01", "ex01.contoso.com", now, 2.0 / 3.0);
  }
};

TEST_F(JudgeTest, FreshIsUsableUntilTwoThirds) {
  const CertificateIdentity c = Cert();
  auto s = Judge(c, c.not_before + absl::Hours(24));
  EXPECT_EQ(s.need, EnrolledCertificateState::Need::kNone);
  EXPECT_TRUE(s.usable);
  EXPECT_EQ(s.renew_at, c.not_before + absl::Hours(24 * 200));
  auto due = Judge(c, c.not_before + absl::Hours(24 * 201));
  EXPECT_EQ(due.need, EnrolledCertificateState::Need::kRenewal);
  EXPECT_TRUE(due.usable);
}

TEST_F(JudgeTest, NotYetValidWaitsAndExpiredOtherHostWrongKeyOrMissingMeanEnrollment) {
  const CertificateIdentity c = Cert();
  auto early = Judge(c, c.not_before - absl::Hours(1));
  EXPECT_EQ(early.need, EnrolledCertificateState::Need::kWait);  // no new request: wait for it
  EXPECT_FALSE(early.usable);
  EXPECT_NE(early.reason.find("not valid before"), std::string::npos);
  for (const auto& s :
       {Judge(c, c.not_after + absl::Seconds(1)),
        Judge(c, c.not_before + absl::Hours(1), absl::FailedPreconditionError("other key")),
        Judge(absl::NotFoundError("agent.crt"), c.not_before)}) {
    EXPECT_EQ(s.need, EnrolledCertificateState::Need::kEnrollment) << s.reason;
    EXPECT_FALSE(s.usable) << s.reason;
    EXPECT_FALSE(s.reason.empty());
  }
  CertificateIdentity other = Cert();
  other.common_name = "ex02.contoso.com";
  other.dns_names = {"ex02.contoso.com"};
  auto s = Judge(other, other.not_before + absl::Hours(1));
  EXPECT_FALSE(s.usable);
  EXPECT_NE(s.reason.find("another host"), std::string::npos);
}

TEST(KeyRequestTest, TheRequestNamesTheHostAndMatchesItsKey) {
  auto kr = MakeKeyAndRequest("ex01.contoso.com", "EX01");
  ASSERT_TRUE(kr.ok()) << kr.status();
  EXPECT_NE(kr->key_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
  EXPECT_NE(kr->csr_pem.find("BEGIN CERTIFICATE REQUEST"), std::string::npos);
  EXPECT_FALSE(MakeKeyAndRequest("", "EX01").ok());
  auto other = MakeKeyAndRequest("ex01.contoso.com", "EX01");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->key_pem, kr->key_pem);
}

}  // namespace
}  // namespace kerbside::agent
