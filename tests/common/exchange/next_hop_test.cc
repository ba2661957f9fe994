#include "common/exchange/next_hop.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kerbside::exchange {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Sources of the rows (see next_hop.cc):
//  [Q]  Exchange 2016/2019 "Queues and messages in queues in Exchange Server", NextHopSolutionKey
//       table, and Exchange 2013 "Queues" (same table);
//  [S]  Exchange 2007/2010 Suspend-Queue/Resume-Queue, DeliveryType values;
//  [EMS] what Exchange Management Shell shows for 2007/2010 intra-site relay ("hub version N");
//  [G]  the mailbox delivery group as Exchange writes it ("site:<site>; version:<N>", site
//       lower-cased; [Q] spells it "Site:<ADSiteName>;Version:<ExchangeVersion>").
struct Row {
  const char* next_hop_domain;
  const char* delivery_type;
  NextHopForm form;
  const char* source;
};

class NextHopTableTest : public ::testing::TestWithParam<Row> {};

TEST_P(NextHopTableTest, ParsesTheForm) {
  const Row& r = GetParam();
  EXPECT_EQ(ParseNextHop(r.next_hop_domain, r.delivery_type).form, r.form)
      << r.next_hop_domain << " / " << r.delivery_type << " (" << r.source << ")";
}

INSTANTIATE_TEST_SUITE_P(
    Microsoft, NextHopTableTest,
    ::testing::Values(
        Row{"hub version 14", "SmtpRelayWithinAdSite", NextHopForm::kHubsOfOwnSite, "S, EMS"},
        Row{"hub version 8", "SmtpRelayWithinAdSite", NextHopForm::kHubsOfOwnSite, "S, EMS"},
        Row{"hub version 14", "", NextHopForm::kHubsOfOwnSite, "EMS, no DeliveryType column"},
        Row{"NorthAmericaSite", "SmtpRelayToRemoteAdSite", NextHopForm::kAdSite, "Q"},
        Row{"site:hq; version:15", "SmtpRelayToMailboxDeliveryGroup", NextHopForm::kDeliveryGroup,
            "G"},
        Row{"Site:BRANCH;Version:14", "SmtpRelayToMailboxDeliveryGroup",
            NextHopForm::kDeliveryGroup, "Q"},
        Row{"site:hq; version:15", "", NextHopForm::kDeliveryGroup, "G, no DeliveryType column"},
        Row{"DAG1", "SmtpRelayToDag", NextHopForm::kDag, "Q"},
        Row{"Mailbox Database 0471695037", "SmtpDeliveryToMailbox", NextHopForm::kMailboxDatabase,
            "Q"},
        Row{"Contoso.com Send Connector", "SmtpRelayToConnectorSourceServers",
            NextHopForm::kConnectorSources, "Q"},
        Row{"mailbox01.contoso.com", "SmtpRelayToServers", NextHopForm::kHost, "Q"},
        Row{"mailbox01.contoso.com", "ShadowRedundancy", NextHopForm::kHost, "Q"},
        Row{"smarthost01.contoso.com,smarthost02.fabrikam.com", "SmartHostConnectorDelivery",
            NextHopForm::kHostList, "Q"},
        Row{"contoso.com", "DnsConnectorDelivery", NextHopForm::kExternal, "Q"},
        Row{"EdgeSync - Default-First-Site-Name to Internet", "SmtpRelayWithinAdSiteToEdge",
            NextHopForm::kEdge, "Q"},
        Row{"Submission", "Undefined", NextHopForm::kNotAServer, "Q"},
        Row{"Unreachable Domain", "Unreachable", NextHopForm::kNotAServer, "Q"},
        Row{"FAX", "NonSmtpGatewayDelivery", NextHopForm::kNotAServer, "Q"},
        Row{"MOBILE", "DeliveryAgent", NextHopForm::kNotAServer, "Q"},
        // Intra-org relay to one server: a host, whatever the DeliveryType says.
        Row{"ex02.contoso.com", "SmtpRelayToMailboxDeliveryGroup", NextHopForm::kHost, "kerbside"},
        Row{"ex02.contoso.com", "", NextHopForm::kHost, "kerbside"}));

TEST(NextHopTest, ReadsTheFieldsOfEachForm) {
  NextHop hub = ParseNextHop("hub version 14", "SmtpRelayWithinAdSite");
  EXPECT_EQ(hub.major_version, 14);
  NextHop group = ParseNextHop("site:branch; version:15", "SmtpRelayToMailboxDeliveryGroup");
  EXPECT_EQ(group.site, "branch");
  EXPECT_EQ(group.major_version, 15);
  NextHop doc = ParseNextHop(" Site:BRANCH;Version:14 ", "SmtpRelayToMailboxDeliveryGroup");
  EXPECT_EQ(doc.site, "BRANCH");
  EXPECT_EQ(doc.major_version, 14);
  EXPECT_EQ(doc.written, "Site:BRANCH;Version:14");
  EXPECT_EQ(ParseNextHop("DAG1", "SmtpRelayToDag").dag, "DAG1");
  EXPECT_EQ(ParseNextHop("NorthAmericaSite", "SmtpRelayToRemoteAdSite").site, "NorthAmericaSite");
  EXPECT_THAT(ParseNextHop("[10.10.10.100],[10.10.10.101]", "SmartHostConnectorDelivery").hosts,
              ElementsAre("10.10.10.100", "10.10.10.101"));
  EXPECT_THAT(
      ParseNextHop("[172.17.17.7],relay.tailspintoys.com", "SmartHostConnectorDelivery").hosts,
      ElementsAre("172.17.17.7", "relay.tailspintoys.com"));
}

TEST(NextHopTest, MajorVersionFromWhatAdminsAndCmdletsWrite) {
  EXPECT_EQ(ExchangeMajorVersion("15.2.1118.7"), 15);
  EXPECT_EQ(ExchangeMajorVersion("Version 15.1 (Build 2507.6)"), 15);
  EXPECT_EQ(ExchangeMajorVersion("Version 14.3 (Build 123.4)"), 14);
  EXPECT_EQ(ExchangeMajorVersion("14"), 14);
  EXPECT_EQ(ExchangeMajorVersion("Exchange 2010"), 14);
  EXPECT_EQ(ExchangeMajorVersion("Exchange Server 2007"), 8);
  EXPECT_EQ(ExchangeMajorVersion("2019"), 15);
  EXPECT_EQ(ExchangeMajorVersion(""), 0);
  EXPECT_EQ(ExchangeMajorVersion("latest"), 0);
  EXPECT_EQ(ExchangeMajorVersion("1999"), 0);
}

// EX01 and EX02: Exchange 2010 hubs in HQ; EX03: 2010 in BRANCH; EX04: 2016 in HQ (DAG1);
// EX06: 2019 in BRANCH (DAG1); EX05: HQ, version unknown; EDGE1: an Edge server.
std::vector<ExchangeServerFacts> Fleet() {
  return {
      {"EX01", "HQ", 14, "", {"Mailbox", "HubTransport"}},
      {"EX02", "HQ", 14, "", {"HubTransport"}},
      {"EX03", "BRANCH", 14, "", {"HubTransport", "ClientAccess"}},
      {"EX04", "HQ", 15, "DAG1", {"Mailbox"}},
      {"EX05", "HQ", 0, "", {}},
      {"EX06", "BRANCH", 15, "DAG1", {"Mailbox"}},
      {"EX07", "HQ", 14, "", {"Mailbox"}},  // a 2010 mailbox-only server is no hub
      {"EDGE1", "", 15, "", {"Edge"}},
  };
}

TEST(NextHopCandidatesTest, HubVersionIsTheOtherHubsOfTheSendersSiteOfThatVersion) {
  const auto fleet = Fleet();
  NextHopCandidates c =
      CandidatesFor(ParseNextHop("hub version 14", "SmtpRelayWithinAdSite"), fleet[0], fleet);
  EXPECT_THAT(c.hosts, ElementsAre("EX02"));
  EXPECT_EQ(c.basis, "the other Exchange 2010 hub transport servers of EX01's site HQ");
  EXPECT_THAT(c.unknown_facts, IsEmpty());
}

TEST(NextHopCandidatesTest, UnknownFactsAreCandidatesOnlyWhenNoServerIsKnownToMatch) {
  auto fleet = Fleet();
  fleet[1].major_version = 15;  // EX02 is now known not to match
  NextHopCandidates c =
      CandidatesFor(ParseNextHop("hub version 14", "SmtpRelayWithinAdSite"), fleet[0], fleet);
  EXPECT_THAT(c.hosts, ElementsAre("EX05"));
  EXPECT_THAT(c.unknown_facts, ElementsAre("EX05 (exchange_version)"));
}

TEST(NextHopCandidatesTest, RemoteSiteDeliveryGroupAndDag) {
  const auto fleet = Fleet();
  EXPECT_THAT(
      CandidatesFor(ParseNextHop("BRANCH", "SmtpRelayToRemoteAdSite"), fleet[0], fleet).hosts,
      ElementsAre("EX03", "EX06"));
  EXPECT_THAT(CandidatesFor(ParseNextHop("site:hq; version:15", "SmtpRelayToMailboxDeliveryGroup"),
                            fleet[0], fleet)
                  .hosts,
              ElementsAre("EX04"));
  NextHopCandidates dag = CandidatesFor(ParseNextHop("DAG1", "SmtpRelayToDag"), fleet[0], fleet);
  EXPECT_THAT(dag.hosts, ElementsAre("EX04", "EX06"));
  EXPECT_EQ(dag.basis, "the members of DAG DAG1");
  // From a DAG member, the other members.
  EXPECT_THAT(CandidatesFor(ParseNextHop("DAG1", "SmtpRelayToDag"), fleet[3], fleet).hosts,
              ElementsAre("EX06"));
  EXPECT_THAT(CandidatesFor(ParseNextHop("Mailbox Database 0471695037", "SmtpDeliveryToMailbox"),
                            fleet[3], fleet)
                  .hosts,
              ElementsAre("EX06"));
}

TEST(NextHopCandidatesTest, FormsWithoutServersSayWhy) {
  const auto fleet = Fleet();
  NextHopCandidates none = CandidatesFor(
      ParseNextHop("site:paris; version:15", "SmtpRelayToMailboxDeliveryGroup"), fleet[0], fleet);
  EXPECT_THAT(none.hosts, IsEmpty());
  EXPECT_EQ(none.why_none,
            "no server of the fleet is one of the Exchange 2013 or later servers of site paris "
            "(a mailbox delivery group)");
  EXPECT_THAT(
      CandidatesFor(ParseNextHop("contoso.com", "DnsConnectorDelivery"), fleet[0], fleet).why_none,
      ::testing::HasSubstr("remote SMTP domain"));
  EXPECT_THAT(
      CandidatesFor(ParseNextHop("Contoso.com Send Connector", "SmtpRelayToConnectorSourceServers"),
                    fleet[0], fleet)
          .why_none,
      ::testing::HasSubstr("Get-SendConnector"));
}

TEST(NextHopCandidatesTest, NothingKnownAboutTheFleetStillGivesCandidatesAndSaysSo) {
  std::vector<ExchangeServerFacts> bare = {{"EX01", "", 0, "", {}}, {"EX02", "", 0, "", {}}};
  NextHopCandidates c =
      CandidatesFor(ParseNextHop("hub version 14", "SmtpRelayWithinAdSite"), bare[0], bare);
  EXPECT_THAT(c.hosts, ElementsAre("EX02"));
  EXPECT_THAT(c.unknown_facts, ElementsAre("EX02 (site, exchange_version)"));
  EXPECT_EQ(c.basis, "the other Exchange 2010 hub transport servers of EX01's AD site (not known)");
}

}  // namespace
}  // namespace kerbside::exchange
