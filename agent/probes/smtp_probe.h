#ifndef KERBSIDE_AGENT_PROBES_SMTP_PROBE_H_
#define KERBSIDE_AGENT_PROBES_SMTP_PROBE_H_

// SMTP as Exchange speaks it between servers: banner, EHLO (AUTH, X-EXPS, STARTTLS,
// X-ANONYMOUSTLS), STARTTLS with OpenSSL (protocol, cipher, certificate subject, SANs,
// validity against this host's clock), EHLO again, and with Kerberos credentials a full GSSAPI
// authentication (RFC 4954 + RFC 4752, or Exchange's X-EXPS GSSAPI) whose reply is what
// the sender's queue would show: 235, or 454 4.7.0 Temporary authentication failure.
// Never sends a message; QUITs after the handshake. Portable: the sockets are net.h's, the
// GSS-API context comes from the platform (gss_initiator.h).

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agent/probes/gss_initiator.h"
#include "agent/probes/probe_targets.h"
#include "common/clock.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::agent::probes {

// One SMTP reply: code and text lines ("250-X-EXPS GSSAPI NTLM" -> "X-EXPS GSSAPI NTLM").
struct SmtpResponse {
  int code = 0;
  std::vector<std::string> lines;
};

// Adds one received line to `r`. Returns true when the reply is complete ("250 " or a bare
// "250"), false when more lines follow ("250-"); an error for a line that is not a reply
// line or whose code differs from the previous lines'.
absl::StatusOr<bool> AddReplyLine(absl::string_view line, SmtpResponse* r);

struct EhloInfo {
  std::vector<std::string> keywords;           // "STARTTLS", "AUTH GSSAPI NTLM", ... verbatim
  std::vector<std::string> auth_mechanisms;    // from "AUTH ..." and "AUTH=..." (upper case)
  std::vector<std::string> x_exps_mechanisms;  // from "X-EXPS ..."
  bool starttls = false;
  bool anonymous_tls = false;  // X-ANONYMOUSTLS
};
// Parses a 250 EHLO reply: the first line is the greeting, the others are keywords.
EhloInfo ParseEhlo(const SmtpResponse& r);

// "454 4.7.0 Temporary authentication failure" -> code, enhanced status, text.
v1::SmtpReply ToSmtpReply(const SmtpResponse& r);

struct SmtpTarget {
  std::string peer;  // the name ExchangeAuth uses: SMTPSVC/<peer> ("ex02.contoso.com")
  std::string host;  // where to connect (name or address)
  int port = 25;
};

struct SmtpProbeOptions {
  std::string ehlo_name = "localhost";             // this host's FQDN
  absl::Duration step_timeout = absl::Seconds(5);  // per step: connect, banner, EHLO, ...
  // With a factory, GSSAPI authentication is attempted; without one, `no_auth_reason` is the
  // probe's auth_skipped_reason.
  GssInitiatorFactory gss;
  std::string no_auth_reason = "no Kerberos credentials configured";
};

// One SMTP target per peer and port (the peer's address when it has one, else its name).
std::vector<SmtpTarget> SmtpTargetsFor(const std::vector<PeerTarget>& peers,
                                       const std::vector<int>& ports);

v1::SmtpProbe ProbeSmtp(const SmtpTarget& target, const SmtpProbeOptions& options,
                        const Clock& clock);

}  // namespace kerbside::agent::probes

#endif  // KERBSIDE_AGENT_PROBES_SMTP_PROBE_H_
