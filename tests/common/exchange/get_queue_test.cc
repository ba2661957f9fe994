#include "common/exchange/get_queue.h"

#include <chrono>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/exchange/test_data.h"

namespace kerbside::exchange {
namespace {

using ::testing::HasSubstr;
using testing::ReadExchangeData;

TEST(GetQueueJsonTest, WindowsPowerShell51ArrayWithNumericEnumsAndDates) {
  const std::string text = ReadExchangeData("get-queue-ps51.json");
  auto s = ParseGetQueueJson(text, "get-queue.json");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->queues_size(), 3);
  const v1::Queue& q = s->queues(0);
  EXPECT_EQ(q.identity(), "EX01\\11");
  EXPECT_EQ(q.delivery_type(), "SmtpRelayToMailboxDeliveryGroup");  // 15
  EXPECT_EQ(q.status(), "Retry");                                   // 3
  EXPECT_EQ(q.message_count(), 42);
  EXPECT_EQ(q.next_hop_domain(), "site1\\mailbox delivery group");
  EXPECT_EQ(q.last_retry_time(), "2026-11-26T09:58:12Z");
  EXPECT_EQ(q.last_error().inner().code(), 454);
  EXPECT_EQ(q.last_error().target_fqdn(), "ex02.contoso.com");
  EXPECT_EQ(q.last_error().failure_class(), v1::LastError::AUTH_TEMPORARY);

  EXPECT_EQ(s->queues(1).identity(), "EX01\\Submission");
  EXPECT_EQ(s->queues(1).status(), "Ready");
  EXPECT_EQ(s->queues(1).delivery_type(), "Undefined");
  EXPECT_FALSE(s->queues(1).has_last_error());  // null LastError
  EXPECT_EQ(s->queues(1).last_retry_time(), "");
  EXPECT_EQ(s->queues(2).delivery_type(), "SmtpRelayToRemoteAdSite");  // 5
  EXPECT_EQ(s->queues(2).last_error().failure_class(), v1::LastError::DNS);
}

TEST(GetQueueJsonTest, Utf16WithBomAndCrLfDecodesToTheSameQueues) {
  auto a = ParseGetQueueJson(ReadExchangeData("get-queue-ps51.json"), "a.json");
  auto b = ParseGetQueueJson(ReadExchangeData("get-queue-ps51-utf16.json"), "b.json");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->SerializeAsString(), b->SerializeAsString());
}

TEST(GetQueueJsonTest, PowerShell7SingleObjectWithNamesAndIsoDate) {
  auto s = ParseGetQueueJson(ReadExchangeData("get-queue-ps7-single.json"), "get-queue.json");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->queues_size(), 1);
  const v1::Queue& q = s->queues(0);
  EXPECT_EQ(q.identity(), "EX03\\7");
  EXPECT_EQ(q.delivery_type(), "SmtpRelayToServers");
  EXPECT_EQ(q.status(), "Retry");
  EXPECT_EQ(q.last_retry_time(), "2026-11-26T10:02:31.4410000+01:00");
  EXPECT_EQ(q.last_error().security_status(), "TimeSkew");
  EXPECT_TRUE(q.last_error().via_frontend_proxy());
}

TEST(GetQueueJsonTest, IdentityObjectAndWrappedValues) {
  // Identity as an object and a PSObject-wrapped date (shape of PS 5.1's Get-Date output).
  const char* json = R"({"Identity": {"Server": "EX01", "RowId": 9},
    "Status": {"value": 4, "DisplayHint": 0},
    "MessageCount": "7",
    "LastRetryTime": {"value": "\/Date(0)\/", "DisplayHint": 2}})";
  auto s = ParseGetQueueJson(json, "q.json");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->queues(0).identity(), "EX01\\9");
  EXPECT_EQ(s->queues(0).status(), "Suspended");
  EXPECT_EQ(s->queues(0).message_count(), 7);
  EXPECT_EQ(s->queues(0).last_retry_time(), "1970-01-01T00:00:00Z");
}

TEST(GetQueueJsonTest, UnknownEnumNumbersAreKeptAsDigits) {
  auto s = ParseGetQueueJson(R"([{"Identity":"EX01\\3","DeliveryType":99,"Status":42}])", "q");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->queues(0).delivery_type(), "99");
  EXPECT_EQ(s->queues(0).status(), "42");
}

TEST(GetQueueJsonTest, MalformedInputsAreCleanErrors) {
  auto truncated = ParseGetQueueJson("[\n  {\n    \"Identity\": \"EX01\\\\3\",\n    \"Status\": ",
                                     "get-queue.json");
  ASSERT_FALSE(truncated.ok());
  EXPECT_THAT(truncated.status().message(), HasSubstr("get-queue.json"));

  auto cut = ParseGetQueueJson("[\n {\"Identity\": \"EX01\\\\3\",\n \"Status\": 3,}\n]", "g.json");
  ASSERT_FALSE(cut.ok());
  EXPECT_THAT(cut.status().message(), HasSubstr("g.json:3: invalid JSON"));

  auto empty = ParseGetQueueJson(" \r\n", "e.json");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "e.json: empty file");

  auto no_id = ParseGetQueueJson(R"([{"Status": 3}])", "n.json");
  ASSERT_FALSE(no_id.ok());
  EXPECT_THAT(no_id.status().message(), HasSubstr("queue #1 has no Identity"));

  auto scalar = ParseGetQueueJson("[1, 2]", "s.json");
  ASSERT_FALSE(scalar.ok());
  EXPECT_THAT(scalar.status().message(), HasSubstr("not a JSON object"));

  auto junk = ParseGetQueueJson("\x89PNG\r\n garbage", "j.json");
  ASSERT_FALSE(junk.ok());
  EXPECT_THAT(junk.status().message(), HasSubstr("no JSON object or array"));
}

TEST(GetQueueJsonTest, FiftyMegabytesIsRefusedQuickly) {
  std::string big = "[";
  while (big.size() < (50u << 20)) big += R"({"Identity":"EX01\\1","Status":3},)";
  big += "{}]";
  const auto start = std::chrono::steady_clock::now();
  auto s = ParseGetQueueJson(big, "big.json");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("limit"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_FALSE(ParseGetQueueList(big, "big.txt").ok());
}

TEST(GetQueueListTest, ConsoleCaptureWithPromptsAndWrappedLastError) {
  auto s = ParseGetQueueList(ReadExchangeData("get-queue-fl-console.txt"), "get-queue.txt");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->queues_size(), 2);
  const v1::Queue& q = s->queues(0);
  EXPECT_EQ(q.identity(), "EX01\\11");
  EXPECT_EQ(q.status(), "Retry");
  EXPECT_EQ(q.delivery_type(), "SmtpRelayToMailboxDeliveryGroup");
  EXPECT_EQ(q.message_count(), 42);
  EXPECT_EQ(q.last_retry_time(), "26/11/2026 09:58:12");
  EXPECT_EQ(q.last_error().inner().code(), 454);
  EXPECT_EQ(q.last_error().last_endpoint(), "10.1.1.12:2525");  // from the third wrapped line
  EXPECT_EQ(q.last_error().failure_class(), v1::LastError::AUTH_TEMPORARY);
  EXPECT_EQ(s->queues(1).identity(), "EX01\\Submission");
  EXPECT_FALSE(s->queues(1).has_last_error());
}

TEST(GetQueueListTest, Utf16FileFromPowerShell51Redirect) {
  auto a = ParseGetQueueList(ReadExchangeData("get-queue-fl-console.txt"), "a.txt");
  auto b = ParseGetQueueList(ReadExchangeData("get-queue-fl-utf16.txt"), "b.txt");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->SerializeAsString(), b->SerializeAsString());
}

TEST(GetQueueListTest, ForumPasteWithBlankLinesAndUnindentedWraps) {
  auto s = ParseGetQueueList(ReadExchangeData("get-queue-fl-forum.txt"), "get-queue.txt");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->queues_size(), 1);  // the message tracking entries have no Identity
  const v1::Queue& q = s->queues(0);
  EXPECT_EQ(q.identity(), "EX05\\322120");
  EXPECT_EQ(q.status(), "Retry");
  EXPECT_EQ(q.next_hop_domain(), "fabrikam.com");
  EXPECT_EQ(q.last_error().security_status(), "InvalidToken");
  EXPECT_EQ(q.last_error().inner().text(), "Security status InvalidToken.");
  EXPECT_EQ(q.last_error().target_ip(), "192.168.12.4");
  EXPECT_EQ(q.last_error().failure_class(), v1::LastError::AUTH_TEMPORARY);
}

TEST(GetQueueListTest, HugeRecordOfDistinctLabelsStaysLinear) {
  std::string text = "Identity : EX01\\1\n";
  for (int i = 0; text.size() < (7u << 20); ++i) text += "Field" + std::to_string(i) + " : x\n";
  const auto start = std::chrono::steady_clock::now();
  auto s = ParseGetQueueList(text, "big.txt");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->queues_size(), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(GetQueueListTest, MalformedInputsAreCleanErrors) {
  EXPECT_EQ(ParseGetQueueList("", "q.txt").status().message(), "q.txt: empty file");
  auto none = ParseGetQueueList("PS C:\\> Get-Queue\nsomething went wrong\n", "q.txt");
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.status().message(), HasSubstr("no queue found"));
  auto bad_count = ParseGetQueueList("Identity : EX01\\3\nMessageCount : many\n", "q.txt");
  ASSERT_FALSE(bad_count.ok());
  EXPECT_THAT(bad_count.status().message(), HasSubstr("q.txt:2: MessageCount"));
}

}  // namespace
}  // namespace kerbside::exchange
