#include "common/duration_format.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kerbside {
namespace {

using ::testing::HasSubstr;

TEST(DurationFormatTest, ShortAndSigned) {
  EXPECT_EQ(FormatShortDuration(absl::Minutes(7) + absl::Seconds(12)), "7m12s");
  EXPECT_EQ(FormatSignedDuration(absl::Milliseconds(-4)), "-0.004s");
}

TEST(DurationFlagTest, UnitsAreTakenAsWritten) {
  std::string warning;
  auto d = ParseDurationFlag("max_clock_skew", "5m", absl::Seconds(1), &warning);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*d, absl::Minutes(5));
  d = ParseDurationFlag("stale_after", "24h", absl::Hours(1), &warning);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, absl::Hours(24));
  EXPECT_EQ(warning, "");
}

// The older spellings were bare numbers in seconds (--max_clock_skew) or hours
// (--stale_after_hours): still accepted, with a warning that shows the new one.
TEST(DurationFlagTest, ABareNumberIsTheOlderSpellingWithAWarning) {
  std::string warning;
  auto d = ParseDurationFlag("max_clock_skew", "300", absl::Seconds(1), &warning);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*d, absl::Minutes(5));
  EXPECT_THAT(warning, HasSubstr("read as seconds"));
  EXPECT_THAT(warning, HasSubstr("--max_clock_skew 5m"));
  warning.clear();
  d = ParseDurationFlag("stale_after", "1.5", absl::Hours(1), &warning);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, absl::Minutes(90));
  EXPECT_THAT(warning, HasSubstr("read as hours"));
}

TEST(DurationFlagTest, NonPositiveOrUnreadableIsAnErrorNamingTheFlag) {
  std::string warning;
  for (const char* bad : {"0", "-5m", "0s", "five", "", "inf", "nan"}) {
    auto d = ParseDurationFlag("max_clock_skew", bad, absl::Seconds(1), &warning);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_THAT(d.status().message(), HasSubstr("--max_clock_skew")) << bad;
  }
}

}  // namespace
}  // namespace kerbside
