#include "common/windows/setspn.h"

#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kerbside::windows {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string ReadData(const std::string& name) {
  std::ifstream in(std::string(KERBSIDE_TEST_DATA) + "/windows/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SetspnListTest, ExchangeComputerAccountWithEchoAndCrLf) {
  auto listing = ParseSetspnList(ReadData("setspn-l-ex02.txt"), "setspn-l-EX02.txt");
  ASSERT_TRUE(listing.ok()) << listing.status();
  EXPECT_EQ(listing->account(), "EX02");  // from the echoed command
  EXPECT_EQ(listing->account_dn(), "CN=EX02,OU=Exchange Servers,DC=contoso,DC=com");
  ASSERT_EQ(listing->spns_size(), 18);
  EXPECT_EQ(listing->spns(0), "SMTP/EX02");
  EXPECT_EQ(listing->spns(3), "SmtpSvc/ex02.contoso.com");  // no trailing CR
  EXPECT_EQ(listing->spns(17), "HOST/ex02.contoso.com");
}

TEST(SetspnListTest, TabIndentedWithTrailingSpacesAndPowerShellPrompt) {
  auto listing = ParseSetspnList(ReadData("setspn-l-ex03-tab.txt"), "f");
  ASSERT_TRUE(listing.ok()) << listing.status();
  EXPECT_EQ(listing->account(), "EX03");  // quotes around the argument removed
  EXPECT_THAT(listing->spns(),
              ElementsAre("HOST/EX03", "HOST/ex03.contoso.com", "RestrictedKrbHost/EX03",
                          "RestrictedKrbHost/ex03.contoso.com"));
}

TEST(SetspnListTest, HeaderWithoutSpnsIsAnEmptyListingAndAccountFromDn) {
  auto listing = ParseSetspnList(ReadData("setspn-l-empty.txt"), "f");
  ASSERT_TRUE(listing.ok()) << listing.status();
  EXPECT_EQ(listing->account(), "Relay Service");  // no echo: first RDN, spaces kept
  EXPECT_TRUE(listing->spns().empty());
}

TEST(SetspnListTest, ToolFailureIsQuotedWithItsLine) {
  auto listing = ParseSetspnList(ReadData("setspn-l-unknown.txt"), "setspn-l-EX09.txt");
  ASSERT_FALSE(listing.ok());
  EXPECT_EQ(listing.status().message(),
            "setspn-l-EX09.txt:1: setspn failed: FindDomainForAccount: Call to "
            "DsGetDcNameWithAccountW failed with return value 0x00000525");
}

TEST(SetspnListTest, EmptyAndForeignInputsFailCleanly) {
  EXPECT_EQ(ParseSetspnList("", "x.txt").status().message(), "x.txt: empty file");
  EXPECT_THAT(ParseSetspnList("hello\nworld\n", "x.txt").status().message(),
              HasSubstr("not setspn output"));
  EXPECT_THAT(ParseSetspnList("Registered ServicePrincipalNames for CN=X,DC=y\n", "x.txt")
                  .status()
                  .message(),
              HasSubstr("x.txt:1: header does not end with ':'"));
  // Found by fuzzing: a header cut right after "for " (once read past the end of the line).
  EXPECT_THAT(
      ParseSetspnList("C:\\>setspn -L EX02\r\nRegistered ServicePrincipalNames for \r\n", "x.txt")
          .status()
          .message(),
      HasSubstr("x.txt:2: header does not end with ':'"));
}

TEST(SetspnListTest, LastRunWinsInAPastedSession) {
  auto listing = ParseSetspnList(
      "C:\\>setspn -L EX01\nRegistered ServicePrincipalNames for CN=EX01,DC=c,DC=com:\n"
      "        HOST/EX01\n\nC:\\>setspn -L EX02\n"
      "Registered ServicePrincipalNames for CN=EX02,DC=c,DC=com:\n        SMTPSVC/EX02\n",
      "f");
  ASSERT_TRUE(listing.ok()) << listing.status();
  EXPECT_EQ(listing->account(), "EX02");
  EXPECT_THAT(listing->spns(), ElementsAre("SMTPSVC/EX02"));
}

TEST(SetspnDuplicatesTest, TwoGroupsOnADomain) {
  auto dup = ParseSetspnDuplicates(ReadData("setspn-x-duplicate.txt"), "setspn-x.txt");
  ASSERT_TRUE(dup.ok()) << dup.status();
  EXPECT_EQ(dup->scope(), "DC=contoso,DC=com");
  EXPECT_FALSE(dup->forest());
  EXPECT_EQ(dup->reported_group_count(), 2);
  ASSERT_EQ(dup->groups_size(), 2);
  EXPECT_EQ(dup->groups(0).spn(), "SMTPSVC/ex02.contoso.com");
  EXPECT_THAT(dup->groups(0).account_dns(),
              ElementsAre("CN=EX02,OU=Exchange Servers,DC=contoso,DC=com",
                          "CN=EX02-OLD,CN=Computers,DC=contoso,DC=com"));
  EXPECT_EQ(dup->groups(1).spn(), "SmtpSvc/EX02");
  EXPECT_FALSE(dup->groups(0).by_design());
}

TEST(SetspnDuplicatesTest, ForestKadminChangepwIsMarkedByDesign) {
  auto dup = ParseSetspnDuplicates(ReadData("setspn-x-forest.txt"), "f");
  ASSERT_TRUE(dup.ok()) << dup.status();
  EXPECT_TRUE(dup->forest());
  EXPECT_EQ(dup->scope(), "DC=contoso,DC=com");
  ASSERT_EQ(dup->groups_size(), 1);
  EXPECT_EQ(dup->groups(0).spn(), "kadmin/changepw");
  EXPECT_TRUE(dup->groups(0).by_design());
  EXPECT_EQ(dup->groups(0).account_dns_size(), 2);
}

TEST(SetspnDuplicatesTest, Old2008OutputWithoutHeader) {
  auto dup = ParseSetspnDuplicates(ReadData("setspn-x-none-2008.txt"), "f");
  ASSERT_TRUE(dup.ok()) << dup.status();
  EXPECT_EQ(dup->reported_group_count(), 0);
  EXPECT_TRUE(dup->groups().empty());
  EXPECT_TRUE(dup->scope().empty());
}

TEST(SetspnDuplicatesTest, TruncatedRunWithoutFooterFails) {
  auto dup = ParseSetspnDuplicates(
      "Checking domain DC=contoso,DC=com\nProcessing entry 0\nSMTPSVC/x is registered on these "
      "accounts:\n        CN=A,DC=contoso,DC=com\n",
      "setspn-x.txt");
  ASSERT_FALSE(dup.ok());
  EXPECT_THAT(dup.status().message(), HasSubstr("setspn-x.txt: no 'found N group"));
  EXPECT_FALSE(ParseSetspnDuplicates("found many group of duplicate SPNs.\n", "f").ok());
}

TEST(SetspnQueryTest, DuplicateSmtpSvcAcrossTwoAccounts) {
  auto q = ParseSetspnQuery(ReadData("setspn-q-smtpsvc.txt"), "setspn-q-SMTPSVC.txt");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_TRUE(q->found());
  EXPECT_EQ(q->pattern(), "SMTPSVC/*");
  EXPECT_TRUE(q->forest());
  EXPECT_EQ(q->scope(), "DC=contoso,DC=com");
  ASSERT_EQ(q->accounts_size(), 2);
  EXPECT_EQ(q->accounts(0).dn(), "CN=EX01,OU=Exchange Servers,DC=contoso,DC=com");
  EXPECT_THAT(q->accounts(0).spns(),
              ElementsAre("SMTPSVC/EX01", "SMTPSVC/ex01.contoso.com", "exchangeMDB/EX01"));
  EXPECT_THAT(q->accounts(1).spns(), ElementsAre("SMTPSVC/ex02.contoso.com", "HOST/EX02-OLD"));
}

TEST(SetspnQueryTest, DomainControllerListingWithKrbtgt) {
  auto q = ParseSetspnQuery(ReadData("setspn-q-dc.txt"), "f");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_TRUE(q->pattern().empty());  // not echoed: the loader sets it from the file name
  ASSERT_EQ(q->accounts_size(), 2);
  EXPECT_EQ(q->accounts(0).spns_size(), 23);
  EXPECT_EQ(q->accounts(1).dn(), "CN=krbtgt,CN=Users,DC=active,DC=htb");
  EXPECT_THAT(q->accounts(1).spns(), ElementsAre("kadmin/changepw"));
}

TEST(SetspnQueryTest, NoSuchSpn) {
  auto q = ParseSetspnQuery(ReadData("setspn-q-missing.txt"), "f");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_FALSE(q->found());
  EXPECT_EQ(q->pattern(), "SMTPSVC/ex03.contoso.com");
  EXPECT_TRUE(q->accounts().empty());
}

TEST(SetspnQueryTest, MalformedInputs) {
  EXPECT_EQ(ParseSetspnQuery("", "q.txt").status().message(), "q.txt: empty file");
  EXPECT_THAT(ParseSetspnQuery("Checking domain DC=x\nCN=A,DC=x\n", "q.txt").status().message(),
              HasSubstr("no 'Existing SPN found!'"));
  EXPECT_THAT(
      ParseSetspnQuery("Checking domain DC=x\n\nExisting SPN found!\n", "q.txt").status().message(),
      HasSubstr("q.txt:3: 'Existing SPN found!' without any account"));
}

}  // namespace
}  // namespace kerbside::windows
