#include "common/text/lines.h"

#include "gtest/gtest.h"

namespace kerbside::text {
namespace {

TEST(SplitLinesTest, CrLfAndLfAndMissingFinalNewline) {
  auto lines = SplitLines("a\r\nb\n\nc");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].text, "a");
  EXPECT_EQ(lines[1].text, "b");
  EXPECT_EQ(lines[2].text, "");
  EXPECT_EQ(lines[3].text, "c");
  EXPECT_EQ(lines[3].number, 4);
}

TEST(SplitLinesTest, EmptyInputHasNoLines) { EXPECT_TRUE(SplitLines("").empty()); }

TEST(ParseErrorTest, NamesFileAndLine) {
  EXPECT_EQ(ParseError("get-queue.txt", 12, "no Identity").message(),
            "get-queue.txt:12: no Identity");
  EXPECT_EQ(ParseError("host.json", 0, "empty file").message(), "host.json: empty file");
}

}  // namespace
}  // namespace kerbside::text
