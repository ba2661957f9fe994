#include "common/exchange/receive_connector.h"

#include <string>
#include <vector>

#include "common/exchange/ip_range.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/exchange/test_data.h"

namespace kerbside::exchange {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ReadExchangeData;

std::vector<std::string> Names(const google::protobuf::RepeatedPtrField<std::string>& f) {
  return {f.begin(), f.end()};
}

TEST(ReceiveConnectorJsonTest, WindowsPowerShell51NumbersAndObjects) {
  auto r = ParseReceiveConnectorsJson(ReadExchangeData("get-receiveconnector-ps51.json"),
                                      "get-receiveconnector.json");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->connectors_size(), 3);
  const v1::ReceiveConnector& d = r->connectors(0);
  EXPECT_EQ(d.identity(), "EX02\\Default EX02");
  EXPECT_EQ(d.server(), "EX02");
  EXPECT_EQ(d.name(), "Default EX02");
  EXPECT_TRUE(d.enabled());
  EXPECT_EQ(d.transport_role(), "HubTransport");  // 32
  ASSERT_EQ(d.bindings_size(), 2);
  EXPECT_EQ(d.bindings(0).address(), "::");
  EXPECT_EQ(d.bindings(0).port(), 2525);
  EXPECT_EQ(d.bindings(1).address(), "0.0.0.0");
  EXPECT_THAT(
      Names(d.auth_mechanism()),  // 31
      ElementsAre("Tls", "Integrated", "BasicAuth", "BasicAuthRequireTLS", "ExchangeServer"));
  EXPECT_THAT(Names(d.permission_groups()),  // 14
              ElementsAre("ExchangeUsers", "ExchangeServers", "ExchangeLegacyServers"));
  ASSERT_EQ(d.remote_ip_ranges_size(), 2);
  EXPECT_EQ(IpRangeSize(d.remote_ip_ranges(1)), absl::uint128(1) << 32);

  const v1::ReceiveConnector& fe = r->connectors(1);
  EXPECT_EQ(fe.transport_role(), "FrontendTransport");  // 16384
  EXPECT_THAT(Names(fe.auth_mechanism()),               // 23
              ElementsAre("Tls", "Integrated", "BasicAuth", "ExchangeServer"));
  EXPECT_THAT(Names(fe.permission_groups()),  // 13
              ElementsAre("AnonymousUsers", "ExchangeServers", "ExchangeLegacyServers"));

  const v1::ReceiveConnector& relay = r->connectors(2);
  ASSERT_EQ(relay.bindings_size(), 1);
  EXPECT_EQ(relay.bindings(0).address(), "0.0.0.0");
  EXPECT_EQ(relay.bindings(0).port(), 2525);
  ASSERT_EQ(relay.remote_ip_ranges_size(), 2);
  EXPECT_EQ(relay.remote_ip_ranges(0).text(), "10.1.1.0/24");
  EXPECT_EQ(relay.remote_ip_ranges(1).text(), "10.1.2.20");
  EXPECT_THAT(Names(relay.auth_mechanism()), ElementsAre("Tls"));
  EXPECT_THAT(Names(relay.permission_groups()), ElementsAre("AnonymousUsers"));
}

TEST(ReceiveConnectorJsonTest, PowerShell7SingleObjectWithNames) {
  auto r = ParseReceiveConnectorsJson(ReadExchangeData("get-receiveconnector-ps7-single.json"),
                                      "rc.json");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->connectors_size(), 1);
  const v1::ReceiveConnector& c = r->connectors(0);
  EXPECT_EQ(c.server(), "EX03");
  EXPECT_EQ(c.transport_role(), "HubTransport");
  EXPECT_THAT(Names(c.permission_groups()),
              ElementsAre("ExchangeUsers", "ExchangeServers", "ExchangeLegacyServers"));
  EXPECT_EQ(c.auth_mechanism_size(), 5);
  EXPECT_EQ(c.remote_ip_ranges(0).text(), "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

TEST(ReceiveConnectorJsonTest, IdentityObjectAndUnknownFlagBits) {
  const char* json = R"({"Identity": {"Name": "Relay", "DistinguishedName":
      "CN=Relay,CN=SMTP Receive Connectors,CN=Protocols,CN=EX09,CN=Servers,CN=Exchange"},
      "Enabled": "False", "AuthMechanism": 80, "Bindings": "{0.0.0.0:25, [::]:25}"})";
  auto r = ParseReceiveConnectorsJson(json, "rc.json");
  ASSERT_TRUE(r.ok()) << r.status();
  const v1::ReceiveConnector& c = r->connectors(0);
  EXPECT_EQ(c.identity(), "EX09\\Relay");
  EXPECT_FALSE(c.enabled());
  EXPECT_THAT(Names(c.auth_mechanism()), ElementsAre("ExchangeServer", "0x40"));
  EXPECT_EQ(c.bindings_size(), 2);
}

TEST(ReceiveConnectorJsonTest, MalformedInputsAreCleanErrors) {
  auto bad_range = ParseReceiveConnectorsJson(
      R"([{"Identity":"EX02\\R","RemoteIPRanges":["10.1.1.300"]}])", "rc.json");
  ASSERT_FALSE(bad_range.ok());
  EXPECT_THAT(bad_range.status().message(), HasSubstr("EX02\\R: bad IP range \"10.1.1.300\""));
  auto truncated =
      ParseReceiveConnectorsJson("[{\"Identity\": \"EX02\\\\R\", \"Bindings\": [", "rc.json");
  ASSERT_FALSE(truncated.ok());
  EXPECT_THAT(truncated.status().message(), HasSubstr("rc.json"));
  EXPECT_FALSE(ParseReceiveConnectorsJson("", "rc.json").ok());
  auto no_id = ParseReceiveConnectorsJson(R"({"Enabled": true})", "rc.json");
  ASSERT_FALSE(no_id.ok());
  EXPECT_THAT(no_id.status().message(), HasSubstr("no Identity"));
}

TEST(ReceiveConnectorListTest, FullFormatListWithWrappedTruncatedList) {
  auto r = ParseReceiveConnectorsList(ReadExchangeData("get-receiveconnector-fl.txt"), "rc.txt");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->connectors_size(), 2);
  const v1::ReceiveConnector& d = r->connectors(0);
  EXPECT_EQ(d.identity(), "EX02\\Default EX02");
  EXPECT_EQ(d.transport_role(), "HubTransport");
  EXPECT_EQ(d.bindings_size(), 2);
  EXPECT_EQ(d.remote_ip_ranges_size(), 2);
  EXPECT_FALSE(d.lists_truncated());
  EXPECT_THAT(Names(d.auth_mechanism()), ElementsAre("Tls", "Integrated", "BasicAuth",
                                                     "BasicAuthRequireTLS", "ExchangeServer"));

  const v1::ReceiveConnector& relay = r->connectors(1);
  EXPECT_EQ(relay.name(), "Relay EX02");
  EXPECT_TRUE(relay.lists_truncated());
  ASSERT_EQ(relay.remote_ip_ranges_size(), 8);
  EXPECT_EQ(relay.remote_ip_ranges(4).text(), "10.1.2.0(255.255.255.0)");
  EXPECT_EQ(relay.remote_ip_ranges(7).text(), "10.1.1.0/24");  // joined across the wrap
  EXPECT_TRUE(IpRangeContains(relay.remote_ip_ranges(7), "10.1.1.12"));
  EXPECT_THAT(Names(relay.permission_groups()), ElementsAre("AnonymousUsers"));
}

TEST(ReceiveConnectorListTest, Utf16MatchesUtf8) {
  auto a = ParseReceiveConnectorsList(ReadExchangeData("get-receiveconnector-fl.txt"), "a");
  auto b = ParseReceiveConnectorsList(ReadExchangeData("get-receiveconnector-fl-utf16.txt"), "b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->SerializeAsString(), b->SerializeAsString());
}

TEST(ReceiveConnectorListTest, ForumSelectionWithoutIdentity) {
  auto r =
      ParseReceiveConnectorsList(ReadExchangeData("get-receiveconnector-fl-forum.txt"), "rc.txt");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->connectors_size(), 1);  // the Get-ADPermission table after it is not a connector
  const v1::ReceiveConnector& c = r->connectors(0);
  EXPECT_EQ(c.identity(), "#1");
  EXPECT_EQ(c.transport_role(), "FrontendTransport");
  ASSERT_EQ(c.bindings_size(), 1);
  EXPECT_EQ(c.bindings(0).port(), 25);
  ASSERT_EQ(c.remote_ip_ranges_size(), 2);
  EXPECT_EQ(c.remote_ip_ranges(1).text(), "192.168.4.17");
}

TEST(ReceiveConnectorListTest, MalformedInputsAreCleanErrors) {
  EXPECT_FALSE(ParseReceiveConnectorsList("", "rc.txt").ok());
  auto none = ParseReceiveConnectorsList("nothing to see\n", "rc.txt");
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.status().message(), HasSubstr("no receive connector found"));
  auto bad =
      ParseReceiveConnectorsList("Identity : EX02\\X\nBindings : {0.0.0.0:99999}\n", "rc.txt");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("rc.txt:2: EX02\\X: bad binding"));
}

// The sample's Relay connector (2525, 10.1.1.0/24 and 10.1.2.20) beats "Default EX02"
// (2525, everything) for an address in its ranges: the most specific range wins.
TEST(PickReceiveConnectorTest, MostSpecificRangeWins) {
  auto r = ParseReceiveConnectorsJson(ReadExchangeData("get-receiveconnector-ps51.json"),
                                      "get-receiveconnector.json");
  ASSERT_TRUE(r.ok()) << r.status();
  ConnectorChoice c = PickReceiveConnector(*r, 2525, {"10.1.1.12"}, {"10.1.1.11"});
  ASSERT_NE(c.connector, nullptr);
  EXPECT_EQ(c.connector->name(), "Relay EX02");
  EXPECT_EQ(c.range->text(), "10.1.1.0/24");
  EXPECT_EQ(c.remote_ip, "10.1.1.11");
  EXPECT_FALSE(HasConnectorFlag(c.connector->auth_mechanism(), "ExchangeServer"));

  c = PickReceiveConnector(*r, 2525, {"10.1.1.12"}, {"10.9.9.9"});
  ASSERT_NE(c.connector, nullptr);
  EXPECT_EQ(c.connector->name(), "Default EX02");
  EXPECT_TRUE(HasConnectorFlag(c.connector->auth_mechanism(), "exchangeserver"));

  // Port 25 is only the Front End's; no connector listens on 587.
  c = PickReceiveConnector(*r, 25, {"10.1.1.12"}, {"10.1.1.11"});
  ASSERT_NE(c.connector, nullptr);
  EXPECT_EQ(c.connector->name(), "Default Frontend EX02");
  EXPECT_EQ(PickReceiveConnector(*r, 587, {"10.1.1.12"}, {"10.1.1.11"}).connector, nullptr);
}

// A connector bound to one address serves only connections to that address, and a disabled one
// none.
TEST(PickReceiveConnectorTest, SpecificBindingAndDisabled) {
  v1::ReceiveConnectors all;
  v1::ReceiveConnector* bound = all.add_connectors();
  bound->set_name("Bound");
  bound->set_enabled(true);
  *bound->add_bindings() = *ParseBinding("10.1.1.12:25");
  *bound->add_remote_ip_ranges() = *ParseIpRange("0.0.0.0-255.255.255.255");
  v1::ReceiveConnector* off = all.add_connectors();
  off->set_name("Off");
  off->set_enabled(false);
  *off->add_bindings() = *ParseBinding("0.0.0.0:25");
  *off->add_remote_ip_ranges() = *ParseIpRange("10.1.1.11");
  ConnectorChoice c = PickReceiveConnector(all, 25, {"10.1.1.12"}, {"10.1.1.11"});
  ASSERT_NE(c.connector, nullptr);
  EXPECT_EQ(c.connector->name(), "Bound");
  EXPECT_TRUE(c.specific_binding);
  EXPECT_EQ(PickReceiveConnector(all, 25, {"10.1.1.13"}, {"10.1.1.11"}).connector, nullptr);
}

}  // namespace
}  // namespace kerbside::exchange
