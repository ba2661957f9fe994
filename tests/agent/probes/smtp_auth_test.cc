// The SMTP probe's GSSAPI exchange (RFC 4954 + RFC 4752), independent of Kerberos: a scripted
// receiver on loopback and a GssInitiator whose tokens and wrapping are plain text, so each
// step of the dialogue and the security-layer rules can be checked exactly.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "agent/probes/smtp_probe.h"
#include "common/clock.h"
#include "gtest/gtest.h"

namespace kerbside::agent::probes {
namespace {

// "tokens" are "C1", "C2"; wrapping prefixes "W:".
class TextInitiator : public GssInitiator {
 public:
  absl::Status Step(const std::string& in, std::string* out) override {
    ++steps_;
    if (steps_ == 2 && in != "S1") return absl::UnauthenticatedError("unexpected server token");
    *out = absl::StrCat("C", steps_);
    return absl::OkStatus();
  }
  bool complete() const override { return steps_ >= 2; }
  absl::StatusOr<std::string> Unwrap(const std::string& wrapped, size_t plain_size) override {
    if (wrapped.rfind("W:", 0) != 0) return absl::InvalidArgumentError("not wrapped");
    std::string plain = wrapped.substr(2);
    if (plain.size() != plain_size) return absl::InvalidArgumentError("wrong size");
    return plain;
  }
  absl::StatusOr<std::string> Wrap(const std::string& plain) override {
    return absl::StrCat("W:", plain);
  }

 private:
  int steps_ = 0;
};

// A receive connector that follows `script`: for each line it reads, the reply to send. Lines
// it read are kept for the test.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<std::string> replies) : replies_(std::move(replies)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listen_fd_, 1), 0);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    thread_.join();
    ::close(listen_fd_);
  }
  int port() const { return port_; }
  const std::vector<std::string>& received() const { return received_; }

 private:
  void Serve() {
    const int c = ::accept(listen_fd_, nullptr, nullptr);
    if (c < 0) return;
    auto send = [&](const std::string& s) {
      const std::string line = s + "\r\n";
      (void)!::write(c, line.data(), line.size());
    };
    send("220 ex02.lab.test Microsoft ESMTP MAIL Service ready");
    std::string buf;
    for (const std::string& reply : replies_) {
      size_t nl;
      while ((nl = buf.find("\r\n")) == std::string::npos) {
        char tmp[512];
        const ssize_t n = ::read(c, tmp, sizeof tmp);
        if (n <= 0) {
          ::close(c);
          return;
        }
        buf.append(tmp, static_cast<size_t>(n));
      }
      received_.push_back(buf.substr(0, nl));
      buf.erase(0, nl + 2);
      send(reply);
    }
    ::close(c);
  }

  std::vector<std::string> replies_;
  std::vector<std::string> received_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

const std::string kEhlo = "250-ex02.lab.test Hello\r\n250-X-EXPS GSSAPI NTLM\r\n250 8BITMIME";
std::string B64(const std::string& s) { return absl::Base64Escape(s); }

v1::SmtpProbe Probe(int port, GssInitiatorFactory gss) {
  SmtpProbeOptions o;
  o.ehlo_name = "ex01.lab.test";
  o.step_timeout = absl::Seconds(5);
  o.gss = std::move(gss);
  ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  return ProbeSmtp({"ex02.lab.test", "127.0.0.1", port}, o, clock);
}

GssInitiatorFactory TextFactory() {
  return [](const std::string& service) -> absl::StatusOr<std::unique_ptr<GssInitiator>> {
    EXPECT_EQ(service, "SMTPSVC/ex02.lab.test");
    return std::make_unique<TextInitiator>();
  };
}

TEST(SmtpAuthTest, SecurityLayerAnsweredAndAccepted) {
  ScriptedServer server({kEhlo, absl::StrCat("334 ", B64("S1")),
                         absl::StrCat("334 ", B64(std::string("W:\x07\x00\x10\x00", 6))),
                         "235 2.7.0 Authentication successful", "221 2.0.0 Bye"});
  const v1::SmtpProbe p = Probe(server.port(), TextFactory());
  EXPECT_EQ(p.error(), "");
  EXPECT_TRUE(p.auth_attempted());
  EXPECT_EQ(p.auth_command(), "X-EXPS GSSAPI");
  EXPECT_EQ(p.auth_reply().code(), 235);
  ASSERT_EQ(server.received().size(), 5u);
  EXPECT_EQ(server.received()[1], absl::StrCat("X-EXPS GSSAPI ", B64("C1")));
  EXPECT_EQ(server.received()[2], B64("C2"));
  // RFC 4752 3.1: no security layer (1), max size 0, no authorization identity; wrapped.
  EXPECT_EQ(server.received()[3], B64(std::string("W:\x01\x00\x00\x00", 6)));
  EXPECT_EQ(server.received()[4], "QUIT");
}

TEST(SmtpAuthTest, OfferWithoutNoLayerOptionIsCancelled) {
  // Bit 0 clear: the server insists on integrity or privacy, which the probe does not do.
  ScriptedServer server({kEhlo, absl::StrCat("334 ", B64("S1")),
                         absl::StrCat("334 ", B64(std::string("W:\x06\x00\x10\x00", 6))),
                         "501 5.7.0 Authentication cancelled", "221 2.0.0 Bye"});
  const v1::SmtpProbe p = Probe(server.port(), TextFactory());
  EXPECT_EQ(p.gss_error(), "the server offers no 'no security layer' option");
  EXPECT_EQ(p.auth_reply().code(), 501);
  ASSERT_GE(server.received().size(), 4u);
  EXPECT_EQ(server.received()[3], "*");  // RFC 4954 4: the client cancels with "*"
}

TEST(SmtpAuthTest, OfferOfWrongSizeIsAGssError) {
  ScriptedServer server({kEhlo, absl::StrCat("334 ", B64("S1")),
                         absl::StrCat("334 ", B64("W:\x01")), "501 5.7.0 Authentication cancelled",
                         "221 2.0.0 Bye"});
  const v1::SmtpProbe p = Probe(server.port(), TextFactory());
  EXPECT_EQ(p.gss_error(), "wrong size");
  EXPECT_EQ(server.received()[3], "*");
}

TEST(SmtpAuthTest, NoCredentialsIsASkipWithTheReason) {
  ScriptedServer server({kEhlo, "221 2.0.0 Bye"});
  const v1::SmtpProbe p =
      Probe(server.port(), [](const std::string&) -> absl::StatusOr<std::unique_ptr<GssInitiator>> {
        return absl::UnauthenticatedError("no TGT: SEC_E_NO_CREDENTIALS (0x8009030E)");
      });
  EXPECT_FALSE(p.auth_attempted());
  EXPECT_EQ(p.auth_skipped_reason(), "no TGT: SEC_E_NO_CREDENTIALS (0x8009030E)");
  EXPECT_EQ(server.received().back(), "QUIT");
}

TEST(SmtpAuthTest, NoFactorySaysWhy) {
  ScriptedServer server({kEhlo, "221 2.0.0 Bye"});
  const v1::SmtpProbe p = Probe(server.port(), nullptr);
  EXPECT_FALSE(p.auth_attempted());
  EXPECT_EQ(p.auth_skipped_reason(), "no Kerberos credentials configured");
}

}  // namespace
}  // namespace kerbside::agent::probes
