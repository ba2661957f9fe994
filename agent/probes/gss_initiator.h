#ifndef KERBSIDE_AGENT_PROBES_GSS_INITIATOR_H_
#define KERBSIDE_AGENT_PROBES_GSS_INITIATOR_H_

// The client side of one Kerberos GSS-API context (RFC 4121 tokens), as the SMTP probe needs it
// for X-EXPS GSSAPI / AUTH GSSAPI (RFC 4752). Linux: MIT GSS-API on this host's keytab login
// (gss_initiator_krb5.h). Windows: SSPI's Kerberos package with the process's own credentials,
// the machine account for a LocalSystem service, exactly as Exchange authenticates
// (gss_initiator_sspi.h).

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kerbside::agent::probes {

class GssInitiator {
 public:
  virtual ~GssInitiator() = default;
  // Feeds the server's token (empty for the first call) and sets the token to send. The error
  // keeps the native status ("gss_init_sec_context: ...", "InitializeSecurityContext: ...").
  virtual absl::Status Step(const std::string& server_token, std::string* client_token) = 0;
  // The context is established (no more tokens to exchange).
  virtual bool complete() const = 0;
  // Per-message protection on the established context: integrity, no confidentiality. Unwrap
  // names the plaintext size it expects (RFC 4752's security-layer messages are 4 octets) and
  // fails on any other: Wine's SSPI cannot tell the size itself (gss_initiator_sspi.h).
  virtual absl::StatusOr<std::string> Unwrap(const std::string& wrapped, size_t plain_size) = 0;
  virtual absl::StatusOr<std::string> Wrap(const std::string& plain) = 0;
};

// Starts a context for `service` ("SMTPSVC/ex02.contoso.com", no realm). An error says why no
// authentication is tried ("no TGT: ...", "no service ticket: ..."); it becomes the probe's
// auth_skipped_reason.
using GssInitiatorFactory =
    std::function<absl::StatusOr<std::unique_ptr<GssInitiator>>(const std::string& service)>;

}  // namespace kerbside::agent::probes

#endif  // KERBSIDE_AGENT_PROBES_GSS_INITIATOR_H_
