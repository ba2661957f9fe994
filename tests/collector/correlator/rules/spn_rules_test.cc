// spn_missing and spn_duplicate on what a DC agent reads from its directory
// (computer-accounts.json: every account holding an SMTPSVC/ or SMTP/ SPN, as that DC serves
// it), one branch per test. Found in the lab (tests/lab/org_faults_test.sh): the directory reads
// were not used by either rule, so a duplicate looked like a missing SPN.
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "collector/correlator/clock_graph.h"
#include "collector/correlator/fleet_index.h"
#include "collector/correlator/pair_matrix.h"
#include "collector/correlator/rules/rule.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kerbside::correlator {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

class SpnRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto [name, ip, role] : {std::tuple{"DC01", "10.1.1.1", v1::ROLE_DC},
                                  std::tuple{"EX01", "10.1.1.11", v1::ROLE_EXCHANGE},
                                  std::tuple{"EX02", "10.1.1.12", v1::ROLE_EXCHANGE}}) {
      model::HostEvidence& h = fleet_.hosts[name];
      h.name = name;
      h.has_identity = true;
      h.identity.set_netbios_name(name);
      h.identity.set_fqdn(absl::AsciiStrToLower(std::string(name)) + ".contoso.com");
      h.identity.set_role(role);
      h.identity.add_ips(ip);
    }
    // EX01's queue to EX02 fails with the KB's error.
    v1::Evidence q = Item("EX01");
    v1::Queue* queue = q.mutable_queues()->add_queues();
    queue->set_identity("EX01\\7");
    queue->set_status("Retry");
    queue->set_message_count(9);
    queue->set_next_hop_domain("ex02.contoso.com");
    queue->mutable_last_error()->set_failure_class(v1::LastError::AUTH_TEMPORARY);
    queue->mutable_last_error()->set_target_fqdn("ex02.contoso.com");
    fleet_.hosts["EX01"].evidence.push_back(q);
  }

  v1::Evidence Item(const std::string& host) {
    v1::Evidence e;
    e.set_host(host);
    e.set_source("test");
    e.mutable_observed_host_time()->set_seconds(absl::ToUnixSeconds(kNow) - 60);
    return e;
  }
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

  CauseResult Judge(const char* cause) {
    index_ = std::make_unique<FleetIndex>(fleet_, kNow, absl::Hours(24));
    matrix_ = std::make_unique<PairMatrix>(*index_);
    clocks_ = std::make_unique<ClockGraph>(*index_, absl::Minutes(5));
    group_ = FailureGroup{};
    for (const auto& [key, p] : matrix_->failing()) group_.pairs.push_back(&p);
    group_.senders = {"EX01"};
    group_.targets = {"EX02"};
    for (const Rule* r : Rules()) {
      if (std::string(r->cause()) == cause) {
        return r->Evaluate(
            RuleContext{*index_, *matrix_, *clocks_, group_, absl::Minutes(5), &memo_});
      }
    }
    ADD_FAILURE() << "no rule " << cause;
    return {};
  }

  const std::vector<std::string> kEx02Spns = {"HOST/EX02", "SMTPSVC/EX02",
                                              "SMTPSVC/ex02.contoso.com"};
  model::FleetModel fleet_;
  std::unique_ptr<FleetIndex> index_;
  std::unique_ptr<PairMatrix> matrix_;
  std::unique_ptr<ClockGraph> clocks_;
  FailureGroup group_;
  FleetMemo memo_;
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
