#include "tests/lab/exsim/smtp_receiver.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace kerbside::lab {
namespace {

std::string GssMessage(OM_uint32 major, OM_uint32 minor) {
  std::string out;
  for (int type : {GSS_C_GSS_CODE, GSS_C_MECH_CODE}) {
    OM_uint32 ctx = 0, min = 0;
    gss_buffer_desc buf = GSS_C_EMPTY_BUFFER;
    gss_display_status(&min, type == GSS_C_GSS_CODE ? major : minor, type, GSS_C_NO_OID, &ctx,
                       &buf);
    absl::StrAppend(&out, out.empty() ? "" : "; ",
                    std::string(static_cast<char*>(buf.value), buf.length));
    gss_release_buffer(&min, &buf);
  }
  return out;
}

class Session {
 public:
  Session(int fd, std::string remote_ip, const SmtpReceiverOptions& options)
      : fd_(fd), remote_ip_(std::move(remote_ip)), options_(options) {}
  ~Session() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    ::close(fd_);
    OM_uint32 minor;
    if (gss_ != GSS_C_NO_CONTEXT) gss_delete_sec_context(&minor, &gss_, GSS_C_NO_BUFFER);
  }

  void Run() {
    decision_ = options_.connector_for ? options_.connector_for(remote_ip_) : ConnectorDecision{};
    if (options_.connector_for && decision_.connector.empty()) {
      // No connector's RemoteIPRanges take the client: Exchange drops it after the banner.
      Send("421 4.3.2 Service not available, closing transmission channel");
      return;
    }
    Send(absl::StrCat("220 ", options_.fqdn, " Microsoft ESMTP MAIL Service ready"));
    std::string line;
    while (ReadLine(&line)) {
      const std::string upper = absl::AsciiStrToUpper(line);
      if (absl::StartsWith(upper, "EHLO")) {
        Send(absl::StrCat("250-", options_.fqdn, " Hello [", remote_ip_, "]"));
        Send("250-SIZE 37748736");
        Send("250-PIPELINING");
        Send("250-ENHANCEDSTATUSCODES");
        if (ssl_ == nullptr) {
          Send("250-STARTTLS");
          Send("250-X-ANONYMOUSTLS");
          Send("250-AUTH NTLM");
        } else if (decision_.integrated_auth) {
          Send("250-AUTH GSSAPI NTLM");
        }
        if (decision_.exchange_server_auth) Send("250-X-EXPS GSSAPI NTLM");
        Send("250 CHUNKING");
      } else if (upper == "STARTTLS" && ssl_ == nullptr) {
        Send("220 2.0.0 SMTP server ready");
        ssl_ = SSL_new(options_.tls);
        SSL_set_fd(ssl_, fd_);
        if (SSL_accept(ssl_) != 1) {
          std::fprintf(stderr, "TLS handshake with %s failed\n", remote_ip_.c_str());
          return;
        }
      } else if ((absl::StartsWith(upper, "X-EXPS GSSAPI") && !decision_.exchange_server_auth) ||
                 (absl::StartsWith(upper, "AUTH GSSAPI") && !decision_.integrated_auth)) {
        Send("504 5.7.4 Unrecognized authentication type");
      } else if (absl::StartsWith(upper, "AUTH GSSAPI") ||
                 absl::StartsWith(upper, "X-EXPS GSSAPI")) {
        const size_t sp = line.find(' ', line.find(' ') + 1);
        Authenticate(sp == std::string::npos ? "" : line.substr(sp + 1));
      } else if (upper == "QUIT") {
        Send("221 2.0.0 Service closing transmission channel");
        return;
      } else {
        Send("500 5.3.3 Unrecognized command");
      }
    }
  }

 private:
  void Authenticate(std::string response) {
    OM_uint32 minor = 0;
    auto fail = [&](const std::string& why, bool skew = false) {
      std::fprintf(stderr, "authentication from %s failed: %s\n", remote_ip_.c_str(), why.c_str());
      if (options_.on_auth_failure) {
        options_.on_auth_failure({remote_ip_, decision_.connector, why, skew});
      }
      Send("454 4.7.0 Temporary authentication failure");
    };
    while (true) {
      if (response == "*") return Send("501 5.0.0 Authentication cancelled");
      std::string token;
      if (!absl::Base64Unescape(response, &token)) return fail("bad base64");
      gss_buffer_desc in{token.size(), token.data()};
      gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
      const OM_uint32 major =
          gss_accept_sec_context(&minor, &gss_, GSS_C_NO_CREDENTIAL, &in, GSS_C_NO_CHANNEL_BINDINGS,
                                 nullptr, nullptr, &out, nullptr, nullptr, nullptr);
      const std::string out_token(static_cast<char*>(out.value), out.length);
      gss_release_buffer(&minor, &out);
      if (GSS_ERROR(major)) {
        return fail(GssMessage(major, minor),
                    static_cast<krb5_error_code>(minor) == KRB5KRB_AP_ERR_SKEW);
      }
      if (major == GSS_S_COMPLETE) {
        if (!out_token.empty()) {
          Send(absl::StrCat("334 ", absl::Base64Escape(out_token)));
          if (!ReadLine(&response)) return;
        }
        break;
      }
      Send(absl::StrCat("334 ", absl::Base64Escape(out_token)));
      if (!ReadLine(&response)) return;
    }
    // RFC 4752 3.1: offer "no security layer" only.
    char offer[4] = {1, 0, 0, 0};
    gss_buffer_desc plain{sizeof offer, offer};
    gss_buffer_desc wrapped = GSS_C_EMPTY_BUFFER;
    if (GSS_ERROR(gss_wrap(&minor, gss_, 0, GSS_C_QOP_DEFAULT, &plain, nullptr, &wrapped))) {
      return fail("gss_wrap");
    }
    Send(absl::StrCat("334 ", absl::Base64Escape(
                                  std::string(static_cast<char*>(wrapped.value), wrapped.length))));
    gss_release_buffer(&minor, &wrapped);
    std::string response2, token2;
    if (!ReadLine(&response2)) return;
    if (!absl::Base64Unescape(response2, &token2)) return fail("bad base64");
    gss_buffer_desc in{token2.size(), token2.data()};
    gss_buffer_desc reply = GSS_C_EMPTY_BUFFER;
    if (GSS_ERROR(gss_unwrap(&minor, gss_, &in, &reply, nullptr, nullptr))) {
      return fail("gss_unwrap");
    }
    const bool ok = reply.length >= 4 && (static_cast<unsigned char*>(reply.value)[0] & 1);
    gss_release_buffer(&minor, &reply);
    if (!ok) return fail("client chose no offered security layer");
    Send("235 2.7.0 Authentication successful");
  }

  void Send(const std::string& line) {
    const std::string data = line + "\r\n";
    if (ssl_ != nullptr) {
      SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
    } else {
      ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    }
  }

  bool ReadLine(std::string* line) {
    while (true) {
      const size_t nl = buf_.find('\n');
      if (nl != std::string::npos) {
        *line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        if (!line->empty() && line->back() == '\r') line->pop_back();
        return true;
      }
      // A line longer than any SMTP command is a broken client, not something to buffer.
      if (buf_.size() > 64 * 1024) return false;
      char b[4096];
      const int n = ssl_ != nullptr ? SSL_read(ssl_, b, sizeof b)
                                    : static_cast<int>(::recv(fd_, b, sizeof b, 0));
      if (n <= 0) return false;
      buf_.append(b, static_cast<size_t>(n));
    }
  }

  int fd_;
  std::string remote_ip_;
  const SmtpReceiverOptions& options_;
  ConnectorDecision decision_;
  SSL* ssl_ = nullptr;
  gss_ctx_id_t gss_ = GSS_C_NO_CONTEXT;
  std::string buf_;
};

}  // namespace

void ServeSmtpSession(int fd, const std::string& remote_ip, const SmtpReceiverOptions& options) {
  Session(fd, remote_ip, options).Run();
}

}  // namespace kerbside::lab
