// A small SMTP server for the probe integration tests that answers like Exchange's Default
// receive connector (tests/lab/exsim/smtp_receiver.h with X-EXPS always offered): STARTTLS with
// the test's certificate, X-EXPS GSSAPI and AUTH GSSAPI checked against the service keytab, 235
// on success and "454 4.7.0 Temporary authentication failure" on any failure. It never accepts
// mail.
//
//   smtp_gssapi_server --port N --cert C --key K --keytab KT --name ex02.lab.test
// prints "listening on port N" once ready; one thread per connection; stops on SIGTERM.
#include <arpa/inet.h>
#include <gssapi/gssapi_krb5.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "tests/lab/exsim/smtp_receiver.h"

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
  static kerbside::lab::SmtpReceiverOptions options;
  options.fqdn = name;
  options.tls = tls;
  while (true) {
    const int fd = ::accept4(ls, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::thread([fd]() { kerbside::lab::ServeSmtpSession(fd, "127.0.0.1", options); }).detach();
  }
}
