// spn_missing and spn_duplicate on what a DC agent reads from its directory
// (computer-accounts.json: every account holding an SMTPSVC/ or SMTP/ SPN, as that DC serves
// it), one branch per test. Found in the lab (tests/lab/org_faults_test.sh): the directory reads
// were not used by either rule, so a duplicate looked like a missing SPN.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "tests/collector/correlator/rules/rule_test_fleet.h"

namespace kerbside::correlator {
namespace {

using ::testing::HasSubstr;

class SpnRulesTest : public RuleTestFleet {
 protected:
  // A directory read on `on`: EX02$ with `ex02_spns`, and svc-relay with `svc_spns`.
  void DirectoryRead(const std::string& on, std::vector<std::string> ex02_spns,
                     std::vector<std::string> svc_spns) {
    v1::Evidence e = Item(on);
    e.set_origin("computer-accounts.json");
    auto add = [&](const std::string& sam, const std::string& dn,
                   const std::vector<std::string>& spns) {
      v1::ComputerAccount* a = e.mutable_computer_accounts()->add_accounts();
      a->set_sam_account_name(sam);
      a->set_dn(dn);
      a->set_read_from_dc("dc01.contoso.com");
      a->set_key_version_number(2);
      for (const std::string& s : spns) a->add_spns(s);
    };
    add("EX02$", "CN=EX02,CN=Computers,DC=contoso,DC=com", ex02_spns);
    if (!svc_spns.empty()) add("svc-relay", "CN=svc-relay,CN=Users,DC=contoso,DC=com", svc_spns);
    fleet_.hosts[on].evidence.push_back(e);
  }
  // EX01's ticket probe for SMTPSVC/ex02.contoso.com answered KDC_ERR_S_PRINCIPAL_UNKNOWN.
  void PrincipalUnknown() {
    v1::Evidence e = Item("EX01");
    v1::TicketProbe* t = e.mutable_probes()->add_tickets();
    t->set_service_principal("SMTPSVC/ex02.contoso.com@CONTOSO.COM");
    t->set_krb_error_code(7);
    t->set_kdc("10.1.1.1:88");
    fleet_.hosts["EX01"].evidence.push_back(e);
  }

  const std::vector<std::string> kEx02Spns = {"HOST/EX02", "SMTPSVC/EX02",
                                              "SMTPSVC/ex02.contoso.com"};
};

TEST_F(SpnRulesTest, DuplicateInADcsDirectoryReadIsConfirmedByTheKdcRefusingIt) {
  DirectoryRead("DC01", kEx02Spns, {"SMTPSVC/ex02.contoso.com"});
  PrincipalUnknown();
  const CauseResult r = Judge(kSpnDuplicate);
  EXPECT_EQ(r.state, CauseResult::State::kSupported);
  EXPECT_EQ(r.confidence, Confidence::kConfirmed);
  EXPECT_EQ(r.blamed_host, "EX02");
  EXPECT_THAT(r.summary, HasSubstr("also on CN=svc-relay,CN=Users,DC=contoso,DC=com"));
  EXPECT_THAT(r.remediation.front(), HasSubstr("setspn -D smtpsvc/ex02.contoso.com SVC-RELAY"));
}

TEST_F(SpnRulesTest, DuplicateWithoutTheKdcsAnswerIsLikely) {
  DirectoryRead("DC01", kEx02Spns, {"SMTPSVC/ex02.contoso.com"});
  EXPECT_EQ(Judge(kSpnDuplicate).confidence, Confidence::kLikely);
}

TEST_F(SpnRulesTest, ADirectoryReadWithoutAnotherHolderRulesTheDuplicateOut) {
  DirectoryRead("DC01", kEx02Spns, {});
  const CauseResult r = Judge(kSpnDuplicate);
  EXPECT_EQ(r.state, CauseResult::State::kRuledOut);
  EXPECT_THAT(r.summary, HasSubstr("no SMTPSVC/ or SMTP/ SPN of EX02 is on another account"));
}

// Only a DC speaks for the directory: the same file from an Exchange server is not a view.
TEST_F(SpnRulesTest, ADirectoryReadFromAHostThatIsNoDcIsNotAView) {
  DirectoryRead("EX01", kEx02Spns, {"SMTPSVC/ex02.contoso.com"});
  EXPECT_EQ(Judge(kSpnDuplicate).state, CauseResult::State::kNotChecked);
  EXPECT_EQ(Judge(kSpnMissing).state, CauseResult::State::kNotChecked);
}

TEST_F(SpnRulesTest, MissingInTheDirectoryAndUnknownToTheKdcIsConfirmed) {
  DirectoryRead("DC01", {"HOST/EX02"}, {});
  PrincipalUnknown();
  const CauseResult r = Judge(kSpnMissing);
  EXPECT_EQ(r.state, CauseResult::State::kSupported);
  EXPECT_EQ(r.confidence, Confidence::kConfirmed);
  EXPECT_THAT(r.summary, HasSubstr("lacks SMTPSVC/EX02 and SMTPSVC/ex02.contoso.com"));
}

// Every DC serves the SPNs yet the KDC refuses them: something else (a duplicate) is at work.
TEST_F(SpnRulesTest, TheKdcRefusingSpnsEveryDcServesIsOnlyALeadForMissing) {
  DirectoryRead("DC01", kEx02Spns, {"SMTPSVC/ex02.contoso.com"});
  PrincipalUnknown();
  const CauseResult r = Judge(kSpnMissing);
  EXPECT_EQ(r.state, CauseResult::State::kSupported);
  EXPECT_EQ(r.confidence, Confidence::kPossible);
  EXPECT_THAT(r.summary, HasSubstr("every DC's view (DC01) shows them"));
}

TEST_F(SpnRulesTest, ADirectoryReadShowingTheSpnsRulesMissingOut) {
  DirectoryRead("DC01", kEx02Spns, {});
  EXPECT_EQ(Judge(kSpnMissing).state, CauseResult::State::kRuledOut);
}

}  // namespace
}  // namespace kerbside::correlator
