#include "common/windows/w32tm.h"

#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kerbside::windows {
namespace {

using ::testing::HasSubstr;

std::string ReadData(const std::string& name) {
  std::ifstream in(std::string(KERBSIDE_TEST_DATA) + "/windows/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Duration D(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

TEST(StripchartTest, DataonlyWithErrorSampleAndCrLf) {
  auto run = ParseW32tmStripchart(ReadData("w32tm-stripchart-dataonly.txt"), "f");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->target(), "DC01.contoso.com");
  EXPECT_EQ(run->target_address(), "10.0.0.10");
  EXPECT_EQ(run->current_time_line(), "The current time is 11/26/2026 12:05:15 AM.");
  EXPECT_TRUE(run->dataonly());
  ASSERT_EQ(run->samples_size(), 5);
  EXPECT_EQ(run->samples(0).time_of_day(), "00:05:15");  // 24 h despite the 12 h header
  EXPECT_TRUE(run->samples(0).ok());
  EXPECT_EQ(D(run->samples(0).printed_offset()),
            -(absl::Seconds(312) + absl::Nanoseconds(500123400)));
  EXPECT_FALSE(run->samples(2).ok());
  EXPECT_EQ(run->samples(2).error_hresult(), 0x800705B4u);
  // Remote minus local = -312.5 s: this host is 312.5 s ahead (beyond the 300 s limit).
  EXPECT_EQ(HostOffsetFromStripchart(run->samples(0)),
            absl::Seconds(312) + absl::Nanoseconds(500123400));
  EXPECT_EQ(HostOffsetFromStripchart(run->samples(2)), absl::ZeroDuration());
}

TEST(StripchartTest, HostAheadByHoursPrintsNegative) {
  auto run = ParseW32tmStripchart(ReadData("w32tm-stripchart-ahead.txt"), "f");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->target(), "DC01");
  EXPECT_EQ(run->target_address(), "192.168.1.10");
  ASSERT_EQ(run->samples_size(), 2);
  EXPECT_EQ(HostOffsetFromStripchart(run->samples(0)),
            absl::Seconds(6829) + absl::Nanoseconds(451234500));
}

TEST(StripchartTest, GraphFormPastedSessionWithThreeRuns) {
  auto runs = ParseW32tmStripchartRuns(ReadData("w32tm-stripchart-graph.txt"), "f");
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_EQ(runs->size(), 3u);
  const v1::W32tmStripchart& first = (*runs)[0];
  EXPECT_EQ(first.target(), "time.windows.com");
  EXPECT_EQ(first.target_address(), "13.66.62.111");
  EXPECT_FALSE(first.dataonly());
  ASSERT_EQ(first.samples_size(), 5);
  EXPECT_EQ(D(first.samples(0).printed_delay()), absl::Nanoseconds(62399100));
  EXPECT_EQ(D(first.samples(0).printed_offset()), -absl::Nanoseconds(688775900));
  EXPECT_FALSE(first.samples(1).ok());  // "09:56:13 error: 0x800705B4" (no comma)
  EXPECT_EQ(first.samples(1).error_hresult(), 0x800705B4u);
  EXPECT_EQ(D(first.samples(4).printed_offset()),
            absl::Seconds(11) + absl::Nanoseconds(186235400));  // '@' off-scale marker
  EXPECT_EQ((*runs)[2].target(), "us.pool.ntp.org");
  // The single-run entry point returns the last run.
  auto last = ParseW32tmStripchart(ReadData("w32tm-stripchart-graph.txt"), "f");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->target(), "us.pool.ntp.org");
  EXPECT_EQ(last->samples_size(), 2);
}

TEST(StripchartTest, LocalizedHeaderAndCommaAfterTime) {
  auto run = ParseW32tmStripchart(ReadData("w32tm-stripchart-zh.txt"), "f");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->target(), "127.0.0.1");
  EXPECT_EQ(run->target_address(), "127.0.0.1");
  EXPECT_EQ(run->current_time_line(), "当前时间是 2023/6/13 14:35:03。");
  ASSERT_EQ(run->samples_size(), 2);
  EXPECT_EQ(D(run->samples(1).printed_offset()), absl::Nanoseconds(167400));
}

TEST(StripchartTest, CommaDecimalMarkAndRunFailure) {
  auto run = ParseW32tmStripchart("10:20:00, -00,5000000s\n", "f");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_TRUE(run->target().empty());
  EXPECT_EQ(D(run->samples(0).printed_offset()), -absl::Milliseconds(500));

  auto failed = ParseW32tmStripchart(
      "Tracking dc09 [error].\nThe following error occurred: No such host is known. "
      "(0x80072AF9)\n",
      "f");
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->error_hresult(), 0x80072AF9u);
  EXPECT_TRUE(failed->samples().empty());
}

TEST(StripchartTest, MalformedInputs) {
  EXPECT_EQ(ParseW32tmStripchart("", "s.txt").status().message(), "s.txt: empty file");
  EXPECT_THAT(ParseW32tmStripchart("hello\n", "s.txt").status().message(),
              HasSubstr("not w32tm /stripchart output"));
  EXPECT_EQ(ParseW32tmStripchart("Tracking x [1.2.3.4:123].\n09:56:11, +00.12x\n", "s.txt")
                .status()
                .message(),
            "s.txt:2: unreadable stripchart sample: '09:56:11, +00.12x'");
  EXPECT_THAT(ParseW32tmStripchart("09:56:11 d:+00.1s\n", "s.txt").status().message(),
              HasSubstr("s.txt:1: unreadable"));
}

TEST(StatusTest, NewerBuildWithPhaseOffset) {
  auto s = ParseW32tmStatus(ReadData("w32tm-status-synced.txt"), "f");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->leap_indicator(), 0);
  EXPECT_EQ(s->stratum(), 4);
  EXPECT_EQ(s->precision(), -23);
  EXPECT_EQ(D(s->root_delay()), absl::Nanoseconds(15490200));
  EXPECT_EQ(D(s->root_dispersion()), absl::Seconds(7) + absl::Nanoseconds(777372200));
  EXPECT_EQ(s->reference_id(), "0x14653909");
  EXPECT_EQ(s->reference_address(), "20.101.57.9");
  EXPECT_EQ(s->last_successful_sync_time(), "9/11/2025 2:32:05 PM");
  EXPECT_EQ(s->source(), "time.windows.com");
  EXPECT_EQ(s->source_flags(), "0x9");
  EXPECT_EQ(D(s->poll_interval()), absl::Seconds(1024));
  ASSERT_TRUE(s->has_phase_offset());
  EXPECT_EQ(D(s->phase_offset()), -absl::Nanoseconds(3814700));
  EXPECT_EQ(s->last_sync_error(), 2);
  EXPECT_EQ(D(s->time_since_last_good_sync()), absl::Seconds(2820) + absl::Nanoseconds(199748000));
  EXPECT_FALSE(s->unsynchronized());
}

TEST(StatusTest, DomainMemberOlderBuildWithoutPhaseOffset) {
  auto s = ParseW32tmStatus(ReadData("w32tm-status-domain.txt"), "f");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->source(), "DC01.contoso.com");
  EXPECT_TRUE(s->source_flags().empty());
  EXPECT_EQ(s->reference_address(), "10.0.0.10");
  EXPECT_FALSE(s->has_phase_offset());
  EXPECT_FALSE(s->unsynchronized());
}

TEST(StatusTest, LocalCmosClockIsUnsynchronized) {
  auto s = ParseW32tmStatus(ReadData("w32tm-status-cmos.txt"), "f");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->leap_indicator(), 3);
  EXPECT_EQ(s->source(), "Local CMOS Clock");
  EXPECT_EQ(s->last_successful_sync_time(), "unspecified");
  EXPECT_TRUE(s->reference_address().empty());
  EXPECT_TRUE(s->unsynchronized());
}

TEST(StatusTest, PastedSessionLastBlockWinsAndLoclIsUnsynchronized) {
  const std::string text = ReadData("w32tm-status-session.txt");
  auto s = ParseW32tmStatus(text, "f");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->source(), "time.nist.gov");
  EXPECT_EQ(s->stratum(), 2);
  EXPECT_FALSE(s->unsynchronized());

  auto locl = ParseW32tmStatus(text.substr(0, text.find("PS C:")), "f");
  ASSERT_TRUE(locl.ok()) << locl.status();
  EXPECT_EQ(locl->reference_id(), "0x4C4F434C");
  EXPECT_EQ(locl->reference_name(), "LOCL");
  EXPECT_TRUE(locl->unsynchronized());
}

TEST(StatusTest, ItalianLabelsReadByPosition) {
  auto s = ParseW32tmStatus(ReadData("w32tm-status-it.txt"), "f");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->stratum(), 3);
  EXPECT_EQ(s->reference_id(), "0xC0A8F8F2");
  EXPECT_EQ(s->reference_address(), "192.168.248.242");
  EXPECT_EQ(s->last_successful_sync_time(), "25/09/2020 17:14:58");
  EXPECT_EQ(s->source(), "dc01.multidata.local");
  EXPECT_EQ(D(s->poll_interval()), absl::Seconds(16384));
}

TEST(StatusTest, ServiceStoppedAndMalformed) {
  EXPECT_EQ(
      ParseW32tmStatus(ReadData("w32tm-status-stopped.txt"), "w32tm-status.txt").status().message(),
      "w32tm-status.txt:1: w32tm failed: The following error occurred: The service has "
      "not been started. (0x80070426)");
  EXPECT_EQ(ParseW32tmStatus("", "w").status().message(), "w: empty file");
  EXPECT_THAT(
      ParseW32tmStatus("Leap Indicator: 0(no warning)\nStratum: x\n", "w").status().message(),
      HasSubstr("w:2: unreadable stratum: 'x'"));
  EXPECT_THAT(ParseW32tmStatus("Leap Indicator: 0(no warning)\n", "w").status().message(),
              HasSubstr("no ReferenceId and no Source"));
}

}  // namespace
}  // namespace kerbside::windows
