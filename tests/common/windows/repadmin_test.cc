#include "common/windows/repadmin.h"

#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kerbside::windows {
namespace {

using ::testing::HasSubstr;

std::string ReadData(const std::string& name) {
  std::ifstream in(std::string(KERBSIDE_TEST_DATA) + "/windows/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ShowreplCsvTest, BannersRepeatedHeadersFailuresAndErrorRow) {
  auto status = ParseRepadminShowreplCsv(ReadData("repadmin-showrepl.csv"), "showrepl.csv");
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_EQ(status->links_size(), 5);

  const v1::ReplicationLink& healthy = status->links(0);
  EXPECT_EQ(healthy.destination_site(), "HQ");
  EXPECT_EQ(healthy.destination_dsa(), "DC1");
  EXPECT_EQ(healthy.naming_context(), "DC=contoso,DC=com");  // quoted, comma kept
  EXPECT_EQ(healthy.source_dsa(), "DC2");
  EXPECT_EQ(healthy.transport(), "RPC");
  EXPECT_EQ(healthy.consecutive_failures(), 0);
  EXPECT_EQ(healthy.last_failure_time(), "0");  // never failed
  EXPECT_EQ(healthy.last_success_time(), "2026-11-26 09:58:12");
  EXPECT_EQ(healthy.last_failure_status(), 0);
  EXPECT_EQ(healthy.direction(), v1::ReplicationLink::INBOUND);

  const v1::ReplicationLink& rpc = status->links(1);
  EXPECT_EQ(rpc.source_site(), "Branch");
  EXPECT_EQ(rpc.consecutive_failures(), 41);
  EXPECT_EQ(rpc.last_failure_status(), 1722);
  EXPECT_EQ(rpc.last_failure_time(), "2026-11-26 09:45:02");

  // Historical status with no current failure.
  EXPECT_EQ(status->links(2).consecutive_failures(), 0);
  EXPECT_EQ(status->links(2).last_failure_status(), 1256);

  const v1::ReplicationLink& wrong_principal = status->links(3);
  EXPECT_EQ(wrong_principal.destination_dsa(), "DC2");
  EXPECT_EQ(wrong_principal.last_failure_status(), -2146893022);      // SEC_E_WRONG_PRINCIPAL
  EXPECT_EQ(status->links(4).naming_context(), "DC=ForestDnsZones");  // unquoted

  ASSERT_EQ(status->errors_size(), 1);
  EXPECT_EQ(status->errors(0),
            "showrepl_ERROR,Branch,DC3,\"LDAP error 81 (Server Down) Win32 Err 58.\"");
}

TEST(ShowreplCsvTest, Windows2003DcColumnNames) {
  auto status = ParseRepadminShowreplCsv(ReadData("repadmin-showrepl-2003.csv"), "f.csv");
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_EQ(status->links_size(), 3);
  EXPECT_EQ(status->links(0).destination_dsa(), "HSHPI220");
  EXPECT_EQ(status->links(0).source_dsa(), "SADS055");
  EXPECT_EQ(status->links(0).naming_context(), "CN=Configuration,DC=internal");
  EXPECT_EQ(status->links(2).naming_context(), "DC=internal");
  EXPECT_EQ(status->links(2).last_failure_status(), 8524);
  EXPECT_EQ(status->links(2).consecutive_failures(), 3);
}

TEST(ShowreplCsvTest, ColumnsAreMappedByNameNotPosition) {
  auto status = ParseRepadminShowreplCsv(
      "showrepl_COLUMNS,Source DSA,Destination DSA,Naming Context,Last Failure Status\n"
      "showrepl_INFO,DC2,DC1,\"DC=a,DC=b\",8453\n",
      "f.csv");
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->links(0).source_dsa(), "DC2");
  EXPECT_EQ(status->links(0).destination_dsa(), "DC1");
  EXPECT_EQ(status->links(0).last_failure_status(), 8453);
}

TEST(ShowreplCsvTest, InfoRowsWithoutHeaderUseTheStandardOrder) {
  auto status = ParseRepadminShowreplCsv(
      "showrepl_INFO,S1,DC1,\"DC=x\",S1,DC3,RPC,7,2026-01-01 00:00:00,2025-12-31 00:00:00,1722\n",
      "f.csv");
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->links(0).source_dsa(), "DC3");
  EXPECT_EQ(status->links(0).consecutive_failures(), 7);
}

TEST(ShowreplCsvTest, HeaderOnlyMeansNoPartners) {
  auto status = ParseRepadminShowreplCsv(
      "showrepl_COLUMNS,Destination DSA Site,Destination DSA,Naming Context,Source DSA Site,"
      "Source DSA,Transport Type,Number of Failures,Last Failure Time,Last Success Time,"
      "Last Failure Status\r\n",
      "f.csv");
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->links().empty());
}

TEST(ShowreplCsvTest, MalformedInputsNameFileAndLine) {
  EXPECT_EQ(ParseRepadminShowreplCsv("", "r.csv").status().message(), "r.csv: empty file");
  EXPECT_THAT(
      ParseRepadminShowreplCsv("Repadmin: banner\nnothing here\n", "r.csv").status().message(),
      HasSubstr("r.csv: no showrepl_ rows"));
  // Unterminated quote.
  EXPECT_THAT(
      ParseRepadminShowreplCsv("banner\nshowrepl_INFO,S,DC1,\"DC=x,S,DC2,RPC,0,0,t,0\n", "r.csv")
          .status()
          .message(),
      HasSubstr("r.csv:2: malformed CSV"));
  // Field count differs from the header.
  EXPECT_THAT(ParseRepadminShowreplCsv("showrepl_INFO,S,DC1\n", "r.csv").status().message(),
              HasSubstr("r.csv:1: row has 3 fields, header has 11"));
  EXPECT_THAT(ParseRepadminShowreplCsv("showrepl_INFO,S,DC1,DC=x,S,DC2,RPC,many,0,t,0\n", "r.csv")
                  .status()
                  .message(),
              HasSubstr("r.csv:1: Number of Failures is not a count: 'many'"));
  EXPECT_THAT(ParseRepadminShowreplCsv("showrepl_COLUMNS,Naming Context,Source DSA\n", "r.csv")
                  .status()
                  .message(),
              HasSubstr("r.csv:1: showrepl_COLUMNS has no 'destination dsa'"));
}

TEST(DrsShowreplJsonTest, HealthyInboundAndOutbound) {
  auto status = ParseDrsShowreplJson(ReadData("drs-showrepl-ok.json"), "drs.json");
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->dsa_guid(), "a1b2c3d4-e5f6-4711-8899-aabbccddeeff");
  ASSERT_EQ(status->links_size(), 3);
  const v1::ReplicationLink& in = status->links(0);
  EXPECT_EQ(in.direction(), v1::ReplicationLink::INBOUND);
  EXPECT_EQ(in.source_site(), "Default-First-Site-Name");
  EXPECT_EQ(in.source_dsa(), "DC2");
  EXPECT_TRUE(in.destination_dsa().empty());  // the reporting DC: filled by the loader
  EXPECT_EQ(in.naming_context(), "DC=samdom,DC=example,DC=com");
  EXPECT_EQ(in.partner_dsa_guid(), "5e4f3b1a-8c1d-4c9e-9a6b-2f1c3d4e5f60");
  EXPECT_EQ(in.consecutive_failures(), 0);
  EXPECT_EQ(in.last_failure_status(), 0);
  EXPECT_EQ(in.last_success_time(), "Thu Nov 26 09:58:12 2026 UTC");
  const v1::ReplicationLink& out = status->links(2);
  EXPECT_EQ(out.direction(), v1::ReplicationLink::OUTBOUND);
  EXPECT_EQ(out.destination_dsa(), "DC2");
  EXPECT_TRUE(out.source_dsa().empty());
  EXPECT_EQ(out.last_success_time(), "0");  // NTTIME(0)
}

TEST(DrsShowreplJsonTest, FailuresUnsignedHresultDeletedPartnerAndPrompts) {
  auto status = ParseDrsShowreplJson(ReadData("drs-showrepl-failing.json"), "drs.json");
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_EQ(status->links_size(), 2);
  const v1::ReplicationLink& dns = status->links(0);
  EXPECT_EQ(dns.source_site(), "Branch");
  EXPECT_EQ(dns.source_dsa(), "DC3");
  EXPECT_EQ(dns.consecutive_failures(), 41);
  EXPECT_EQ(dns.last_failure_status(), 8524);
  EXPECT_EQ(dns.last_failure_message(), "WERR_DS_DNS_LOOKUP_FAILURE");
  EXPECT_EQ(dns.last_failure_time(), "Thu Nov 26 09:45:02 2026 UTC");
  const v1::ReplicationLink& deleted = status->links(1);
  EXPECT_EQ(deleted.last_failure_status(), -2146893022);  // 2148074274 read as signed
  EXPECT_TRUE(deleted.partner_deleted());
  EXPECT_THAT(deleted.source_dsa(), HasSubstr("0ADEL:"));  // non-standard DN kept whole
  EXPECT_EQ(deleted.last_success_time(), "0");
}

TEST(DrsShowreplJsonTest, MalformedInputs) {
  EXPECT_EQ(ParseDrsShowreplJson("", "d.json").status().message(), "d.json: empty file");
  EXPECT_THAT(ParseDrsShowreplJson("no json here\n", "d.json").status().message(),
              HasSubstr("d.json: no JSON object"));
  // Truncated: the error names the line where the parser stopped.
  std::string text = ReadData("drs-showrepl-ok.json");
  auto truncated = ParseDrsShowreplJson(text.substr(0, text.size() / 2), "d.json");
  ASSERT_FALSE(truncated.ok());
  EXPECT_THAT(truncated.status().message(), HasSubstr("malformed JSON"));
  EXPECT_THAT(ParseDrsShowreplJson("{\"a\": 1}", "d.json").status().message(),
              HasSubstr("no \"repsFrom\"/\"repsTo\""));
  EXPECT_THAT(
      ParseDrsShowreplJson("{\"repsFrom\": [{\"NC dn\": \"DC=x\"}]}", "d.json").status().message(),
      HasSubstr("d.json:1: repsFrom[0]: neighbour has no \"consecutive failures\""));
  EXPECT_THAT(ParseDrsShowreplJson("{\"repsFrom\": [{\"NC dn\": \"DC=x\", \"consecutive "
                                   "failures\": 1, \"last attempt message\": \"failed, result "
                                   "x\"}]}",
                                   "d.json")
                  .status()
                  .message(),
              HasSubstr("unreadable \"last attempt message\""));
}

}  // namespace
}  // namespace kerbside::windows
