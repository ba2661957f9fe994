#include "agent/sources/ldap_accounts.h"

#include "absl/time/time.h"
#include "common/proto_time.h"
#include "gtest/gtest.h"

namespace kerbside::agent {
namespace {

// Entries as the lab's Samba DC returns them (see tests/lab): attribute names lower-cased.
LdapEntry Ex02() {
  return {"CN=EX02,CN=Computers,DC=lab,DC=test",
          {{"samaccountname", {"EX02$"}},
           {"serviceprincipalname", {"SMTPSVC/ex02.lab.test", "SMTPSVC/ex02"}},
           {"msds-keyversionnumber", {"2"}},
           {"whenchanged", {"20261127083753.0Z"}},
           {"usnchanged", {"4029"}}}};
}

TEST(LdapAccountsTest, ConvertsEntries) {
  auto got = ComputerAccountsFromLdap({Ex02()}, "DC1");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->accounts_size(), 1);
  const v1::ComputerAccount& a = got->accounts(0);
  EXPECT_EQ(a.sam_account_name(), "EX02$");
  EXPECT_EQ(a.dn(), "CN=EX02,CN=Computers,DC=lab,DC=test");
  ASSERT_EQ(a.spns_size(), 2);
  EXPECT_EQ(a.spns(0), "SMTPSVC/ex02");  // sorted, so snapshots compare stably
  EXPECT_EQ(a.key_version_number(), 2);
  EXPECT_EQ(a.usn_changed(), 4029);
  EXPECT_EQ(a.read_from_dc(), "DC1");
  EXPECT_EQ(FromProto(a.when_changed()),
            absl::FromCivil(absl::CivilSecond(2026, 11, 27, 8, 37, 53), absl::UTCTimeZone()));
}

TEST(LdapAccountsTest, SortsAndSkipsEntriesWithoutAccountName) {
  LdapEntry user{"CN=svc,CN=Users,DC=lab,DC=test",
                 {{"samaccountname", {"svc"}}, {"serviceprincipalname", {"SMTP/ex02"}}}};
  LdapEntry odd{"CN=x,DC=lab,DC=test", {}};
  auto got = ComputerAccountsFromLdap({user, odd, Ex02()}, "DC2");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->accounts_size(), 2);
  EXPECT_EQ(got->accounts(0).sam_account_name(), "EX02$");
  EXPECT_EQ(got->accounts(1).sam_account_name(), "svc");
  EXPECT_EQ(got->accounts(1).key_version_number(), -1);  // not read: -1, never a real 0
}

TEST(LdapAccountsTest, BadValuesNameTheDnAndAttribute) {
  LdapEntry e = Ex02();
  e.attributes["msds-keyversionnumber"] = {"two"};
  auto got = ComputerAccountsFromLdap({e}, "DC1");
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("CN=EX02,CN=Computers,DC=lab,DC=test"), std::string::npos);
  EXPECT_NE(got.status().message().find("msDS-KeyVersionNumber"), std::string::npos);
  e = Ex02();
  e.attributes["whenchanged"] = {"yesterday"};
  got = ComputerAccountsFromLdap({e}, "DC1");
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("whenChanged"), std::string::npos);
}

TEST(LdapAccountsTest, FilterListsExchangeServersAndSmtpSpnHolders) {
  EXPECT_EQ(ExchangeAccountsFilter({"ex01", "EX02"}),
            "(|(servicePrincipalName=SMTPSVC/*)(servicePrincipalName=SMTP/*)"
            "(sAMAccountName=EX01$)(sAMAccountName=EX02$))");
  // RFC 4515 escaping: a name can never widen the filter.
  EXPECT_EQ(ExchangeAccountsFilter({"a*)(x"}),
            "(|(servicePrincipalName=SMTPSVC/*)(servicePrincipalName=SMTP/*)"
            "(sAMAccountName=A\\2a\\29\\28X$))");
}

TEST(LdapAccountsTest, ExchangeServersComeFromConfigAndTheInventory) {
  v1::Inventory inv;
  auto host = [&](const std::string& name, v1::Role role) {
    v1::HostIdentity* h = inv.add_hosts();
    h->set_netbios_name(name);
    h->set_role(role);
  };
  host("EX03", v1::ROLE_EXCHANGE);
  host("ex01", v1::ROLE_EXCHANGE);
  host("DC01", v1::ROLE_DC);  // a DC is not an Exchange server
  EXPECT_EQ(ExchangeServerNames({"ex02", "EX01"}, inv),
            (std::vector<std::string>{"EX01", "EX02", "EX03"}));
  EXPECT_EQ(ExchangeServerNames({}, v1::Inventory()), std::vector<std::string>{});
}

TEST(LdapAccountsTest, GeneralizedTime) {
  auto t = ParseGeneralizedTime("20261127083753.0Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", *t, absl::UTCTimeZone()),
            "2026-11-27T08:37:53Z");
  EXPECT_FALSE(ParseGeneralizedTime("2026-11-27").ok());
}

}  // namespace
}  // namespace kerbside::agent
