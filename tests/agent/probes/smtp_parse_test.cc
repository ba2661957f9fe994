#include "agent/probes/smtp_probe.h"
#include "gtest/gtest.h"

namespace kerbside::agent::probes {
namespace {

SmtpResponse Reply(const std::vector<std::string>& lines) {
  SmtpResponse r;
  for (size_t i = 0; i < lines.size(); ++i) {
    auto done = AddReplyLine(lines[i], &r);
    EXPECT_TRUE(done.ok()) << done.status();
    EXPECT_EQ(*done, i + 1 == lines.size()) << lines[i];
  }
  return r;
}

TEST(SmtpReplyTest, MultiLineAndBareCode) {
  SmtpResponse r = Reply({"250-ex02.contoso.com Hello [10.1.1.11]", "250-SIZE", "250 CHUNKING"});
  EXPECT_EQ(r.code, 250);
  EXPECT_EQ(r.lines.size(), 3u);
  SmtpResponse bare = Reply({"250"});
  EXPECT_EQ(bare.code, 250);
}

TEST(SmtpReplyTest, RejectsJunkAndCodeChanges) {
  SmtpResponse r;
  EXPECT_FALSE(AddReplyLine("hello", &r).ok());
  EXPECT_FALSE(AddReplyLine("250_x", &r).ok());
  SmtpResponse r2;
  ASSERT_TRUE(AddReplyLine("250-a", &r2).ok());
  EXPECT_FALSE(AddReplyLine("251 b", &r2).ok());
}

TEST(EhloTest, ExchangeDefaultConnectorAfterTls) {
  EhloInfo e = ParseEhlo(Reply(
      {"250-EX02.contoso.com Hello [10.1.1.11]", "250-SIZE 37748736", "250-PIPELINING", "250-DSN",
       "250-ENHANCEDSTATUSCODES", "250-STARTTLS", "250-X-ANONYMOUSTLS", "250-AUTH GSSAPI NTLM",
       "250-X-EXPS GSSAPI NTLM", "250-8BITMIME", "250-BINARYMIME", "250-CHUNKING", "250 XRDST"}));
  EXPECT_TRUE(e.starttls);
  EXPECT_TRUE(e.anonymous_tls);
  EXPECT_EQ(e.auth_mechanisms, (std::vector<std::string>{"GSSAPI", "NTLM"}));
  EXPECT_EQ(e.x_exps_mechanisms, (std::vector<std::string>{"GSSAPI", "NTLM"}));
  EXPECT_EQ(e.keywords.size(), 12u);  // the greeting line is not a keyword
}

TEST(EhloTest, AuthEqualsFormAndNoDuplicates) {
  EhloInfo e =
      ParseEhlo(Reply({"250-mx Hello", "250-AUTH=LOGIN", "250-auth login plain", "250 OK"}));
  EXPECT_EQ(e.auth_mechanisms, (std::vector<std::string>{"LOGIN", "PLAIN"}));
  EXPECT_FALSE(e.starttls);
  EXPECT_TRUE(e.x_exps_mechanisms.empty());
}

TEST(SmtpReplyTest, EnhancedStatusSplitOff) {
  v1::SmtpReply r = ToSmtpReply(Reply({"454 4.7.0 Temporary authentication failure"}));
  EXPECT_EQ(r.code(), 454);
  EXPECT_EQ(r.enhanced_status(), "4.7.0");
  EXPECT_EQ(r.text(), "Temporary authentication failure");
  v1::SmtpReply ok = ToSmtpReply(Reply({"235 2.7.0 Authentication successful"}));
  EXPECT_EQ(ok.enhanced_status(), "2.7.0");
  v1::SmtpReply plain = ToSmtpReply(Reply({"220 ex02 Microsoft ESMTP MAIL Service ready"}));
  EXPECT_EQ(plain.enhanced_status(), "");
  EXPECT_EQ(plain.text(), "ex02 Microsoft ESMTP MAIL Service ready");
}

}  // namespace
}  // namespace kerbside::agent::probes
