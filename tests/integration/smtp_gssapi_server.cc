// A small SMTP server for the probe integration tests that answers like Exchange's Default
// receive connector: STARTTLS with the test's certificate, X-EXPS GSSAPI and AUTH GSSAPI
// checked with gss_accept_sec_context against the service keytab, 235 on success and
// "454 4.7.0 Temporary authentication failure" on any failure. It never accepts mail.
//
//   smtp_gssapi_server --port N --cert C --key K --keytab KT --name ex02.lab.test
// prints "listening on port N" once ready; one thread per connection; stops on SIGTERM.
#include <arpa/inet.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

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
  Session(int fd, SSL_CTX* tls, const std::string& name) : fd_(fd), tls_(tls), name_(name) {}
  ~Session() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    ::close(fd_);
    OM_uint32 minor;
    if (gss_ != GSS_C_NO_CONTEXT) gss_delete_sec_context(&minor, &gss_, GSS_C_NO_BUFFER);
  }

  void Run() {
    Send(absl::StrCat("220 ", name_, " Microsoft ESMTP MAIL Service ready"));
    std::string line;
    while (ReadLine(&line)) {
      const std::string upper = absl::AsciiStrToUpper(line);
      if (absl::StartsWith(upper, "EHLO")) {
        Send(absl::StrCat("250-", name_, " Hello [127.0.0.1]"));
        Send("250-SIZE 37748736");
        Send("250-PIPELINING");
        Send("250-ENHANCEDSTATUSCODES");
        if (ssl_ == nullptr) {
          Send("250-STARTTLS");
          Send("250-X-ANONYMOUSTLS");
          Send("250-AUTH NTLM");
        } else {
          Send("250-AUTH GSSAPI NTLM");
        }
        Send("250-X-EXPS GSSAPI NTLM");
        Send("250 CHUNKING");
      } else if (upper == "STARTTLS" && ssl_ == nullptr) {
        Send("220 2.0.0 SMTP server ready");
        ssl_ = SSL_new(tls_);
        SSL_set_fd(ssl_, fd_);
        if (SSL_accept(ssl_) != 1) {
          std::fprintf(stderr, "TLS handshake failed\n");
          return;
        }
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
    auto fail = [&](const std::string& why) {
      std::fprintf(stderr, "authentication failed: %s\n", why.c_str());
      Send("454 4.7.0 Temporary authentication failure");
    };
    OM_uint32 minor = 0;
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
      if (GSS_ERROR(major)) return fail(GssMessage(major, minor));
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
      char b[4096];
      const int n = ssl_ != nullptr ? SSL_read(ssl_, b, sizeof b)
                                    : static_cast<int>(::recv(fd_, b, sizeof b, 0));
      if (n <= 0) return false;
      buf_.append(b, static_cast<size_t>(n));
    }
  }

  int fd_;
  SSL_CTX* tls_;
  std::string name_;
  SSL* ssl_ = nullptr;
  gss_ctx_id_t gss_ = GSS_C_NO_CONTEXT;
  std::string buf_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string cert, key, keytab, name = "ex02.lab.test";
  int port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--port") {
      if (!absl::SimpleAtoi(value, &port)) return 2;
    } else if (flag == "--cert") {
      cert = value;
    } else if (flag == "--key") {
      key = value;
    } else if (flag == "--keytab") {
      keytab = value;
    } else if (flag == "--name") {
      name = value;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (krb5_gss_register_acceptor_identity(keytab.c_str()) != GSS_S_COMPLETE) return 2;
  SSL_CTX* tls = SSL_CTX_new(TLS_server_method());
  if (SSL_CTX_use_certificate_chain_file(tls, cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(tls, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    ERR_print_errors_fp(stderr);
    return 2;
  }
  const int ls = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(ls, 16) != 0) {
    std::perror("bind/listen");
    return 1;
  }
  socklen_t len = sizeof addr;
  ::getsockname(ls, reinterpret_cast<sockaddr*>(&addr), &len);
  std::printf("listening on port %d\n", ntohs(addr.sin_port));
  std::fflush(stdout);
  while (true) {
    const int fd = ::accept4(ls, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::thread([fd, tls, name]() { Session(fd, tls, name).Run(); }).detach();
  }
}
