// The event log on Windows, under Wine. Wine's wevtapi is unimplemented stubs (calling
// EvtCreateBookmark aborts the process), so the subscription itself cannot be exercised here:
// SubscribeEventLog says so under Wine, the test prints that and skips, and checks that the
// source then reports FAILING with the reason, never "healthy". The source's logic is tested
// natively against a fake (tests/agent/sources/event_log_source_test.cc). What Wine does run: the
// bookmark file, replaced atomically on a Windows file system.
#include <windows.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "agent/atomic_file.h"
#include "agent/platform/event_log.h"
#include "agent/sources/event_log_source.h"
#include "agent/sources/event_query.h"
#include "gtest/gtest.h"

namespace kerbside::agent {
namespace {

namespace fs = std::filesystem;

TEST(EventLogWinTest, SubscribesToTheQueryListOrSaysWhyNot) {
  const std::string query = EventQueryList(v1::ROLE_EXCHANGE, absl::Hours(24));
  auto subscription = platform::SubscribeEventLog(query, "");
  if (!subscription.ok()) {
    // What this machine's Wine answered, printed so the log shows it.
    GTEST_SKIP() << "EvtSubscribe is not implemented here (Wine stubs wevtapi): "
                 << subscription.status().ToString();
  }
  auto read = (*subscription)->Read(10);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->events_xml.empty(), read->bookmark_xml.empty());
}

TEST(EventLogWinTest, TheSourceOverTheRealLogIsNeverSilentlyHealthy) {
  EventLogSource::Options o;
  o.host = "EX01";
  o.query_xml = EventQueryList(v1::ROLE_EXCHANGE, absl::Hours(24));
  o.bookmark_path = (fs::temp_directory_path() / "kerbside-event-log-test.xml").string();
  EventLogSource source(o, platform::SubscribeEventLog);
  v1::EvidenceBatch b = source.Collect(absl::Now());
  if (platform::SubscribeEventLog(o.query_xml, "").ok()) {
    EXPECT_NE(b.health().state(), v1::SourceHealth::FAILING) << b.health().reason();
  } else {
    EXPECT_EQ(b.health().state(), v1::SourceHealth::FAILING);
    EXPECT_NE(b.health().reason().find("event log: "), std::string::npos);
    EXPECT_NE(b.health().reason().find("EvtSubscribe"), std::string::npos) << b.health().reason();
    std::printf("the source under Wine reports: %s\n", b.health().reason().c_str());
  }
}

TEST(EventLogWinTest, TheBookmarkFileIsReplacedAtomically) {
  const fs::path dir = fs::temp_directory_path() / "kerbside-bookmark-test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path file = dir / "event-log.bookmark.xml";
  ASSERT_TRUE(WriteFileAtomically(file, "<BookmarkList>first</BookmarkList>", "test").ok());
  ASSERT_TRUE(WriteFileAtomically(file, "<BookmarkList>second</BookmarkList>", "test").ok());
  auto text = ReadSmallFile(file, 1024, "test");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, "<BookmarkList>second</BookmarkList>");
  EXPECT_FALSE(fs::exists(fs::path(file).concat(".tmp")));
  EXPECT_TRUE(absl::IsNotFound(ReadSmallFile(dir / "none.xml", 1024, "test").status()));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kerbside::agent
