// The host_tools source with real-format tool output: each "tool" here prints a sample from
// tests/data the way w32tm, setspn or repadmin print it (Windows itself runs the real ones; the
// Windows build runs this source under Wine with cmd.exe as the tool).
#include "agent/sources/tool_source.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kerbside::agent {
namespace {

using ::testing::HasSubstr;

const std::string kData = KERBSIDE_TEST_DATA;

TEST(ToolSourceTest, ToolOutputGoesThroughTheBundleParsers) {
  ToolSource source("EX01",
                    {{"w32tm-status.txt", {"cat", kData + "/windows/w32tm-status-domain.txt"}},
                     // setspn -X exits non-zero on success on Server 2022: the output decides.
                     {"setspn-x.txt",
                      {"sh", "-c", "cat \"$0\"; exit 1", kData + "/windows/setspn-x-duplicate.txt"},
                      true}},
                    absl::Seconds(60), absl::Seconds(10));
  const absl::Time now = absl::FromUnixSeconds(1796000000);
  v1::EvidenceBatch b = source.Collect(now);
  EXPECT_EQ(b.source(), "host_tools");
  EXPECT_EQ(b.health().state(), v1::SourceHealth::OK) << b.health().reason();
  ASSERT_EQ(b.items_size(), 2);
  EXPECT_EQ(b.items(0).kind_case(), v1::Evidence::kW32TmStatus);
  EXPECT_EQ(b.items(0).origin(), "w32tm-status.txt");
  EXPECT_EQ(b.items(0).host(), "EX01");
  EXPECT_EQ(b.items(0).source(), "host_tools");
  EXPECT_EQ(b.items(0).observed_host_time().seconds(), 1796000000);
  EXPECT_EQ(b.items(1).kind_case(), v1::Evidence::kSpnDuplicates);
}

TEST(ToolSourceTest, EachFailingToolIsItsOwnProblem) {
  ToolSource source(
      "DC01",
      {{"w32tm-status.txt", {"cat", kData + "/windows/w32tm-status-domain.txt"}},
       {"repadmin-showrepl.csv", {"sh", "-c", "echo 'Access is denied.' >&2; exit 5"}},
       {"get-queue.json", {"sh", "-c", "echo '{not json'"}},
       {"w32tm-stripchart-DC02.txt", {"kerbside-no-such-tool"}},
       {"setspn-l-EX02.txt", {"sleep", "30"}}},
      absl::Seconds(60), absl::Seconds(1));
  v1::EvidenceBatch b = source.Collect(absl::Now());
  EXPECT_EQ(b.health().state(), v1::SourceHealth::DEGRADED);
  EXPECT_EQ(b.items_size(), 1);
  const std::string& why = b.health().reason();
  EXPECT_THAT(why, HasSubstr("repadmin-showrepl.csv: `sh -c"));
  EXPECT_THAT(why, HasSubstr("exited with 5: Access is denied."));
  EXPECT_THAT(why, HasSubstr("get-queue.json"));
  EXPECT_THAT(why, HasSubstr("w32tm-stripchart-DC02.txt: "));
  EXPECT_THAT(why, HasSubstr("cannot run kerbside-no-such-tool"));
  EXPECT_THAT(why, HasSubstr("setspn-l-EX02.txt: "));
  EXPECT_THAT(why, HasSubstr("no answer within 1s"));
}

TEST(ToolSourceTest, NothingReadIsFailingNotHealthy) {
  ToolSource source("EX01", {{"w32tm-status.txt", {"false"}}}, absl::Seconds(60), absl::Seconds(5));
  v1::EvidenceBatch b = source.Collect(absl::Now());
  EXPECT_EQ(b.health().state(), v1::SourceHealth::FAILING);
  EXPECT_EQ(b.items_size(), 0);
}

TEST(ToolSourceTest, AFileNameOutsideTheBundleLayoutIsAnError) {
  ToolSource source("EX01", {{"whatever.txt", {"true"}}}, absl::Seconds(60), absl::Seconds(5));
  EXPECT_THAT(source.Collect(absl::Now()).health().reason(),
              HasSubstr("whatever.txt: not a file of the bundle layout"));
}

}  // namespace
}  // namespace kerbside::agent
