#ifndef KERBSIDE_TESTS_LAB_EXSIM_SMTP_RECEIVER_H_
#define KERBSIDE_TESTS_LAB_EXSIM_SMTP_RECEIVER_H_

// The receiving side of Exchange's server-to-server SMTP, for tests and the lab: banner, EHLO,
// STARTTLS with the given certificate, EHLO again, and X-EXPS GSSAPI / AUTH GSSAPI (RFC 4752)
// accepted with MIT GSS-API against the process's acceptor keytab
// (krb5_gss_register_acceptor_identity). A failed authentication answers "454 4.7.0 Temporary
// authentication failure", as Exchange does. Whether X-EXPS is offered is decided per connection
// by the caller (the receive connector that takes the client's address). Never accepts mail.
// Test support only: one blocking session per accepted socket.

#include <openssl/ssl.h>

#include <functional>
#include <string>

namespace kerbside::lab {

// What the receive connector that takes a connection allows.
struct ConnectorDecision {
  std::string connector;             // "Default EX02"; empty when no connector takes it
  bool exchange_server_auth = true;  // X-EXPS GSSAPI offered after STARTTLS
  bool integrated_auth = true;       // AUTH GSSAPI offered after STARTTLS
};

// One failed inbound authentication, as Exchange logs it in event 1035.
struct AuthFailure {
  std::string remote_ip;
  std::string connector;
  std::string reason;       // GSS-API's messages, or what the client did wrong
  bool clock_skew = false;  // the authenticator's time was outside the acceptor's skew
};

struct SmtpReceiverOptions {
  std::string fqdn;        // in the banner and the EHLO greeting
  SSL_CTX* tls = nullptr;  // server context with certificate and key
  std::function<ConnectorDecision(const std::string& remote_ip)> connector_for;
  std::function<void(const AuthFailure&)> on_auth_failure;
};

// Serves one connection on `fd` (closed on return) from `remote_ip` until QUIT or EOF.
void ServeSmtpSession(int fd, const std::string& remote_ip, const SmtpReceiverOptions& options);

}  // namespace kerbside::lab

#endif  // KERBSIDE_TESTS_LAB_EXSIM_SMTP_RECEIVER_H_
