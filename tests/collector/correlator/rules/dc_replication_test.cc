// dc_replication, one branch per test: DCs whose copies of the target's account differ (with and
// without failing replication of its naming context), failing replication alone, agreement and
// healthy links, and no DC evidence.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "tests/collector/correlator/rules/rule_test_fleet.h"

namespace kerbside::correlator {
namespace {

using ::testing::HasSubstr;

class DcReplicationRuleTest : public RuleTestFleet {
 protected:
  void SetUp() override {
    RuleTestFleet::SetUp();
    Host("DC02", v1::ROLE_DC, "10.1.1.2");
  }
  // `dc`'s directory read of EX02$: its key version number.
  void AccountCopy(const std::string& dc, int64_t kvno) {
    v1::Evidence e = Item(dc);
    e.set_origin("computer-accounts.json");
    v1::ComputerAccount* a = e.mutable_computer_accounts()->add_accounts();
    a->set_sam_account_name("EX02$");
    a->set_dn("CN=EX02,CN=Computers,DC=contoso,DC=com");
    a->set_read_from_dc(absl::AsciiStrToLower(dc) + ".contoso.com");
    a->set_key_version_number(kvno);
    a->add_spns("SMTPSVC/EX02");
    a->add_spns("SMTPSVC/ex02.contoso.com");
    Add(e);
  }
  // DC02's inbound link of `nc` from DC01, failing `failures` times with 1722.
  void Link(const std::string& nc, int failures) {
    v1::Evidence e = Item("DC02");
    e.set_origin("drs-showrepl.json");
    v1::ReplicationLink* l = e.mutable_replication()->add_links();
    l->set_destination_dsa("DC02");
    l->set_source_dsa("DC01");
    l->set_naming_context(nc);
    l->set_direction(v1::ReplicationLink::INBOUND);
    l->set_consecutive_failures(failures);
    l->set_last_failure_status(failures > 0 ? 1722 : 0);
    Add(e);
  }
  CauseResult Judge() { return RuleTestFleet::Judge(kDcReplication); }
};

TEST_F(DcReplicationRuleTest, AStaleCopyWithFailingReplicationIsConfirmed) {
  AccountCopy("DC01", 4);
  AccountCopy("DC02", 2);
  Link("DC=contoso,DC=com", 3);
  const CauseResult r = Judge();
  EXPECT_EQ(r.state, CauseResult::State::kSupported);
  EXPECT_EQ(r.confidence, Confidence::kConfirmed);
  EXPECT_EQ(r.blamed_host, "DC02");
  EXPECT_EQ(r.summary,
            "DC02 holds a stale copy of EX02's account; 1 replication link(s) of "
            "dc=contoso,dc=com failing");
  EXPECT_THAT(r.remediation.front(), HasSubstr("repadmin /showrepl DC02"));
  EXPECT_THAT(r.remediation, ::testing::Contains(HasSubstr("Fix: DC02 from DC01: 1722 RPC")));
}

TEST_F(DcReplicationRuleTest, AStaleCopyAloneIsLikely) {
  AccountCopy("DC01", 4);
  AccountCopy("DC02", 2);
  const CauseResult r = Judge();
  EXPECT_EQ(r.confidence, Confidence::kLikely);
  EXPECT_EQ(r.summary, "DC02 holds a stale copy of EX02's account");
}

TEST_F(DcReplicationRuleTest, FailingReplicationAloneIsPossible) {
  Link("DC=contoso,DC=com", 5);
  const CauseResult r = Judge();
  EXPECT_EQ(r.confidence, Confidence::kPossible);
  EXPECT_EQ(r.blamed_host, "DC02");
  EXPECT_THAT(r.summary, HasSubstr("fails on 1 link(s) into DC02; the DCs' copies of the account "
                                   "were not compared"));
}

TEST_F(DcReplicationRuleTest, FailuresInAnotherNamingContextDoNotCount) {
  Link("DC=contoso,DC=com", 0);
  Link("DC=DomainDnsZones,DC=contoso,DC=com", 7);
  const CauseResult r = Judge();
  EXPECT_EQ(r.state, CauseResult::State::kRuledOut);
  EXPECT_EQ(r.summary,
            "replication of dc=contoso,dc=com is healthy on 1 link(s) (1 failing link(s) in "
            "other naming contexts do not hold the account)");
}

TEST_F(DcReplicationRuleTest, CopiesThatAgreeRuleItOut) {
  AccountCopy("DC01", 3);
  AccountCopy("DC02", 3);
  const CauseResult r = Judge();
  EXPECT_EQ(r.state, CauseResult::State::kRuledOut);
  EXPECT_EQ(r.summary, "2 DCs agree about EX02's account");
}

TEST_F(DcReplicationRuleTest, NoDcEvidenceIsNotChecked) {
  const CauseResult r = Judge();
  EXPECT_EQ(r.state, CauseResult::State::kNotChecked);
  EXPECT_THAT(r.summary, HasSubstr("no DC evidence"));
}

}  // namespace
}  // namespace kerbside::correlator
