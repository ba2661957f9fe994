#include "agent/sources/directory_facts.h"

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

// fSMORoleOwner as AD and Samba write it: the NTDS Settings object under the server object.
TEST(DomainRolesTest, RoleOwnerIsTheServerOfTheNtdsSettings) {
  auto o = RoleOwnerFromNtdsSettingsDn(
      "CN=NTDS Settings,CN=dc01,CN=Servers,CN=HQ,CN=Sites,CN=Configuration,DC=lab,DC=test");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->server, "DC01");
  EXPECT_FALSE(o->deleted);
}

// A DC removed without seizing its roles: AD mangles the deleted object's RDN with "\0ADEL:".
TEST(DomainRolesTest, DeletedOwnerIsSaid) {
  auto o = RoleOwnerFromNtdsSettingsDn(
      "CN=NTDS Settings\\0ADEL:2a1f4a3e-9c2b-4d8e-a7f1-3c5d6e7f8a9b,CN=DC02,CN=Servers,"
      "CN=Default-First-Site-Name,CN=Sites,CN=Configuration,DC=contoso,DC=com");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->server, "DC02");
  EXPECT_TRUE(o->deleted);
}

TEST(DomainRolesTest, EscapedCommaInAServerName) {
  auto o = RoleOwnerFromNtdsSettingsDn("CN=NTDS Settings,CN=DC\\2C01,CN=Servers,DC=x");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->server, "DC,01");
}

TEST(DomainRolesTest, NotAnNtdsSettingsDnIsAnErrorNamingIt) {
  for (const char* dn : {"CN=DC01,CN=Servers,CN=HQ,CN=Sites,CN=Configuration,DC=lab,DC=test",
                         "CN=NTDS Settings", "CN=NTDS Settings,OU=x,DC=lab", ""}) {
    auto o = RoleOwnerFromNtdsSettingsDn(dn);
    EXPECT_FALSE(o.ok()) << dn;
    EXPECT_NE(o.status().message().find("fSMORoleOwner '"), std::string::npos) << o.status();
  }
}

TEST(DomainRolesTest, FromTheDomainEntry) {
  LdapEntry domain{"DC=lab,DC=test",
                   {{"fsmoroleowner",
                     {"CN=NTDS Settings,CN=DC1,CN=Servers,CN=HQ,CN=Sites,CN=Configuration,"
                      "DC=lab,DC=test"}}}};
  auto r = DomainRolesFromLdap({domain}, "DC2");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->pdc_emulator(), "DC1");
  EXPECT_EQ(r->read_from_dc(), "DC2");
  EXPECT_EQ(r->domain_dn(), "DC=lab,DC=test");
  EXPECT_FALSE(r->pdc_emulator_deleted());
}

// Absence is "not known", never "no PDC emulator".
TEST(DomainRolesTest, NoAttributeOrNoEntryIsAnError) {
  EXPECT_EQ(DomainRolesFromLdap({}, "DC2").status().code(), absl::StatusCode::kNotFound);
  LdapEntry bare{"DC=lab,DC=test", {}};
  auto r = DomainRolesFromLdap({bare}, "DC2");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("no fSMORoleOwner"), std::string::npos);
}

}  // namespace
}  // namespace kerbside::agent
