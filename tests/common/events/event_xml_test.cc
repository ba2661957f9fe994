#include "common/events/event_xml.h"

#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/common/events/test_data.h"

namespace kerbside::events {
namespace {

using ::kerbside::events::testing::ReadEventData;

using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

std::string Fact(const v1::EventRecord& e, const std::string& key) {
  auto it = e.facts().find(key);
  return it == e.facts().end() ? "<none>" : it->second;
}

TEST(EventXmlTest, WevtutilSecurityStreamWithSkew) {
  auto batch = ParseEventsXml(ReadEventData("events-security-wevtutil.xml"), "events-sec.xml");
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->events_size(), 3);
  const v1::EventRecord& tgs = batch->events(0);
  EXPECT_EQ(tgs.provider(), "Microsoft-Windows-Security-Auditing");
  EXPECT_EQ(tgs.event_id(), 4769u);
  EXPECT_EQ(tgs.channel(), "Security");
  EXPECT_EQ(tgs.computer(), "dc01.contoso.com");
  EXPECT_EQ(tgs.record_id(), 69716u);
  EXPECT_EQ(tgs.source_line(), 1);
  // 2026-11-26T09:41:07.9341470Z
  EXPECT_EQ(tgs.time_created().seconds(), 1795686067);
  EXPECT_EQ(tgs.time_created().nanos(), 934147000);
  ASSERT_EQ(tgs.fields_size(), 11);
  EXPECT_EQ(tgs.fields(0).name(), "TargetUserName");
  EXPECT_EQ(tgs.fields(0).value(), "EX01$@CONTOSO.COM");
  EXPECT_EQ(Fact(tgs, "status"), "0x25");
  EXPECT_EQ(Fact(tgs, "service_name"), "EX02$");
  EXPECT_EQ(Fact(tgs, "target_user"), "EX01$@CONTOSO.COM");
  EXPECT_EQ(Fact(tgs, "client_address"), "10.1.1.11");  // ::ffff: stripped
  EXPECT_EQ(Fact(tgs, "client_port"), "60889");
  EXPECT_EQ(batch->events(1).event_id(), 4768u);
  EXPECT_EQ(Fact(batch->events(1), "status"), "0x25");
  EXPECT_EQ(batch->events(1).source_line(), 2);
  EXPECT_EQ(Fact(batch->events(2), "status"), "0x18");
  EXPECT_EQ(Fact(batch->events(2), "client_address"), "10.1.1.40");
}

// The appending form, as the agent's event log source calls it: into a batch on an arena,
// file after file; one that fails leaves the batch as it was (no half of its events).
TEST(EventXmlTest, AppendsOnAnArenaAndLeavesTheBatchAsItWasOnError) {
  google::protobuf::Arena arena;
  v1::EventBatch* batch = google::protobuf::Arena::CreateMessage<v1::EventBatch>(&arena);
  const std::string security = ReadEventData("events-security-wevtutil.xml");
  ASSERT_TRUE(ParseEventsXml(security, "a.xml", batch).ok());
  ASSERT_TRUE(ParseEventsXml("  \r\n", "empty.xml", batch).ok());
  ASSERT_EQ(batch->events_size(), 3);
  // Two good events, then a third whose EventID does not read: the whole file fails.
  const size_t second = security.find("<Event ", 1);
  const size_t third = security.find("<Event ", second + 1);
  ASSERT_NE(third, std::string::npos);
  std::string damaged = security;
  const size_t id = damaged.find("<EventID>", third);
  damaged.replace(id, std::string("<EventID>").size(), "<EventID>x");
  absl::Status s = ParseEventsXml(damaged, "b.xml", batch);
  EXPECT_THAT(s.message(), HasSubstr("b.xml:3: unreadable EventID 'x"));
  ASSERT_EQ(batch->events_size(), 3);
  ASSERT_TRUE(ParseEventsXml(security, "c.xml", batch).ok());
  ASSERT_EQ(batch->events_size(), 6);
  EXPECT_EQ(batch->events(3).fields(0).value(), "EX01$@CONTOSO.COM");
  EXPECT_EQ(Fact(batch->events(5), "status"), "0x18");
  EXPECT_EQ(batch->GetArena(), &arena);
}

// The agent's reader: one EventViews parses text after text. Facts made rather than found (a
// code as hex, a snake-case name) stay valid for every event of a text, and nothing of an
// earlier text or of a failed parse is left.
TEST(EventXmlTest, ViewsAreReusedTextAfterText) {
  EventViews views;
  ASSERT_TRUE(views.Parse(ReadEventData("events-system-wevtutil.xml"), "s.xml").ok());
  ASSERT_EQ(views.events().size(), 8u);
  EXPECT_EQ(views.events()[0].Fact("error_code"), "0x7");
  EXPECT_EQ(views.events()[3].Fact("ntstatus"), "0xc000005e");
  EXPECT_EQ(views.events()[4].Fact("dc"), "\\\\DC2016.CONTOSO.COM");
  EXPECT_EQ(views.events()[5].Fact("retry_minutes"), "15");
  EXPECT_EQ(views.events()[5].Fact("error_code"), "0x800706e1");
  EXPECT_FALSE(views.events()[7].HasFact("error_code"));
  EXPECT_EQ(views.events()[7].binary_hex, "31002E0031000000");

  // One at a time: what each view says is right while it is handed over, made values included,
  // and nothing is kept.
  std::vector<std::string> seen;
  ASSERT_TRUE(views
                  .ForEach(ReadEventData("events-system-wevtutil.xml"), "s.xml",
                           [&](const EventView& e) {
                             seen.push_back(absl::StrCat(e.event_id, " ", e.Fact("ntstatus"),
                                                         e.Fact("error_code")));
                           })
                  .ok());
  EXPECT_TRUE(views.events().empty());
  ASSERT_EQ(seen.size(), 8u);
  EXPECT_EQ(seen[0], "3 0x7");
  EXPECT_EQ(seen[3], "5719 0xc000005e");
  EXPECT_EQ(seen[5], "129 0x800706e1");

  ASSERT_TRUE(views.Parse(ReadEventData("events-userdata.xml"), "u.xml").ok());
  ASSERT_EQ(views.events().size(), 2u);
  EXPECT_EQ(views.events()[1].fields[1].name, "LogFileCleared/SubjectUserName");
  EXPECT_EQ(views.events()[1].source_line, 2);

  absl::Status s = views.Parse("<Event><System><EventID>x</EventID></System></Event>", "b.xml");
  EXPECT_THAT(s.message(), HasSubstr("b.xml:1: unreadable EventID 'x'"));
  EXPECT_TRUE(views.events().empty());
  ASSERT_TRUE(views.Parse(" \r\n", "empty.xml").ok());
  EXPECT_TRUE(views.events().empty());

  // The same text read again by the reused object gives what a fresh parse gives.
  const std::string security = ReadEventData("events-security-wevtutil.xml");
  ASSERT_TRUE(views.Parse(security, "a.xml").ok());
  auto fresh = ParseEventsXml(security, "a.xml");
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  ASSERT_EQ(views.events().size(), static_cast<size_t>(fresh->events_size()));
  for (size_t i = 0; i < views.events().size(); ++i) {
    v1::EventRecord record;
    ToRecord(views.events()[i], &record);
    EXPECT_TRUE(MessageDifferencer::Equals(record, fresh->events(static_cast<int>(i)))) << i;
  }
}

// Views of a record see what the record holds, and give the same record back.
TEST(EventXmlTest, ViewOfARecordRoundTrips) {
  for (const char* file : {"events-system-wevtutil.xml", "events-exchange.xml", "events-ntds.xml",
                           "events-security-toxml.xml"}) {
    auto batch = ParseEventsXml(ReadEventData(file), file);
    ASSERT_TRUE(batch.ok()) << batch.status();
    EventView view;
    for (const v1::EventRecord& r : batch->events()) {
      ViewOf(r, &view);
      EXPECT_EQ(view.facts.size(), r.facts().size());
      for (const auto& [name, value] : r.facts()) EXPECT_EQ(view.Fact(name), value) << name;
      v1::EventRecord back;
      ToRecord(view, &back);
      EXPECT_TRUE(MessageDifferencer::Equals(back, r)) << file << ": " << r.DebugString();
    }
  }
}

TEST(EventXmlTest, GetWinEventToXmlWithBomDeclarationAndNineDigitFractions) {
  auto batch = ParseEventsXml(ReadEventData("events-security-toxml.xml"), "f.xml");
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->events_size(), 2);
  const v1::EventRecord& missing = batch->events(0);
  EXPECT_EQ(missing.source_line(), 2);
  EXPECT_EQ(missing.time_created().nanos(), 75681900);
  EXPECT_EQ(missing.record_id(), 2503683730u);
  EXPECT_EQ(Fact(missing, "status"), "0x7");
  EXPECT_EQ(Fact(missing, "service_name"), "SMTPSVC/ex03.contoso.com");
  EXPECT_EQ(Fact(batch->events(1), "status"), "0x0");
  EXPECT_EQ(Fact(batch->events(1), "client_address"), "10.1.1.11");
}

TEST(EventXmlTest, SystemLogKerberosKdcNetlogonTimeAndUnknown) {
  auto batch = ParseEventsXml(ReadEventData("events-system-wevtutil.xml"), "f.xml");
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->events_size(), 8);

  const v1::EventRecord& krb3 = batch->events(0);
  EXPECT_EQ(krb3.event_id(), 3u);
  EXPECT_EQ(krb3.qualifiers(), 32768u);
  EXPECT_EQ(krb3.event_source_name(), "Kerberos");
  EXPECT_EQ(krb3.level(), 2);
  EXPECT_EQ(Fact(krb3, "error_code"), "0x7");
  EXPECT_EQ(Fact(krb3, "error_message"), "KDC_ERR_S_PRINCIPAL_UNKNOWN");
  EXPECT_EQ(Fact(krb3, "server_name"), "SMTPSVC/ex03.contoso.com");
  EXPECT_EQ(Fact(krb3, "target_name"), "SMTPSVC/ex03.contoso.com@CONTOSO.COM");
  EXPECT_EQ(Fact(krb3, "server_time"), "9:41:7.0000 11/26/2026 Z");
  EXPECT_EQ(Fact(krb3, "client_time"), "<none>");  // empty values are no facts

  const v1::EventRecord& krb4 = batch->events(1);
  EXPECT_EQ(Fact(krb4, "error_code"), "0x29");
  EXPECT_EQ(Fact(krb4, "server_name"), "ex02-old$");
  EXPECT_EQ(Fact(krb4, "target_name"), "SMTPSVC/ex02.contoso.com");

  const v1::EventRecord& kdc = batch->events(2);
  EXPECT_EQ(Fact(kdc, "duplicate_spn"), "SMTPSVC/ex02.contoso.com");
  EXPECT_EQ(Fact(kdc, "name_type"), "DS_SERVICE_PRINCIPAL_NAME");

  const v1::EventRecord& nl5719 = batch->events(3);
  EXPECT_EQ(nl5719.binary_hex(), "5E0000C0");
  EXPECT_EQ(Fact(nl5719, "ntstatus"), "0xc000005e");  // STATUS_NO_LOGON_SERVERS
  EXPECT_EQ(Fact(nl5719, "domain"), "WINDOMAIN");
  ASSERT_EQ(nl5719.fields_size(), 2);
  EXPECT_EQ(nl5719.fields(1).value(), "%%1311");  // unresolved insert kept as written

  const v1::EventRecord& nl3210 = batch->events(4);
  EXPECT_EQ(Fact(nl3210, "ntstatus"), "0xc0000022");
  EXPECT_EQ(Fact(nl3210, "dc"), "\\\\DC2016.CONTOSO.COM");
  EXPECT_EQ(Fact(nl3210, "domain"), "CONTOSO");

  const v1::EventRecord& t129 = batch->events(5);
  EXPECT_EQ(Fact(t129, "error_message"), "The entry is not found. (0x800706E1)");
  EXPECT_EQ(Fact(t129, "error_code"), "0x800706e1");
  EXPECT_EQ(Fact(t129, "retry_minutes"), "15");
  EXPECT_EQ(Fact(batch->events(6), "seconds"), "86400");

  const v1::EventRecord& unknown = batch->events(7);
  EXPECT_EQ(unknown.event_id(), 6013u);
  EXPECT_TRUE(unknown.facts().empty());
  EXPECT_EQ(unknown.fields_size(), 7);  // positional, empty ones included, in order
  EXPECT_EQ(unknown.fields(6).value(), "0 Coordinated Universal Time");
  EXPECT_EQ(unknown.binary_hex(), "31002E0031000000");
}

TEST(EventXmlTest, Exchange1035PositionalAndMessageAnd2017) {
  auto batch = ParseEventsXml(ReadEventData("events-exchange.xml"), "f.xml");
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->events_size(), 3);
  EXPECT_THAT(
      batch->events(0).facts(),
      UnorderedElementsAre(Pair("error", "IllegalMessage"), Pair("connector", "Default EX02"),
                           Pair("mechanism", "ExchangeAuth"), Pair("source_ip", "10.1.1.11")));
  EXPECT_EQ(batch->events(0).qualifiers(), 32772u);
  EXPECT_THAT(batch->events(1).facts(),
              UnorderedElementsAre(Pair("error", "LogonDenied"),
                                   Pair("connector", "Client Frontend ExchangeServer.domain.com"),
                                   Pair("mechanism", "Login"), Pair("source_ip", "192.0.2.77")));
  EXPECT_EQ(Fact(batch->events(2), "target_spn"), "SMTPSVC/ex02.contoso.com");
  EXPECT_EQ(Fact(batch->events(2), "connector"), "Intra-Organization SMTP Send Connector");
}

TEST(EventXmlTest, NtdsReplicationEvents) {
  auto batch = ParseEventsXml(ReadEventData("events-ntds.xml"), "f.xml");
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->events_size(), 4);
  const v1::EventRecord& e1925 = batch->events(0);
  EXPECT_EQ(e1925.event_source_name(), "NTDS KCC");
  EXPECT_EQ(Fact(e1925, "naming_context"), "DC=contoso,DC=com");
  EXPECT_EQ(Fact(e1925, "error_status"), "1722");
  EXPECT_EQ(Fact(e1925, "source_address"),
            "6a1f9b1e-2d3c-4e5f-8a9b-0c1d2e3f4a5b._msdcs.contoso.com");
  EXPECT_THAT(Fact(e1925, "source_dsa"), HasSubstr("CN=DC3"));
  EXPECT_EQ(Fact(batch->events(1), "source_dsa"), "DC3");
  EXPECT_EQ(Fact(batch->events(1), "error_status"), "8524");
  EXPECT_EQ(Fact(batch->events(2), "source_dsa"), "DC4");
  EXPECT_EQ(Fact(batch->events(2), "error_status"), "<none>");
  EXPECT_EQ(Fact(batch->events(3), "naming_context"), "CN=Configuration,DC=contoso,DC=com");
}

TEST(EventXmlTest, EventViewerSavedFileWithTreeMarkers) {
  auto batch = ParseEventsXml(ReadEventData("events-viewer-saved.xml"), "f.xml");
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->events_size(), 1);
  EXPECT_EQ(batch->events(0).source_line(), 3);
  EXPECT_EQ(batch->events(0).computer(), "meereen.essos.local");
  EXPECT_EQ(Fact(batch->events(0), "client_address"), "192.168.56.101");
  EXPECT_EQ(Fact(batch->events(0), "service_name"), "MEEREEN$");
}

TEST(EventXmlTest, UserDataIsFlattened) {
  auto batch = ParseEventsXml(ReadEventData("events-userdata.xml"), "f.xml");
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->events_size(), 2);
  // An empty payload element is itself the leaf: its name says what happened.
  ASSERT_EQ(batch->events(0).fields_size(), 1);
  EXPECT_EQ(batch->events(0).fields(0).name(), "ServiceShutdown");
  EXPECT_EQ(batch->events(0).fields(0).value(), "");
  ASSERT_EQ(batch->events(1).fields_size(), 4);
  EXPECT_EQ(batch->events(1).fields(1).name(), "LogFileCleared/SubjectUserName");
  EXPECT_EQ(batch->events(1).fields(1).value(), "Administrator");
}

TEST(EventXmlTest, EventIdWithSeverityBitsIsMasked) {
  auto batch = ParseEventsXml(
      "<Event><System><Provider Name='NTDS KCC'/><EventID>0xC000051F</EventID></System>"
      "<EventData><Data>CN=Configuration,DC=x</Data></EventData></Event>",
      "f.xml");
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->events(0).event_id(), 1311u);
  EXPECT_EQ(batch->events(0).qualifiers(), 0xC000u);
  EXPECT_EQ(Fact(batch->events(0), "naming_context"), "CN=Configuration,DC=x");
}

TEST(EventXmlTest, EmptyInputIsAnEmptyBatch) {
  auto batch = ParseEventsXml(" \r\n\r\n", "f.xml");
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->events_size(), 0);
}

TEST(EventXmlTest, TruncatedEventFailsWithItsLine) {
  std::string text = ReadEventData("events-security-wevtutil.xml");
  text.resize(text.rfind("<EventData>") + 20);  // cut inside the third event (line 3)
  auto batch = ParseEventsXml(text, "events-sec.xml");
  ASSERT_FALSE(batch.ok());
  EXPECT_THAT(batch.status().message(), HasSubstr("events-sec.xml:3: malformed event XML"));
}

TEST(EventXmlTest, BrokenEventInTheMiddleNamesTheLine) {
  auto batch = ParseEventsXml(
      "<Event><System><EventID>1</EventID></System></Event>\n"
      "<Event><System><EventID>2</EventID></Sys></Event>\n"
      "<Event><System><EventID>3</EventID></System></Event>\n",
      "e.xml");
  ASSERT_FALSE(batch.ok());
  EXPECT_THAT(batch.status().message(), HasSubstr("e.xml:2: malformed event XML"));
}

TEST(EventXmlTest, ForeignInputsFailCleanly) {
  EXPECT_EQ(ParseEventsXml("just some text\n", "e.xml").status().message(),
            "e.xml: no <Event> element: not event XML");
  EXPECT_THAT(ParseEventsXml("<QueryList><Query/></QueryList>", "e.xml").status().message(),
              HasSubstr("e.xml:1: unexpected element <QueryList>"));
  EXPECT_THAT(ParseEventsXml("<Event><EventData/></Event>", "e.xml").status().message(),
              HasSubstr("e.xml:1: <Event> without <System>"));
  EXPECT_THAT(ParseEventsXml("<Event><System><EventID>x</EventID></System></Event>", "e.xml")
                  .status()
                  .message(),
              HasSubstr("unreadable EventID 'x'"));
  EXPECT_THAT(ParseEventsXml("<Event><System><EventID>1</EventID><TimeCreated "
                             "SystemTime='yesterday'/></System></Event>",
                             "e.xml")
                  .status()
                  .message(),
              HasSubstr("unreadable SystemTime 'yesterday'"));
}

TEST(EventXmlTest, BinaryJunkFailsCleanly) {
  std::mt19937 rng(42);
  std::string junk(64 * 1024, '\0');
  for (char& c : junk) c = static_cast<char>(rng());
  EXPECT_FALSE(ParseEventsXml(junk, "junk.xml").ok());
  junk.insert(0, "<Event><System><EventID>1</EventID></System></Event>");
  EXPECT_FALSE(ParseEventsXml(junk, "junk.xml").ok());
}

// Fifty megabytes parse whole, and a damaged copy fails; how long either takes is measured in
// tests/bench/event_xml_bench.cc, not asserted here.
TEST(EventXmlTest, FiftyMegabytesParse) {
  const std::string one = ReadEventData("events-security-wevtutil.xml");
  std::string big;
  big.reserve(50u << 20);
  while (big.size() < (50u << 20)) big += one;
  auto batch = ParseEventsXml(big, "big.xml");
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(static_cast<size_t>(batch->events_size()), big.size() / one.size() * 3);
  big.resize(big.size() - 100);
  EXPECT_FALSE(ParseEventsXml(big, "big.xml").ok());
}

}  // namespace
}  // namespace kerbside::events
