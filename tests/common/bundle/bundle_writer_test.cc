// Round trip: every scenario bundle, loaded, rendered back to the tools' formats, written and
// loaded again, holds the same evidence and gets the same verdicts.
#include "common/bundle/bundle_writer.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/correlator/correlator.h"
#include "common/bundle/accounts_json.h"
#include "common/bundle/bundle_loader.h"
#include "common/bundle/clock_json.h"
#include "common/bundle/event_aggregates_json.h"
#include "common/proto_time.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace kerbside::bundle {
namespace {

namespace fs = std::filesystem;

// What a piece of evidence says, independent of its file's layout.
std::string Signature(const v1::Evidence& e) {
  std::vector<std::string> parts;
  switch (e.kind_case()) {
    case v1::Evidence::kQueues:
      for (const auto& q : e.queues().queues()) {
        parts.push_back(absl::StrCat(q.identity(), "|", q.status(), "|", q.message_count(), "|",
                                     q.last_error().failure_class(), "|",
                                     q.last_error().inner().code(), "|", q.next_hop_domain()));
      }
      break;
    case v1::Evidence::kReceiveConnectors:
      for (const auto& c : e.receive_connectors().connectors()) {
        std::vector<std::string> ranges;
        for (const auto& r : c.remote_ip_ranges()) ranges.push_back(r.text());
        parts.push_back(absl::StrCat(c.identity(), "|", c.enabled(), "|", c.bindings_size(), "|",
                                     absl::StrJoin(ranges, ","), "|",
                                     absl::StrJoin(c.auth_mechanism(), ","), "|",
                                     absl::StrJoin(c.permission_groups(), ",")));
      }
      break;
    case v1::Evidence::kSpnListing: {
      std::set<std::string> spns;
      for (const auto& s : e.spn_listing().spns()) spns.insert(absl::AsciiStrToLower(s));
      parts.push_back(absl::StrCat(e.spn_listing().account_dn(), "|", absl::StrJoin(spns, ",")));
      break;
    }
    case v1::Evidence::kSpnDuplicates:
      for (const auto& g : e.spn_duplicates().groups()) {
        parts.push_back(absl::StrCat(g.spn(), "|", absl::StrJoin(g.account_dns(), ",")));
      }
      break;
    case v1::Evidence::kSpnQuery:
      for (const auto& a : e.spn_query().accounts()) {
        parts.push_back(absl::StrCat(a.dn(), "|", absl::StrJoin(a.spns(), ",")));
      }
      break;
    case v1::Evidence::kReplication:
      for (const auto& l : e.replication().links()) {
        parts.push_back(absl::StrCat(l.destination_dsa(), "|", l.naming_context(), "|",
                                     l.source_dsa(), "|", l.consecutive_failures(), "|",
                                     l.last_failure_status()));
      }
      break;
    case v1::Evidence::kW32TmStripchart:
      parts.push_back(e.w32tm_stripchart().target());
      for (const auto& s : e.w32tm_stripchart().samples()) {
        parts.push_back(absl::StrCat(s.ok(), "|",
                                     absl::ToInt64Microseconds(FromProto(s.printed_offset())), "|",
                                     s.error_hresult()));
      }
      break;
    case v1::Evidence::kW32TmStatus:
      parts.push_back(absl::StrCat(e.w32tm_status().source(), "|", e.w32tm_status().stratum(), "|",
                                   e.w32tm_status().unsynchronized()));
      break;
    case v1::Evidence::kEvents:
      for (const auto& r : e.events().events()) {
        std::vector<std::string> facts;
        for (const auto& [k, v] : r.facts()) facts.push_back(k + "=" + v);
        std::sort(facts.begin(), facts.end());
        parts.push_back(
            absl::StrCat(r.provider(), "|", r.event_id(), "|", absl::StrJoin(facts, ",")));
      }
      break;
    case v1::Evidence::kProbes:
      for (const auto& k : e.probes().kdc()) {
        parts.push_back(absl::StrCat(k.kdc(), "|", k.transport(), "|", k.outcome()));
      }
      break;
    default:
      break;
  }
  std::sort(parts.begin(), parts.end());
  return absl::StrCat(e.kind_case(), ":", absl::StrJoin(parts, ";"));
}

std::multiset<std::string> Signatures(const model::HostEvidence& h) {
  std::multiset<std::string> out;
  for (const auto& e : h.evidence) {
    if (e.kind_case() == v1::Evidence::kEvents) {
      // Events may be split across files differently: compare them one by one.
      for (const auto& r : e.events().events()) {
        v1::Evidence one;
        *one.mutable_events()->add_events() = r;
        out.insert(Signature(one));
      }
    } else {
      out.insert(Signature(e));
    }
  }
  return out;
}

std::string Verdicts(const model::FleetModel& fleet, absl::Time now) {
  const correlator::Diagnoses d = correlator::Correlate(fleet, now, {});
  std::vector<std::string> out;
  for (const auto& diag : d.diagnoses) {
    for (const auto& c : diag.causes) {
      out.push_back(absl::StrCat(diag.blamed_host, ":", c.cause, ":",
                                 correlator::ConfidenceName(c.confidence)));
    }
  }
  return absl::StrJoin(out, " ");
}

TEST(BundleWriterTest, EveryScenarioSurvivesTheRoundTrip) {
  const fs::path tmp =
      fs::temp_directory_path() / ("kerbside-writer-test-" + std::to_string(getpid()));
  fs::remove_all(tmp);
  int scenarios = 0;
  for (const auto& entry : fs::directory_iterator(KERBSIDE_SCENARIOS)) {
    if (!fs::exists(entry.path() / "expected.json")) continue;
    ++scenarios;
    SCOPED_TRACE(entry.path().filename().string());
    auto original = LoadBundle(entry.path().string());
    ASSERT_TRUE(original.ok()) << original.status();
    const absl::Time now = NewestCollectedAt(*original).value_or(absl::UnixEpoch());
    const RenderedBundle rendered = RenderBundle(*original, now);
    const fs::path dir = tmp / entry.path().filename();
    ASSERT_TRUE(WriteBundle(dir.string(), rendered).ok());
    auto again = LoadBundle(dir.string());
    ASSERT_TRUE(again.ok()) << again.status();
    ASSERT_EQ(again->hosts.size(), original->hosts.size());
    for (const auto& [name, host] : original->hosts) {
      const model::HostEvidence& copy = again->hosts.at(name);
      for (const auto& p : copy.problems) ADD_FAILURE() << p.message;
      EXPECT_EQ(copy.identity.SerializeAsString(), host.identity.SerializeAsString()) << name;
      EXPECT_EQ(Signatures(copy), Signatures(host)) << name;
    }
    EXPECT_EQ(Verdicts(*again, now), Verdicts(*original, now));
  }
  EXPECT_GE(scenarios, 20);
  // Refuses to write over a bundle.
  auto any =
      LoadBundle((fs::path(KERBSIDE_SCENARIOS) / "001-clock-skew-target-confirmed").string());
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(WriteBundle((tmp / "001-clock-skew-target-confirmed").string(),
                        RenderBundle(*any, absl::UnixEpoch()))
                .code(),
            absl::StatusCode::kAlreadyExists);
  fs::remove_all(tmp);
}

// Issue 12 item 3: export-bundle wrote through links already in the target folder.
TEST(BundleWriterTest, ExportsOnlyIntoANewOrEmptyFolderAndOnlyInsideIt) {
  const fs::path dir =
      fs::temp_directory_path() / ("kerbside-writer-links-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "hosts");
  const fs::path victim = dir.string() + "-victim.txt";
  std::ofstream(victim) << "untouched";
  fs::create_symlink(victim, dir / "hosts" / "EX01");
  RenderedBundle r;
  r.files.push_back({"bundle.json", "{}"});
  r.files.push_back({"hosts/EX01/w32tm-status.txt", "overwritten"});
  EXPECT_EQ(WriteBundle(dir.string(), r).code(), absl::StatusCode::kFailedPrecondition);
  std::ifstream in(victim);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "untouched");

  fs::remove_all(dir);
  RenderedBundle escaping;
  escaping.files.push_back({"hosts/../../escaped.txt", "x"});
  EXPECT_EQ(WriteBundle(dir.string(), escaping).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir.parent_path() / "escaped.txt"));
  fs::remove_all(dir);
  ASSERT_TRUE(WriteBundle(dir.string(), r).ok());  // a new folder is fine
  EXPECT_TRUE(fs::exists(dir / "hosts/EX01/w32tm-status.txt"));
  fs::remove_all(dir);
  fs::remove(victim);
}

// What the live collector has and no Windows tool writes: its own clock measurements, the
// LDAP view of accounts (with kvno) and event aggregates (with counts). All survive an export.
TEST(BundleWriterTest, CollectorEvidenceSurvivesExport) {
  const fs::path dir =
      fs::temp_directory_path() / ("kerbside-writer-clock-" + std::to_string(getpid()));
  fs::remove_all(dir);
  model::FleetModel fleet;
  model::HostEvidence& h = fleet.hosts["EX02"];
  h.name = "EX02";
  h.identity.set_netbios_name("EX02");
  v1::Evidence e;
  e.set_source("collector");
  v1::ClockReading* c = e.mutable_clock_reading();
  c->set_method(v1::ClockReading::COLLECTOR_EXCHANGE);
  c->set_reference("collector");
  *c->mutable_offset() = ToProto(absl::Seconds(420) + absl::Milliseconds(3));
  *c->mutable_uncertainty() = ToProto(absl::Microseconds(250));
  h.evidence.push_back(e);
  v1::Evidence accounts;
  v1::ComputerAccount* a = accounts.mutable_computer_accounts()->add_accounts();
  a->set_sam_account_name("EX01$");
  a->set_dn("CN=EX01,OU=Exchange Servers,DC=contoso,DC=com");
  a->add_spns("SmtpSvc/EX01");
  a->set_key_version_number(7);
  a->set_usn_changed(12873);
  *a->mutable_when_changed() = ToProto(absl::FromUnixSeconds(1800000000));
  a->set_read_from_dc("dc01.contoso.com");
  h.evidence.push_back(accounts);
  // 3412 1035s from EX01, as the collector's window merged them.
  v1::Evidence agg;
  agg.set_subject("frontend");
  agg.set_origin("hosts/EX02/events-frontend.xml");
  v1::EventAggregate* ea = agg.mutable_event_aggregate();
  ea->set_provider("MSExchangeFrontEndTransport");
  ea->set_event_id(1035);
  ea->set_channel("Application");
  ea->set_count(3412);
  ea->set_count_is_lower_bound(true);
  *ea->mutable_first_seen() = ToProto(absl::FromUnixSeconds(1800000000));
  *ea->mutable_last_seen() = ToProto(absl::FromUnixSeconds(1800007200));
  auto* dv = ea->add_distinct_values();
  dv->set_field("#3");
  dv->add_values("10.1.1.11");
  dv->set_truncated(true);
  for (int64_t t : {1800000000, 1800007200}) {
    v1::EventRecord* r = ea->add_examples();
    r->set_provider("MSExchangeFrontEndTransport");
    r->set_event_id(1035);
    r->set_qualifiers(32772);
    r->set_level(3);
    r->set_channel("Application");
    r->set_computer("ex02.contoso.com");
    r->set_record_id(static_cast<uint64_t>(t - 1800000000 + 1));
    *r->mutable_time_created() = ToProto(absl::FromUnixSeconds(t));
    // 1035's inserts: error, connector, mechanism, client IP.
    for (const char* v : {"IllegalMessage", "Default Frontend EX02", "ExchangeAuth", "10.1.1.11"}) {
      r->add_fields()->set_value(v);
    }
  }
  h.evidence.push_back(agg);
  const RenderedBundle r = RenderBundle(fleet, absl::UnixEpoch());
  EXPECT_TRUE(r.not_exported.empty()) << absl::StrJoin(r.not_exported, "; ");
  ASSERT_TRUE(WriteBundle(dir.string(), r).ok());
  EXPECT_TRUE(fs::exists(dir / "hosts/EX02/computer-accounts.json"));
  EXPECT_TRUE(fs::exists(dir / "hosts/EX02/event-aggregates-frontend.json"));
  auto again = LoadBundle(dir.string());
  ASSERT_TRUE(again.ok());
  const model::HostEvidence& copy = again->hosts.at("EX02");
  for (const auto& p : copy.problems) ADD_FAILURE() << p.message;
  int clocks = 0, account_lists = 0, aggregates = 0;
  for (const auto& x : copy.evidence) {
    if (x.kind_case() == v1::Evidence::kClockReading) {
      ++clocks;
      EXPECT_EQ(x.clock_reading().reference(), "collector");
      EXPECT_NEAR(absl::ToDoubleSeconds(FromProto(x.clock_reading().offset())), 420.003, 1e-9);
    }
    if (x.kind_case() == v1::Evidence::kComputerAccounts) {
      ++account_lists;
      EXPECT_EQ(x.computer_accounts().SerializeAsString(),
                accounts.computer_accounts().SerializeAsString());
    }
    if (x.kind_case() == v1::Evidence::kEventAggregate) {
      ++aggregates;
      const v1::EventAggregate& got = x.event_aggregate();
      EXPECT_EQ(x.subject(), "frontend");
      EXPECT_EQ(got.count(), 3412);
      EXPECT_TRUE(got.count_is_lower_bound());
      EXPECT_EQ(FromProto(got.first_seen()), absl::FromUnixSeconds(1800000000));
      EXPECT_EQ(FromProto(got.last_seen()), absl::FromUnixSeconds(1800007200));
      ASSERT_EQ(got.examples_size(), 2);
      EXPECT_EQ(got.examples(1).record_id(), 7201u);
      // The facts come from the events parser, as for any exported event.
      EXPECT_EQ(got.key_facts().at("source_ip"), "10.1.1.11");
      ASSERT_EQ(got.distinct_values_size(), 1);
      EXPECT_TRUE(got.distinct_values(0).truncated());
    }
  }
  EXPECT_EQ(clocks, 1);
  EXPECT_EQ(account_lists, 1);
  EXPECT_EQ(aggregates, 1);
  fs::remove_all(dir);
}

TEST(ComputerAccountsJsonTest, ErrorsNameTheField) {
  EXPECT_EQ(ParseComputerAccountsJson(R"({"format":1})", "a.json").status().message(),
            "a.json: field format: expected \"kerbside-accounts/1\"");
  EXPECT_EQ(ParseComputerAccountsJson(
                R"({"format":"kerbside-accounts/1","accounts":[{"dn":"CN=X"}]})", "a.json")
                .status()
                .message(),
            "a.json: field accounts[0].sam_account_name: missing");
  EXPECT_EQ(ParseComputerAccountsJson(
                R"({"format":"kerbside-accounts/1","accounts":[{"sam_account_name":"EX01$",)"
                R"("key_version_number":"3"}]})",
                "a.json")
                .status()
                .message(),
            "a.json: field accounts[0].key_version_number: expected an integer");
  auto none = ParseComputerAccountsJson(
      R"({"format":"kerbside-accounts/1","accounts":[{"sam_account_name":"EX01$"}]})", "a.json");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->accounts(0).key_version_number(), -1);  // not read is not 0
}

TEST(EventAggregatesJsonTest, ErrorsNameTheField) {
  const std::string ev =
      R"(<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>)"
      R"(<Provider Name='MSExchangeFrontEndTransport'/><EventID>1035</EventID>)"
      R"(<TimeCreated SystemTime='2026-11-26T09:00:00.0000000Z'/><Channel>Application</Channel>)"
      R"(</System><EventData><Data>IllegalMessage</Data><Data>Default Frontend EX02</Data>)"
      R"(<Data>ExchangeAuth</Data><Data>10.1.1.11</Data>)"
      R"(</EventData></Event>)";
  auto doc = [&](const std::string& fields) {
    nlohmann::json j = nlohmann::json::parse(
        R"({"format":"kerbside-event-aggregates/1","aggregates":[)" + fields + "]}");
    return j.dump();
  };
  auto message = [&](const std::string& text) {
    return std::string(ParseEventAggregatesJson(text, "e.json").status().message());
  };
  EXPECT_EQ(message(doc(R"({"count":2})")),
            "e.json: field aggregates[0].examples_xml: expected a string of <Event> elements");
  nlohmann::json one = nlohmann::json::parse(doc(R"({"count":0})"));
  one["aggregates"][0]["examples_xml"] = ev;
  EXPECT_EQ(message(one.dump()),
            "e.json: field aggregates[0].count: expected an integer of at least 1");
  one["aggregates"][0]["count"] = 5;
  one["aggregates"][0]["event_id"] = 1036;
  EXPECT_EQ(message(one.dump()),
            "e.json: field aggregates[0].event_id: does not match its examples' (1035)");
  one["aggregates"][0]["event_id"] = 1035;
  one["aggregates"][0]["distinct_values"] = {
      {{"field", "#0"}, {"values", {"a"}}, {"truncated", 1}}};
  EXPECT_EQ(message(one.dump()),
            "e.json: field aggregates[0].distinct_values[0]: truncated: expected true or false");
  one["aggregates"][0]["distinct_values"] = nullptr;
  one["aggregates"][0]["first_seen"] = "2026-11-27T00:00:00Z";
  one["aggregates"][0]["last_seen"] = "2026-11-26T00:00:00Z";
  EXPECT_EQ(message(one.dump()), "e.json: field aggregates[0].first_seen: is after last_seen");
  one["aggregates"][0].erase("first_seen");
  one["aggregates"][0].erase("last_seen");
  auto ok = ParseEventAggregatesJson(one.dump(), "e.json");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)[0].count(), 5);
  EXPECT_EQ((*ok)[0].key_facts().at("source_ip"), "10.1.1.11");
  // A broken example names the file and the field it sits in.
  one["aggregates"][0]["examples_xml"] = "<Event><System>";
  EXPECT_NE(message(one.dump()).find("e.json field aggregates[0].examples_xml"), std::string::npos)
      << message(one.dump());
}

TEST(ClockReadingsJsonTest, ErrorsNameTheField) {
  EXPECT_EQ(ParseClockReadingsJson(R"({"format":"x"})", "c.json").status().message(),
            "c.json: field format: expected \"kerbside-clock/1\"");
  EXPECT_EQ(ParseClockReadingsJson(R"({"format":"kerbside-clock/1","readings":[{}]})", "c.json")
                .status()
                .message(),
            "c.json: field readings[0]: needs reference and offset_seconds");
  EXPECT_EQ(ParseClockReadingsJson(R"({"format":"kerbside-clock/1","readings":[{"reference":)"
                                   R"("collector","offset_seconds":1,"uncertainty_seconds":-1}]})",
                                   "c.json")
                .status()
                .message(),
            "c.json: field readings[0].uncertainty_seconds: must not be negative");
}

}  // namespace
}  // namespace kerbside::bundle
