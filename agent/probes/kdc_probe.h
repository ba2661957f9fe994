#ifndef KERBSIDE_AGENT_PROBES_KDC_PROBE_H_
#define KERBSIDE_AGENT_PROBES_KDC_PROBE_H_

// KDC reachability and the KDC's clock, without credentials: an AS-REQ for a client that needs
// no key, sent over UDP or TCP to port 88 with our own deadline; the KRB-ERROR that comes back
// (PREAUTH_REQUIRED, C_PRINCIPAL_UNKNOWN, ...) carries the KDC's clock (stime/susec). Plus port
// 464 (kpasswd) reachability. Cause `kerberos_ports_blocked` and `clock_skew` read these.
// Portable: the messages go through common/kerberos (no libkrb5), so the Windows agent runs
// exactly this code; probes_integration runs it against a real krb5kdc.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agent/probes/probe_targets.h"
#include "common/clock.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::agent::probes {

struct KdcProbeOptions {
  std::string realm;
  // The AS-REQ's client. Any name works: an unknown one gets KDC_ERR_C_PRINCIPAL_UNKNOWN (6),
  // a known one that needs pre-authentication KDC_ERR_PREAUTH_REQUIRED (25); both carry the
  // KDC's clock.
  std::string client_principal = "kerbside-probe";
  absl::Duration timeout = absl::Seconds(3);  // per attempt, the whole exchange
};

// The AS-REQ (DER) for `client` ("name[/instance]@REALM") and krbtgt/REALM, valid until `now` +
// 10 h. INVALID_ARGUMENT for a principal that does not parse.
absl::StatusOr<std::string> BuildAsRequest(const std::string& client, uint32_t nonce,
                                           absl::Time now);

// This host's clock against a KDC clock read from a reply: the host's time at the midpoint
// of send and receive minus the KDC's time, so a positive offset means this host is ahead.
// uncertainty = half the round trip, delay = the round trip (both >= 0).
v1::ClockReading KdcClockReading(absl::Time sent, absl::Time received, absl::Time kdc_time,
                                 const std::string& reference);

// Decodes a Kerberos reply to our AS-REQ into `out` (outcome, krb_error_code and name,
// detail, kdc_clock). A KRB-ERROR or an AS-REP is ANSWERED; anything else is ERROR.
void InterpretKdcReply(absl::string_view reply, absl::Time sent, absl::Time received,
                       v1::KdcProbe* out);

// Decodes a kpasswd reply (RFC 3447 framing: length, version, AP-REP length, AP-REP and
// KRB-PRIV, or a KRB-ERROR when the AP-REP is empty) into `out`.
void InterpretKpasswdReply(absl::string_view reply, v1::KdcProbe* out);

// The request kerbside sends to port 464: the 6-byte header of a kpasswd request with an
// empty AP-REQ. MIT kadmind and Windows DCs answer it with a KRB-ERROR (malformed request).
std::string KpasswdProbeRequest();

// One attempt, one transport, never longer than options.timeout.
v1::KdcProbe ProbeKdc(const KdcTarget& target, v1::KdcProbe::Transport transport,
                      const KdcProbeOptions& options, const Clock& clock);
v1::KdcProbe ProbeKpasswd(const KdcTarget& target, v1::KdcProbe::Transport transport,
                          const KdcProbeOptions& options, const Clock& clock);

// Phase 1 of a probe round: every KDC over UDP and TCP on port 88 and, with `kpasswd`, 464, at
// most `concurrency` at a time. Per KDC, in this order: 88/UDP, 88/TCP, 464/UDP, 464/TCP.
std::vector<v1::KdcProbe> ProbeKdcs(const std::vector<KdcTarget>& kdcs,
                                    const KdcProbeOptions& options, bool kpasswd, int concurrency,
                                    const Clock& clock);

// A probe round of the KDC probes only (what the Windows agent runs until its ticket and SMTP
// probes exist): the header of ProbeResults and ProbeKdcs over `targets.kdcs`.
v1::ProbeResults RunKdcProbeRound(const ProbeRunnerOptions& options, const ProbeTargets& targets,
                                  const Clock& clock);

}  // namespace kerbside::agent::probes

#endif  // KERBSIDE_AGENT_PROBES_KDC_PROBE_H_
