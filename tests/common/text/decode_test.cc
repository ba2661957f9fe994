#include "common/text/decode.h"

#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kerbside::text {
namespace {

using ::testing::HasSubstr;

std::string ReadData(const std::string& name) {
  std::ifstream in(std::string(KERBSIDE_TEST_DATA) + "/text/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The sample text of utf8.txt / utf8-bom.txt / utf16le-bom.txt, in UTF-8.
const char kSample[] =
    "Source: Standardname-des-ersten-Standorts\\DC01 \xE2\x80\x94 Gr\xC3\xB6\xC3\x9F"
    "e 10 \xC2\xB0"
    "C \xF0\x9F\x98\x80\r\nLine 2\r\n";

TEST(DecodeTest, PlainUtf8IsKept) {
  auto d = DecodeToUtf8(ReadData("utf8.txt"), "utf8.txt");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->encoding, Encoding::kUtf8);
  EXPECT_EQ(d->text, kSample);
}

TEST(DecodeTest, Utf8BomIsStripped) {
  auto d = DecodeToUtf8(ReadData("utf8-bom.txt"), "utf8-bom.txt");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->encoding, Encoding::kUtf8Bom);
  EXPECT_EQ(d->text, kSample);
}

TEST(DecodeTest, Utf16LeBomWithSurrogatePairIsConverted) {
  auto d = DecodeToUtf8(ReadData("utf16le-bom.txt"), "utf16le-bom.txt");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->encoding, Encoding::kUtf16LeBom);
  EXPECT_EQ(d->text, kSample);  // includes U+1F600, a surrogate pair in UTF-16
  EXPECT_EQ(EncodingName(d->encoding), "utf-16le-bom");
}

TEST(DecodeTest, Utf16BeBomIsConverted) {
  const std::string bytes("\xFE\xFF\x00h\x00i\x00\xE9", 8);
  auto d = DecodeToUtf8(bytes, "be.txt");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->encoding, Encoding::kUtf16BeBom);
  EXPECT_EQ(d->text, "hi\xC3\xA9");
}

TEST(DecodeTest, Utf16LeWithoutBomIsDetectedByNulBytes) {
  auto d = DecodeToUtf8(ReadData("utf16le-nobom.txt"), "utf16le-nobom.txt");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->encoding, Encoding::kUtf16Le);
  EXPECT_EQ(d->text, "Tracking dc01.contoso.com [10.0.0.10:123].\r\nCollecting 5 samples.\r\n");
}

TEST(DecodeTest, InvalidUtf8FallsBackToWindows1252) {
  auto d = DecodeToUtf8(ReadData("cp1252.txt"), "cp1252.txt");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->encoding, Encoding::kWindows1252);
  EXPECT_EQ(d->text,
            "Standort: Gr\xC3\xB6\xC3\x9F"
            "e \xE2\x82\xAC 5\r\n");  // 0x80 = euro sign
  EXPECT_TRUE(IsValidUtf8(d->text));
}

TEST(DecodeTest, OddUtf16ByteCountIsAnErrorNamingTheFile) {
  auto d = DecodeToUtf8(ReadData("utf16le-odd.txt"), "hosts/EX01/w32tm-status.txt");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(d.status().message(), HasSubstr("hosts/EX01/w32tm-status.txt"));
  EXPECT_THAT(d.status().message(), HasSubstr("odd number of bytes"));
}

TEST(DecodeTest, LoneSurrogateIsAnError) {
  auto d = DecodeToUtf8(ReadData("utf16le-lone-surrogate.txt"), "x.txt");
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("lone high surrogate at byte 6"));
  auto low = DecodeToUtf8(std::string("\xFF\xFE\x00\xDC", 4), "y.txt");
  ASSERT_FALSE(low.ok());
  EXPECT_THAT(low.status().message(), HasSubstr("lone low surrogate"));
}

TEST(DecodeTest, InvalidUtf8AfterBomIsAnError) {
  auto d = DecodeToUtf8(
      "\xEF\xBB\xBF"
      "ok \xC0\xAF",
      "z.txt");  // overlong '/'
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("invalid UTF-8 at byte 6 after a UTF-8 BOM"));
}

TEST(DecodeTest, BinaryIsRejected) {
  auto d = DecodeToUtf8(ReadData("binary.bin"), "events-system.xml");
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("events-system.xml: binary data"));
}

TEST(DecodeTest, ControlCharactersWithoutNulAreRejected) {
  std::string junk;
  for (int i = 0; i < 200; ++i) junk += "ab\x01\x02\x03";
  auto d = DecodeToUtf8(junk, "junk.txt");
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("control characters"));
}

TEST(DecodeTest, EmptyInputIsEmptyUtf8) {
  auto d = DecodeToUtf8("", "empty.txt");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->text, "");
  EXPECT_EQ(d->encoding, Encoding::kUtf8);
}

// How fast it is refused is measured in tests/bench/event_xml_bench.cc, not asserted here.
TEST(DecodeTest, OversizedInputIsRejected) {
  const std::string big(50u << 20, 'a');  // 50 MB
  auto d = DecodeToUtf8(big, "big.txt");
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("more than the limit"));
  // A caller with a legitimately big input raises the limit.
  EXPECT_TRUE(DecodeToUtf8(big, "big.txt", big.size()).ok());
}

TEST(IsValidUtf8Test, RejectsSurrogatesOverlongsAndOutOfRange) {
  EXPECT_TRUE(IsValidUtf8("plain \xC3\xA9 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // U+D800
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
}

}  // namespace
}  // namespace kerbside::text
