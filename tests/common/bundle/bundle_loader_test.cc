#include "common/bundle/bundle_loader.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "collector/cli/bundle_view.h"
#include "common/bundle/host_json.h"
#include "gtest/gtest.h"

namespace kerbside::bundle {
namespace {

namespace fs = std::filesystem;

class BundleLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("kerbside-bundle-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& bytes) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel, std::ios::binary) << bytes;
  }
  fs::path dir_;
};

int Count(const model::HostEvidence& h, v1::Evidence::KindCase kind) {
  int n = 0;
  for (const auto& e : h.evidence) n += e.kind_case() == kind;
  return n;
}

TEST_F(BundleLoaderTest, LoadsAScenarioWithUtf16FilesAndCaseInsensitiveNames) {
  auto fleet = LoadBundle(KERBSIDE_SCENARIOS "/001-clock-skew-target-confirmed");
  ASSERT_TRUE(fleet.ok()) << fleet.status();
  EXPECT_EQ(fleet->format, "kerbside-bundle/1");
  ASSERT_TRUE(fleet->max_clock_skew.has_value());
  EXPECT_EQ(*fleet->max_clock_skew, absl::Seconds(300));
  ASSERT_EQ(fleet->hosts.size(), 5u);
  const model::HostEvidence& ex03 = fleet->hosts.at("EX03");
  EXPECT_TRUE(ex03.has_identity);
  EXPECT_TRUE(ex03.problems.empty()) << ex03.problems.front().message;
  // EX03's get-queue.json is Windows PowerShell 5.1 output: UTF-16LE, numeric enums.
  EXPECT_EQ(Count(ex03, v1::Evidence::kQueues), 1);
  EXPECT_EQ(Count(ex03, v1::Evidence::kW32TmStripchart), 1);
  const model::HostEvidence& dc01 = fleet->hosts.at("DC01");
  EXPECT_TRUE(dc01.identity.pdc_emulator());
  EXPECT_EQ(Count(dc01, v1::Evidence::kEvents), 1);
  for (const auto& e : dc01.evidence) {
    EXPECT_EQ(e.host(), "DC01");
    EXPECT_EQ(e.source(), "bundle");
    EXPECT_TRUE(e.has_observed_host_time());
  }
  EXPECT_EQ(NewestCollectedAt(*fleet), absl::FromUnixSeconds(1795687200));  // 2026-11-26 10:00Z
}

TEST_F(BundleLoaderTest, OneBrokenFileDoesNotStopTheOthers) {
  Write("BUNDLE.JSON", R"({"format":"kerbside-bundle/1"})");
  Write("Hosts/ex01/HOST.json", R"({"name":"EX01","role":"exchange","ips":["10.1.1.11"]})");
  Write("Hosts/ex01/get-queue.json", "[{\"Identity\": \"EX01\\\\1\", \"Status\": ");  // truncated
  Write("Hosts/ex01/W32TM-STATUS.txt",
        "Leap Indicator: 0(no warning)\nStratum: 3 (secondary reference - syncd by (S)NTP)\n"
        "Precision: -23 (119.209ns per tick)\nRoot Delay: 0.0012s\nRoot Dispersion: 7.7s\n"
        "ReferenceId: 0x0A010101 (source IP:  10.1.1.1)\n"
        "Last Successful Sync Time: 11/26/2026 9:58:01 AM\nSource: DC01.contoso.com\n"
        "Poll Interval: 10 (1024s)\n");
  Write("Hosts/ex01/notes.txt", "collected by hand");
  Write("Hosts/ex01/events-system.xml", std::string("\x00\x01\x02\xff\xfe\x00binary", 12));
  auto fleet = LoadBundle(dir_.string());
  ASSERT_TRUE(fleet.ok()) << fleet.status();
  const model::HostEvidence& ex01 = fleet->hosts.at("EX01");
  EXPECT_EQ(Count(ex01, v1::Evidence::kW32TmStatus), 1);
  ASSERT_EQ(ex01.problems.size(), 2u);
  for (const auto& p : ex01.problems) {
    EXPECT_TRUE(p.message.rfind("hosts/ex01/", 0) == 0) << p.message;
  }
  EXPECT_NE(ex01.problems[0].message.find("events-system.xml"), std::string::npos);
  EXPECT_NE(ex01.problems[1].message.find("get-queue.json"), std::string::npos);
  ASSERT_EQ(ex01.ignored.size(), 1u);
  EXPECT_EQ(ex01.ignored.front(), "hosts/ex01/notes.txt");

  EXPECT_TRUE(cli::BundleHasProblems(*fleet));
  nlohmann::ordered_json j = cli::BundleCheckToJson(dir_.string(), *fleet);
  EXPECT_FALSE(j["ok"].get<bool>());
  const auto& h = j["hosts"][0];
  EXPECT_EQ(h["name"], "EX01");
  EXPECT_TRUE(h["counts"]["w32tm_status"].get<bool>());
  EXPECT_EQ(h["failed"].size(), 2u);
  // Absence of evidence is reported as not collected, never as healthy.
  std::vector<std::string> missing = h["missing"];
  EXPECT_NE(std::find(missing.begin(), missing.end(), "get-queue.json or get-queue.txt"),
            missing.end());
  const std::string text = cli::BundleCheckToText(dir_.string(), *fleet);
  EXPECT_NE(text.find("FAILED hosts/ex01/get-queue.json"), std::string::npos) << text;
  EXPECT_NE(text.find("not collected:"), std::string::npos);
}

TEST_F(BundleLoaderTest, HostJsonNameMustMatchFolderAndFieldsAreChecked) {
  Write("hosts/EX02/host.json", R"({"name":"EX09","role":"exchange"})");
  Write("hosts/EX03/host.json", R"({"name":"EX03","role":"hub"})");
  auto fleet = LoadBundle(dir_.string());
  ASSERT_TRUE(fleet.ok());
  ASSERT_EQ(fleet->hosts.at("EX02").problems.size(), 1u);
  EXPECT_NE(fleet->hosts.at("EX02").problems[0].message.find("differs from the folder name"),
            std::string::npos);
  ASSERT_EQ(fleet->hosts.at("EX03").problems.size(), 1u);
  EXPECT_EQ(fleet->hosts.at("EX03").problems[0].message,
            "hosts/EX03/host.json: field \"role\": 'hub' is not exchange or dc");
  EXPECT_FALSE(fleet->hosts.at("EX03").has_identity);
}

// Issue 12 item 3: a symlink loop aborted the CLI and the agent (std::filesystem_error), and
// links were followed out of the bundle (a setspn-x.txt pointing at /etc/passwd was read).
TEST_F(BundleLoaderTest, LinksAreFollowedOnlyInsideTheBundleAndLoopsAreProblems) {
  const std::string w32tm =
      "Leap Indicator: 0(no warning)\nStratum: 3 (secondary reference - syncd by (S)NTP)\n"
      "Source: DC01.contoso.com\nPhase Offset: 0.0001s\n";
  Write("hosts/EX01/w32tm-status-real.txt", w32tm);
  // Inside the bundle: followed.
  fs::create_symlink("w32tm-status-real.txt", dir_ / "hosts/EX01/w32tm-status.txt");
  // A loop, a link out of the bundle, a dangling link.
  fs::create_symlink("setspn-x.txt", dir_ / "hosts/EX01/setspn-x.txt");
  fs::create_symlink("/etc/passwd", dir_ / "hosts/EX01/setspn-q-smtpsvc.txt");
  fs::create_symlink("nowhere.txt", dir_ / "hosts/EX01/repadmin-showrepl.csv");
  // A host folder that is a link out of the bundle, and one that loops.
  fs::create_symlink("/", dir_ / "hosts/EX09");
  fs::create_symlink("EX08", dir_ / "hosts/EX08");

  auto fleet = LoadBundle(dir_.string());
  ASSERT_TRUE(fleet.ok()) << fleet.status();
  ASSERT_EQ(fleet->hosts.count("EX01"), 1u);
  const model::HostEvidence& ex01 = fleet->hosts.at("EX01");
  // Read through the link (the file it points to has a name no parser takes).
  ASSERT_EQ(Count(ex01, v1::Evidence::kW32TmStatus), 1);
  std::string all;
  for (const auto& p : ex01.problems) all += p.message + "\n";
  for (const auto& p : fleet->problems) all += p.message + "\n";
  EXPECT_NE(all.find("hosts/EX01/setspn-x.txt: "), std::string::npos) << all;
  EXPECT_NE(all.find("hosts/EX01/setspn-q-smtpsvc.txt: a link out of the bundle"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("hosts/EX01/repadmin-showrepl.csv: "), std::string::npos) << all;
  EXPECT_NE(all.find("hosts/EX09: a link out of the bundle"), std::string::npos) << all;
  EXPECT_NE(all.find("hosts/EX08: "), std::string::npos) << all;
  EXPECT_EQ(fleet->hosts.count("EX09"), 0u);
  EXPECT_EQ(fleet->hosts.count("EX08"), 0u);
  for (const auto& e : ex01.evidence) EXPECT_NE(e.kind_case(), v1::Evidence::kSpnQuery);

  // The host_folder source reads one folder the same way, the folder itself being its root.
  model::HostEvidence alone = LoadHostFolder((dir_ / "hosts/EX01").string(), "EX01");
  EXPECT_EQ(Count(alone, v1::Evidence::kW32TmStatus), 1);
  EXPECT_FALSE(alone.problems.empty());
  // A host folder that is itself a loop is a problem, not a crash.
  model::HostEvidence loop = LoadHostFolder((dir_ / "hosts/EX08").string(), "EX08");
  EXPECT_FALSE(loop.problems.empty());
}

TEST_F(BundleLoaderTest, NotAFolderIsAnError) {
  EXPECT_FALSE(LoadBundle((dir_ / "nope").string()).ok());
}

TEST(HostJsonTest, ParsesEveryField) {
  auto h =
      ParseHostJson(R"({"name":"ex01","fqdn":"EX01.contoso.com.","role":"exchange","site":"HQ",)"
                    R"("domain":"contoso.com","ips":["10.1.1.11","fe80::1"],"pdc_emulator":false,)"
                    R"("collected_at":"2026-11-26T10:00:00Z"})",
                    "host.json");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->identity.netbios_name(), "EX01");
  EXPECT_EQ(h->identity.fqdn(), "ex01.contoso.com");
  EXPECT_EQ(h->identity.ips_size(), 2);
  EXPECT_EQ(h->collected_at, absl::FromUnixSeconds(1795687200));
}

TEST(HostJsonTest, ErrorsNameTheField) {
  EXPECT_EQ(ParseHostJson(R"({"name":"EX01","ips":["10.1.1.300"]})", "h.json").status().message(),
            "h.json: field \"ips\": \"10.1.1.300\" is not an IP address");
  EXPECT_EQ(ParseHostJson(R"({"fqdn":"x"})", "h.json").status().message(),
            "h.json: field \"name\": required");
  EXPECT_EQ(ParseHostJson("{", "h.json").status().message(), "h.json: not valid JSON");
  EXPECT_TRUE(absl::StartsWith(
      ParseHostJson(R"({"name":"A","collected_at":"yesterday"})", "h.json").status().message(),
      "h.json: field \"collected_at\": 'yesterday' is not an RFC 3339 time"));
}

TEST(BundleJsonTest, MaxClockSkew) {
  auto b = ParseBundleJson(R"({"format":"kerbside-bundle/1","max_clock_skew_seconds":600})", "b");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b->max_clock_skew, absl::Minutes(10));
  EXPECT_FALSE(ParseBundleJson(R"({"format":"other/2"})", "b").ok());
  EXPECT_FALSE(ParseBundleJson(R"({"max_clock_skew_seconds":-1})", "b").ok());
}

// ParseBundleFile: a tool's output read as the file it would be saved to (the host_tools source).
TEST(ParseBundleFileTest, DecodesAndParsesByFileName) {
  // "w32tm /query /status" as UTF-16LE with a BOM, as a redirected Windows console may write it.
  const std::string ascii =
      "Leap Indicator: 0(no warning)\r\nStratum: 4 (secondary reference - syncd by (S)NTP)\r\n"
      "Source: DC01.contoso.com\r\nLast Successful Sync Time: 11/27/2026 7:55:12 AM\r\n";
  std::string utf16 = "\xff\xfe";
  for (char c : ascii) {
    utf16.push_back(c);
    utf16.push_back('\0');
  }
  auto items = ParseBundleFile("w32tm-status.txt", utf16);
  ASSERT_TRUE(items.ok()) << items.status();
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ((*items)[0].kind_case(), v1::Evidence::kW32TmStatus);
  EXPECT_EQ((*items)[0].origin(), "w32tm-status.txt");
  EXPECT_EQ((*items)[0].w32tm_status().source(), "DC01.contoso.com");
}

TEST(ParseBundleFileTest, SubjectComesFromTheNameAndUnknownNamesAreRefused) {
  auto items = ParseBundleFile("setspn-l-EX02.txt",
                               "Registered ServicePrincipalNames for CN=EX02,CN=Computers,"
                               "DC=contoso,DC=com:\n        SMTPSVC/EX02\n");
  ASSERT_TRUE(items.ok()) << items.status();
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ((*items)[0].subject(), "EX02");
  EXPECT_EQ(ParseBundleFile("notes.txt", "x").status().code(), absl::StatusCode::kNotFound);
  auto bad = ParseBundleFile("get-queue.json", "{not json");
  EXPECT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "get-queue.json")) << bad.status();
}

}  // namespace
}  // namespace kerbside::bundle
