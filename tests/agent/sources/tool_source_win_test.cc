// The host_tools source on Windows (under Wine): the process runner starts a real Windows
// program (cmd.exe printing a real-format w32tm sample, CRLF line ends and all) and the output
// goes through the bundle parser. Wine has no w32tm.exe itself; the windows_agent integration
// test shows the source reporting that.
#include <string>

#include "absl/strings/str_replace.h"
#include "agent/sources/tool_source.h"
#include "gtest/gtest.h"

namespace kerbside::agent {
namespace {

std::string WindowsPath(const std::string& linux_path) {
  return "Z:" + absl::StrReplaceAll(linux_path, {{"/", "\\"}});
}

TEST(ToolSourceWinTest, CmdOutputIsParsedAsTheBundleFile) {
  const std::string sample =
      WindowsPath(std::string(KERBSIDE_TEST_DATA) + "/windows/w32tm-status-domain.txt");
  ToolSource source("EX01", {{"w32tm-status.txt", {"cmd.exe", "/c", "type", sample}}},
                    absl::Seconds(60), absl::Seconds(30));
  v1::EvidenceBatch b = source.Collect(absl::Now());
  EXPECT_EQ(b.health().state(), v1::SourceHealth::OK) << b.health().reason();
  ASSERT_EQ(b.items_size(), 1);
  EXPECT_EQ(b.items(0).kind_case(), v1::Evidence::kW32TmStatus);
  EXPECT_EQ(b.items(0).origin(), "w32tm-status.txt");
}

TEST(ToolSourceWinTest, AMissingToolIsFailingWithItsName) {
  ToolSource source("EX01", {{"repadmin-showrepl.csv", {"repadmin.exe", "/showrepl", "*", "/csv"}}},
                    absl::Seconds(60), absl::Seconds(30));
  v1::EvidenceBatch b = source.Collect(absl::Now());
  EXPECT_EQ(b.health().state(), v1::SourceHealth::FAILING);
  EXPECT_NE(b.health().reason().find("repadmin-showrepl.csv: "), std::string::npos)
      << b.health().reason();
}

}  // namespace
}  // namespace kerbside::agent
