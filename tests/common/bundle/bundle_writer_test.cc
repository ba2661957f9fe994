// Round trip: every scenario bundle, loaded, rendered back to the tools' formats, written and
// loaded again, holds the same evidence and gets the same verdicts.
#include "common/bundle/bundle_writer.h"

#include <unistd.h>

#include <filesystem>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/correlator/correlator.h"
#include "common/bundle/bundle_loader.h"
#include "common/bundle/clock_json.h"
#include "common/proto_time.h"
#include "gtest/gtest.h"

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

TEST(BundleWriterTest, CollectorClockReadingsSurviveAndKvnoIsSaidLost) {
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
  h.evidence.push_back(accounts);
  const RenderedBundle r = RenderBundle(fleet, absl::UnixEpoch());
  ASSERT_EQ(r.not_exported.size(), 1u);
  EXPECT_NE(r.not_exported[0].find("msDS-KeyVersionNumber"), std::string::npos);
  ASSERT_TRUE(WriteBundle(dir.string(), r).ok());
  auto again = LoadBundle(dir.string());
  ASSERT_TRUE(again.ok());
  const model::HostEvidence& copy = again->hosts.at("EX02");
  EXPECT_TRUE(copy.problems.empty());
  int clocks = 0, listings = 0;
  for (const auto& x : copy.evidence) {
    if (x.kind_case() == v1::Evidence::kClockReading) {
      ++clocks;
      EXPECT_EQ(x.clock_reading().reference(), "collector");
      EXPECT_NEAR(absl::ToDoubleSeconds(FromProto(x.clock_reading().offset())), 420.003, 1e-9);
    }
    if (x.kind_case() == v1::Evidence::kSpnListing) {
      ++listings;
      EXPECT_EQ(x.subject(), "EX01");
      EXPECT_EQ(x.spn_listing().spns(0), "SmtpSvc/EX01");
    }
  }
  EXPECT_EQ(clocks, 1);
  EXPECT_EQ(listings, 1);
  fs::remove_all(dir);
}

TEST(ClockReadingsJsonTest, ErrorsNameTheField) {
  EXPECT_EQ(ParseClockReadingsJson(R"({"format":"x"})", "c.json").status().message(),
            "c.json: field format: expected \"kerbside-clock/1\"");
  EXPECT_EQ(ParseClockReadingsJson(R"({"format":"kerbside-clock/1","readings":[{}]})", "c.json")
                .status()
                .message(),
            "c.json: field readings[0]: needs reference and offset_seconds");
}

}  // namespace
}  // namespace kerbside::bundle
