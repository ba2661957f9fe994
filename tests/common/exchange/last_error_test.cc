#include "common/exchange/last_error.h"

#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/common/exchange/test_data.h"

namespace kerbside::exchange {
namespace {

using testing::ReadExchangeData;

v1::LastError Parse(const std::string& name) {
  return ParseLastError(ReadExchangeData("lasterror/" + name));
}

TEST(LastErrorTest, SeedPlainTextIs454Nested) {
  const v1::LastError e = Parse("seed-454.txt");
  EXPECT_EQ(e.outer().code(), 451);
  EXPECT_EQ(e.outer().enhanced_status(), "4.4.0");
  EXPECT_EQ(e.inner().code(), 454);
  EXPECT_EQ(e.inner().enhanced_status(), "4.7.0");
  EXPECT_EQ(e.inner().text(), "Temporary authentication failure.");
  EXPECT_EQ(e.replies_size(), 2);
  EXPECT_EQ(e.failure_class(), v1::LastError::AUTH_TEMPORARY);
  EXPECT_EQ(e.last_endpoint(), "");  // Exchange 2010 text has none
  EXPECT_EQ(e.target_ip(), "");
  EXPECT_FALSE(e.via_frontend_proxy());
  EXPECT_EQ(absl::StripAsciiWhitespace(e.raw()).substr(0, 9), "451 4.4.0");
}

TEST(LastErrorTest, BracketShapeGivesRetryTimeTargetAndEndpoint) {
  const v1::LastError e = Parse("lrt-454.txt");
  EXPECT_EQ(e.last_retry_host_time(), "26/11/2026 09:58:12");
  EXPECT_EQ(e.target_fqdn(), "ex02.contoso.com");
  EXPECT_EQ(e.target_ip(), "10.1.1.12");
  EXPECT_EQ(e.last_endpoint(), "10.1.1.12:2525");
  EXPECT_EQ(e.outer().code(), 451);
  EXPECT_EQ(e.inner().code(), 454);
  EXPECT_EQ(e.failure_class(), v1::LastError::AUTH_TEMPORARY);
}

TEST(LastErrorTest, FrontEndProxyNestingWithSecurityStatus) {
  const v1::LastError e = Parse("proxy-invalidtoken.txt");
  ASSERT_EQ(e.replies_size(), 3);
  EXPECT_EQ(e.outer().code(), 450);
  EXPECT_EQ(e.outer().enhanced_status(), "4.7.0");
  EXPECT_EQ(e.replies(1).code(), 451);
  EXPECT_EQ(e.inner().code(), 451);
  EXPECT_EQ(e.inner().enhanced_status(), "4.4.0");
  EXPECT_EQ(e.inner().text(), "Security status InvalidToken.");
  EXPECT_EQ(e.security_status(), "InvalidToken");
  EXPECT_TRUE(e.via_frontend_proxy());
  EXPECT_EQ(e.last_endpoint(), "2a0X:3cXX:XX2:XXX::XX00:25");  // masked as posted, kept verbatim
  EXPECT_EQ(e.target_fqdn(), "EX01.CONTOSO.LOCAL");
  EXPECT_EQ(e.target_ip(), "192.168.12.4");
  EXPECT_EQ(e.failure_class(), v1::LastError::AUTH_TEMPORARY);
}

TEST(LastErrorTest, TimeSkewWithSwappedQuoteStyles) {
  const v1::LastError e = Parse("proxy-timeskew.txt");
  EXPECT_EQ(e.security_status(), "TimeSkew");
  EXPECT_EQ(e.inner().text(), "Security status TimeSkew.");
  EXPECT_EQ(e.last_endpoint(), "10.1.1.12:2525");
  EXPECT_TRUE(e.via_frontend_proxy());
  EXPECT_EQ(e.failure_class(), v1::LastError::AUTH_TEMPORARY);
}

TEST(LastErrorTest, ExchangeAuthNotOffered) {
  const v1::LastError e = Parse("auth-not-offered-573.txt");
  EXPECT_EQ(e.inner().code(), 451);
  EXPECT_EQ(e.inner().enhanced_status(), "5.7.3");
  EXPECT_EQ(e.failure_class(), v1::LastError::EXCHANGE_AUTH_NOT_OFFERED);
}

TEST(LastErrorTest, DnsFailure) {
  const v1::LastError e = Parse("dns.txt");
  EXPECT_EQ(e.outer().code(), 451);
  EXPECT_EQ(e.inner().code(), 451);  // no nesting: inner equals outer
  EXPECT_EQ(e.replies_size(), 1);
  EXPECT_EQ(e.failure_class(), v1::LastError::DNS);
}

TEST(LastErrorTest, ConnectionRefusedAndTimedOutByWinsockCode) {
  const v1::LastError refused = Parse("refused.txt");
  EXPECT_EQ(refused.winsock_error(), 10061);
  EXPECT_EQ(refused.outer().code(), 441);
  EXPECT_EQ(refused.inner().code(), 441);  // the quoted text is not an SMTP reply
  EXPECT_EQ(refused.failure_class(), v1::LastError::CONNECTION_REFUSED);
  EXPECT_EQ(refused.target_ip(), "10.1.1.12");

  const v1::LastError timed_out = Parse("timed-out.txt");
  EXPECT_EQ(timed_out.winsock_error(), 10060);
  EXPECT_EQ(timed_out.last_endpoint(), "172.24.16.149:475");
  EXPECT_EQ(timed_out.failure_class(), v1::LastError::CONNECTION_TIMED_OUT);

  EXPECT_EQ(ParseLastError("451 4.4.0 Primary target IP address responded with: \"421 4.2.1 "
                           "Unable to connect.\" ... No connection could be made because the "
                           "target machine actively refused it")
                .failure_class(),
            v1::LastError::CONNECTION_REFUSED);
  EXPECT_EQ(ParseLastError("451 4.4.0 ... A connection attempt failed because the connected "
                           "party did not properly respond after a period of time")
                .failure_class(),
            v1::LastError::CONNECTION_TIMED_OUT);
}

TEST(LastErrorTest, TlsFailures) {
  const v1::LastError kb = Parse("tls-421.txt");  // KB 4051498: 421 4.4.1 after failed TLS
  EXPECT_EQ(kb.inner().code(), 421);
  EXPECT_EQ(kb.inner().enhanced_status(), "4.4.1");
  EXPECT_EQ(kb.failure_class(), v1::LastError::TLS);

  const v1::LastError starttls = Parse("starttls-proxy.txt");
  EXPECT_EQ(starttls.outer().enhanced_status(), "4.4.101");
  EXPECT_EQ(starttls.inner().enhanced_status(), "5.7.3");
  EXPECT_EQ(starttls.failure_class(), v1::LastError::TLS);  // 5.7.3 but about STARTTLS
  EXPECT_EQ(starttls.last_endpoint(), "10.1.1.12:25");
}

TEST(LastErrorTest, FoldedTextIsJoined) {
  const v1::LastError e = ParseLastError(
      "451 4.4.0 Primary target IP address responded with: \"454\r\n   4.7.0 Temporary\n"
      "authentication failure.\" Attempted failover");
  EXPECT_EQ(e.inner().code(), 454);
  EXPECT_EQ(e.inner().text(), "Temporary authentication failure.");
  EXPECT_EQ(e.failure_class(), v1::LastError::AUTH_TEMPORARY);
}

TEST(LastErrorTest, EmptyAndUnknownText) {
  const v1::LastError empty = ParseLastError("  ");
  EXPECT_EQ(empty.failure_class(), v1::LastError::FAILURE_CLASS_UNSPECIFIED);
  EXPECT_FALSE(empty.has_outer());
  const v1::LastError odd = ParseLastError("something odd happened");
  EXPECT_EQ(odd.failure_class(), v1::LastError::OTHER);
  EXPECT_EQ(odd.raw(), "something odd happened");
  EXPECT_FALSE(odd.has_inner());
}

TEST(LastErrorTest, NumbersThatAreNotRepliesAreIgnored) {
  // An IP address and a port must not be read as "NNN N.N.N".
  const v1::LastError e = ParseLastError("Failed to connect to 192 10.1.1.12:2525 and 254.1.1.1");
  EXPECT_EQ(e.replies_size(), 0);
}

}  // namespace
}  // namespace kerbside::exchange
