#include "common/text/escape.h"

#include "gtest/gtest.h"

namespace kerbside::text {
namespace {

// Issue 12 item 5: a source name or folder name carrying a terminal sequence or a forged log line.
TEST(EscapeTest, ControlsAreShownNotObeyed) {
  EXPECT_EQ(EscapeControl("host\x1b[2Jfolder"), "host\\x1b[2Jfolder");
  EXPECT_EQ(EscapeControl("ok\r\n2026-12-06 critical collector: forged"),
            "ok\\x0d\\x0a2026-12-06 critical collector: forged");
  EXPECT_EQ(EscapeControl("a\x7f"
                          "b"),
            "a\\x7fb");
  EXPECT_EQ(EscapeControl("\xc2\x9b"
                          "31m"),
            "\\u009b31m");  // C1 CSI in UTF-8
}

TEST(EscapeTest, TextAndLayoutStay) {
  EXPECT_EQ(EscapeControl("EX\xc3\x89"
                          "01 \xe2\x80\x94 ok"),
            "EX\xc3\x89"
            "01 \xe2\x80\x94 ok");
  EXPECT_EQ(EscapeControl("a\tb\nc", /*keep_layout=*/true), "a\tb\nc");
  EXPECT_EQ(EscapeControl("a\tb\nc"), "a\\x09b\\x0ac");
}

TEST(EscapeTest, BoundedSaysWhatWasCut) {
  EXPECT_EQ(BoundedForDisplay("abcdef", 4), "abcd...(2 more bytes)");
  EXPECT_EQ(BoundedForDisplay("ab", 4), "ab");
}

}  // namespace
}  // namespace kerbside::text
