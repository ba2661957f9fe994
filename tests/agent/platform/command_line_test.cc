#include "agent/platform/command_line.h"

#include "gtest/gtest.h"

namespace kerbside::agent {
namespace {

// Expected strings follow the rules of CommandLineToArgvW / the MSVC runtime ("Parsing C++
// command-line arguments", Microsoft Learn): 2n backslashes + quote -> n backslashes and a quote
// toggle; 2n+1 backslashes + quote -> n backslashes and a literal quote; other backslashes are
// literal.
TEST(QuoteWindowsCommandLineTest, PlainArgumentsStayAsTheyAre) {
  EXPECT_EQ(QuoteWindowsCommandLine({"w32tm", "/query", "/status"}), "w32tm /query /status");
  EXPECT_EQ(QuoteWindowsCommandLine({R"(C:\Windows\System32\w32tm.exe)", "/stripchart"}),
            R"(C:\Windows\System32\w32tm.exe /stripchart)");
}

TEST(QuoteWindowsCommandLineTest, SpacesAndEmptyArgumentsAreQuoted) {
  EXPECT_EQ(QuoteWindowsCommandLine({R"(C:\Program Files\Kerbside\a.exe)", ""}),
            R"("C:\Program Files\Kerbside\a.exe" "")");
  EXPECT_EQ(QuoteWindowsCommandLine({"powershell", "-Command", "Get-Queue | ConvertTo-Json"}),
            R"(powershell -Command "Get-Queue | ConvertTo-Json")");
}

TEST(QuoteWindowsCommandLineTest, QuotesAndBackslashesSurviveTheRoundTrip) {
  EXPECT_EQ(QuoteWindowsCommandLine({R"(say "hi")"}), R"("say \"hi\"")");
  // A trailing backslash inside quotes is doubled, else it would escape the closing quote.
  EXPECT_EQ(QuoteWindowsCommandLine({R"(C:\dir with space\)"}), R"("C:\dir with space\\")");
  // Backslashes before an embedded quote: doubled, plus one for the quote.
  EXPECT_EQ(QuoteWindowsCommandLine({R"(a\"b c)"}), R"("a\\\"b c")");
  // Backslashes not before a quote stay single even inside quotes.
  EXPECT_EQ(QuoteWindowsCommandLine({R"(\\server\share x)"}), R"("\\server\share x")");
}

}  // namespace
}  // namespace kerbside::agent
