#include "agent/probes/kdc_probe.h"

#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/probes/net.h"
#include "agent/probes/run_all.h"
#include "common/kerberos/krb_messages.h"
#include "common/kerberos/krb_names.h"
#include "common/proto_time.h"

namespace kerbside::agent::probes {
namespace {

// Fills the error fields from a decoded KRB-ERROR.
void FillKrbError(const kerberos::KrbError& err, v1::KdcProbe* out) {
  const int number = err.error_code;
  out->set_krb_error_code(number);
  out->set_krb_error_name(kerberos::KrbErrorName(number));
  std::string detail = absl::StrCat(kerberos::KrbErrorName(number), " (", number, ")");
  if (std::string d = kerberos::KrbErrorDescription(number); !d.empty()) {
    absl::StrAppend(&detail, ": ", d);
  }
  if (!err.e_text.empty()) absl::StrAppend(&detail, "; e-text: ", err.e_text);
  out->set_detail(detail);
}

v1::KdcProbe::Outcome OutcomeOf(NetOutcome o) {
  switch (o) {
    case NetOutcome::kOk:
      return v1::KdcProbe::ANSWERED;
    case NetOutcome::kRefused:
      return v1::KdcProbe::REFUSED;
    case NetOutcome::kTimedOut:
      return v1::KdcProbe::TIMED_OUT;
    case NetOutcome::kError:
      return v1::KdcProbe::ERROR;
  }
  return v1::KdcProbe::ERROR;
}

v1::KdcProbe Start(const KdcTarget& target, int port, v1::KdcProbe::Transport transport,
                   v1::KdcProbe::Service service) {
  v1::KdcProbe p;
  p.set_kdc(target.name);
  p.set_port(port);
  p.set_transport(transport);
  p.set_service(service);
  return p;
}

// Sends `request` (unframed) over the transport; fills outcome, latency, connect fields.
Exchange Send(const KdcTarget& target, int port, v1::KdcProbe::Transport transport,
              absl::string_view request, const KdcProbeOptions& options, const Clock& clock,
              v1::KdcProbe* out) {
  Exchange ex;
  auto addr = Resolve(target.host, port);
  if (!addr.ok()) {
    ex.result.outcome = NetOutcome::kError;
    ex.result.detail = std::string(addr.status().message());
    out->set_address(FormatHostPort(target.host, port));
  } else {
    out->set_address(addr->text);
    ex = transport == v1::KdcProbe::UDP
             ? UdpExchange(*addr, request, clock, options.timeout)
             : TcpFramedExchange(*addr, FrameTcp(request), clock, options.timeout);
  }
  out->set_outcome(OutcomeOf(ex.result.outcome));
  if (!ex.result.detail.empty()) out->set_detail(ex.result.detail);
  if (transport == v1::KdcProbe::TCP) {
    out->set_connected(ex.connected);
    if (ex.connected) *out->mutable_connect_latency() = ToProto(ex.connect_latency);
  }
  if (ex.received != absl::Time() && ex.sent != absl::Time()) {
    *out->mutable_latency() = ToProto(ex.received - ex.sent);
  }
  return ex;
}

}  // namespace

absl::StatusOr<std::string> BuildAsRequest(const std::string& client, uint32_t nonce,
                                           absl::Time now) {
  const size_t at = client.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == client.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("principal '", client, "' is not name[/instance]@REALM"));
  }
  kerberos::AsRequest q;
  q.client.name_type = 1;  // NT-PRINCIPAL
  q.client.components = absl::StrSplit(client.substr(0, at), '/');
  for (const std::string& c : q.client.components) {
    if (c.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("principal '", client, "' has an empty part"));
    }
  }
  q.realm = client.substr(at + 1);
  q.nonce = nonce;
  q.till = now + absl::Hours(10);
  return kerberos::EncodeAsRequest(q);
}

v1::ClockReading KdcClockReading(absl::Time sent, absl::Time received, absl::Time kdc_time,
                                 const std::string& reference) {
  absl::Duration round_trip = received - sent;
  if (round_trip < absl::ZeroDuration()) round_trip = absl::ZeroDuration();  // clock stepped
  const absl::Time midpoint = sent + round_trip / 2;
  v1::ClockReading r;
  r.set_method(v1::ClockReading::KDC_ERROR_TIME);
  r.set_reference(reference);
  *r.mutable_offset() = ToProto(midpoint - kdc_time);
  *r.mutable_uncertainty() = ToProto(round_trip / 2);
  *r.mutable_delay() = ToProto(round_trip);
  *r.mutable_measured_at() = ToProto(received);
  return r;
}

void InterpretKdcReply(absl::string_view reply, absl::Time sent, absl::Time received,
                       v1::KdcProbe* out) {
  const int type = kerberos::KrbMessageType(reply);
  if (type == 30) {
    auto err = kerberos::DecodeKrbError(reply);
    if (!err.ok()) {
      out->set_outcome(v1::KdcProbe::ERROR);
      out->set_detail(absl::StrCat("decoding the KRB-ERROR: ", err.status().message()));
      return;
    }
    out->set_outcome(v1::KdcProbe::ANSWERED);
    FillKrbError(*err, out);
    *out->mutable_kdc_clock() = KdcClockReading(sent, received, err->server_time, out->kdc());
    return;
  }
  if (type == 11) {
    out->set_outcome(v1::KdcProbe::ANSWERED);
    out->set_detail(
        "AS-REP: the client needs no pre-authentication; an AS-REP carries no KDC time "
        "readable without the client's key, so no clock reading");
    return;
  }
  out->set_outcome(v1::KdcProbe::ERROR);
  out->set_detail(absl::StrCat("not a Kerberos reply (", reply.size(), " bytes)"));
}

std::string KpasswdProbeRequest() {
  // message length 6, version 0x0001, AP-REQ length 0.
  return std::string("\x00\x06\x00\x01\x00\x00", 6);
}

void InterpretKpasswdReply(absl::string_view reply, v1::KdcProbe* out) {
  if (reply.size() < 6) {
    out->set_outcome(v1::KdcProbe::ERROR);
    out->set_detail(absl::StrCat("kpasswd reply too short (", reply.size(), " bytes)"));
    return;
  }
  auto u16 = [&](size_t at) {
    return (static_cast<unsigned>(static_cast<unsigned char>(reply[at])) << 8) |
           static_cast<unsigned char>(reply[at + 1]);
  };
  const unsigned ap_rep_len = u16(4);
  out->set_outcome(v1::KdcProbe::ANSWERED);
  if (6 + ap_rep_len > reply.size()) {
    out->set_detail("kpasswd reply with an inconsistent AP-REP length");
    return;
  }
  const absl::string_view body = reply.substr(6 + ap_rep_len);
  if (ap_rep_len == 0 && kerberos::KrbMessageType(body) == 30) {
    if (auto err = kerberos::DecodeKrbError(body); err.ok()) {
      FillKrbError(*err, out);
      out->set_detail(absl::StrCat("kpasswd service answered: ", out->detail()));
      return;
    }
  }
  out->set_detail(absl::StrCat("kpasswd service answered (version ", u16(2), ")"));
}

v1::KdcProbe ProbeKdc(const KdcTarget& target, v1::KdcProbe::Transport transport,
                      const KdcProbeOptions& options, const Clock& clock) {
  v1::KdcProbe p = Start(target, target.port, transport, v1::KdcProbe::KERBEROS);
  p.set_client_principal(absl::StrCat(options.client_principal, "@", options.realm));
  // The nonce only has to differ between requests; a KDC echoes it in an AS-REP, never in a
  // KRB-ERROR.
  absl::BitGen gen;
  auto request = BuildAsRequest(p.client_principal(), absl::Uniform<uint32_t>(gen), clock.Now());
  if (!request.ok()) {
    p.set_outcome(v1::KdcProbe::ERROR);
    p.set_detail(request.status().ToString());
    return p;
  }
  Exchange ex = Send(target, target.port, transport, *request, options, clock, &p);
  if (ex.result.outcome == NetOutcome::kOk) {
    InterpretKdcReply(ex.reply, ex.sent, ex.received, &p);
  } else if (transport == v1::KdcProbe::TCP && ex.connected &&
             ex.result.outcome == NetOutcome::kTimedOut) {
    p.set_detail(absl::StrCat("TCP handshake completed, but ", p.detail()));
  }
  return p;
}

v1::KdcProbe ProbeKpasswd(const KdcTarget& target, v1::KdcProbe::Transport transport,
                          const KdcProbeOptions& options, const Clock& clock) {
  v1::KdcProbe p = Start(target, target.kpasswd_port, transport, v1::KdcProbe::KPASSWD);
  Exchange ex =
      Send(target, target.kpasswd_port, transport, KpasswdProbeRequest(), options, clock, &p);
  if (ex.result.outcome == NetOutcome::kOk) {
    InterpretKpasswdReply(ex.reply, &p);
  } else if (ex.result.outcome == NetOutcome::kTimedOut) {
    if (transport == v1::KdcProbe::UDP) {
      p.set_detail(absl::StrCat(p.detail(),
                                ": no answer and no ICMP unreachable; the port may be open "
                                "and silent or filtered (not proof that it is open)"));
    } else if (ex.connected) {
      p.set_detail(absl::StrCat("TCP handshake completed (the port is open), but ", p.detail()));
    }
  }
  return p;
}

std::vector<v1::KdcProbe> ProbeKdcs(const std::vector<KdcTarget>& kdcs,
                                    const KdcProbeOptions& options, bool kpasswd, int concurrency,
                                    const Clock& clock) {
  struct Attempt {
    const KdcTarget* target;
    v1::KdcProbe::Transport transport;
    bool kpasswd;
  };
  std::vector<Attempt> attempts;
  for (const KdcTarget& k : kdcs) {
    for (auto t : {v1::KdcProbe::UDP, v1::KdcProbe::TCP}) attempts.push_back({&k, t, false});
    if (kpasswd) {
      for (auto t : {v1::KdcProbe::UDP, v1::KdcProbe::TCP}) attempts.push_back({&k, t, true});
    }
  }
  std::vector<v1::KdcProbe> results(attempts.size());
  std::vector<std::function<void()>> tasks;
  for (size_t i = 0; i < attempts.size(); ++i) {
    tasks.push_back([&, i]() {
      const Attempt& a = attempts[i];
      results[i] = a.kpasswd ? ProbeKpasswd(*a.target, a.transport, options, clock)
                             : ProbeKdc(*a.target, a.transport, options, clock);
    });
  }
  RunAll(tasks, concurrency);
  return results;
}

v1::ProbeResults RunKdcProbeRound(const ProbeRunnerOptions& options, const ProbeTargets& targets,
                                  const Clock& clock) {
  v1::ProbeResults results;
  results.set_host(options.host);
  results.set_realm(options.realm);
  *results.mutable_attempt_timeout() = ToProto(options.attempt_timeout);
  *results.mutable_started_host_time() = ToProto(clock.Now());
  KdcProbeOptions kdc;
  kdc.realm = options.realm;
  kdc.timeout = options.attempt_timeout;
  if (!options.kdc_probe_client.empty()) kdc.client_principal = options.kdc_probe_client;
  for (v1::KdcProbe& r :
       ProbeKdcs(targets.kdcs, kdc, options.kpasswd, options.concurrency, clock)) {
    *results.add_kdc() = std::move(r);
  }
  *results.mutable_finished_host_time() = ToProto(clock.Now());
  return results;
}

}  // namespace kerbside::agent::probes
