#include "agent/probes/kdc_probe.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "agent/probes/krb5_util.h"
#include "agent/probes/net.h"
#include "common/proto_time.h"

namespace kerbside::agent::probes {
namespace {

krb5_data AsData(absl::string_view bytes) {
  krb5_data d;
  d.magic = KV5M_DATA;
  d.length = static_cast<unsigned int>(bytes.size());
  d.data = const_cast<char*>(bytes.data());
  return d;
}

// The outer DER tag of a Kerberos message (RFC 4120 5.10): [APPLICATION 30] for KRB-ERROR,
// [APPLICATION 11] for AS-REP. libkrb5 has no public krb5_is_krb_error.
bool IsKrbError(absl::string_view der) {
  return !der.empty() && static_cast<unsigned char>(der[0]) == 0x7e;
}
bool IsAsRep(absl::string_view der) {
  return !der.empty() && static_cast<unsigned char>(der[0]) == 0x6b;
}

// KRB-ERROR stime is a 32-bit krb5_timestamp; like MIT's ts2tt we read it unsigned so that
// times after 2038 stay right.
absl::Time KdcTime(const krb5_error& err) {
  return absl::UnixEpoch() + absl::Seconds(static_cast<uint32_t>(err.stime)) +
         absl::Microseconds(err.susec);
}

// Fills the error fields from a decoded KRB-ERROR; returns the krb5 message.
void FillKrbError(krb5_context ctx, const krb5_error& err, v1::KdcProbe* out) {
  const int number = static_cast<int>(err.error);
  out->set_krb_error_code(number);
  out->set_krb_error_name(KrbErrorName(number));
  const char* msg = krb5_get_error_message(ctx, ERROR_TABLE_BASE_krb5 + number);
  std::string detail = absl::StrCat(KrbErrorName(number), " (", number, "): ", msg);
  krb5_free_error_message(ctx, msg);
  if (err.text.length > 0) {
    absl::StrAppend(&detail, "; e-text: ", absl::string_view(err.text.data, err.text.length));
  }
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

absl::StatusOr<std::string> BuildAsRequest(krb5_context ctx, const std::string& client) {
  krb5_principal princ = nullptr;
  if (krb5_error_code rc = krb5_parse_name(ctx, client.c_str(), &princ); rc != 0) {
    return KrbStatus(ctx, rc, absl::StrCat("parsing principal '", client, "'"));
  }
  krb5_init_creds_context icc = nullptr;
  krb5_error_code rc = krb5_init_creds_init(ctx, princ, nullptr, nullptr, 0, nullptr, &icc);
  std::string request;
  absl::Status status;
  if (rc != 0) {
    status = KrbStatus(ctx, rc, "krb5_init_creds_init");
  } else {
    krb5_data in{}, out{}, realm{};
    unsigned int flags = 0;
    rc = krb5_init_creds_step(ctx, icc, &in, &out, &realm, &flags);
    if (rc != 0) {
      status = KrbStatus(ctx, rc, "krb5_init_creds_step");
    } else if (out.length == 0) {
      status = absl::InternalError("krb5_init_creds_step produced no request");
    } else {
      request.assign(out.data, out.length);
    }
    krb5_free_data_contents(ctx, &out);
    krb5_free_data_contents(ctx, &realm);
    krb5_init_creds_free(ctx, icc);
  }
  krb5_free_principal(ctx, princ);
  if (!status.ok()) return status;
  return request;
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

void InterpretKdcReply(krb5_context ctx, absl::string_view reply, absl::Time sent,
                       absl::Time received, v1::KdcProbe* out) {
  krb5_data data = AsData(reply);
  if (IsKrbError(reply)) {
    krb5_error* err = nullptr;
    if (krb5_error_code rc = krb5_rd_error(ctx, &data, &err); rc != 0) {
      out->set_outcome(v1::KdcProbe::ERROR);
      out->set_detail(KrbStatus(ctx, rc, "decoding the KRB-ERROR").ToString());
      return;
    }
    out->set_outcome(v1::KdcProbe::ANSWERED);
    FillKrbError(ctx, *err, out);
    *out->mutable_kdc_clock() = KdcClockReading(sent, received, KdcTime(*err), out->kdc());
    krb5_free_error(ctx, err);
    return;
  }
  if (IsAsRep(reply)) {
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

void InterpretKpasswdReply(krb5_context ctx, absl::string_view reply, v1::KdcProbe* out) {
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
  krb5_data data = AsData(body);
  if (ap_rep_len == 0 && IsKrbError(body)) {
    krb5_error* err = nullptr;
    if (krb5_rd_error(ctx, &data, &err) == 0) {
      FillKrbError(ctx, *err, out);
      out->set_detail(absl::StrCat("kpasswd service answered: ", out->detail()));
      krb5_free_error(ctx, err);
      return;
    }
  }
  out->set_detail(absl::StrCat("kpasswd service answered (version ", u16(2), ")"));
}

v1::KdcProbe ProbeKdc(const KdcTarget& target, v1::KdcProbe::Transport transport,
                      const KdcProbeOptions& options, const Clock& clock) {
  v1::KdcProbe p = Start(target, target.port, transport, v1::KdcProbe::KERBEROS);
  p.set_client_principal(absl::StrCat(options.client_principal, "@", options.realm));
  auto ctx = KrbContext::Create(BaseRelations(options.realm, {}));
  if (!ctx.ok()) {
    p.set_outcome(v1::KdcProbe::ERROR);
    p.set_detail(ctx.status().ToString());
    return p;
  }
  auto request = BuildAsRequest(ctx->get(), p.client_principal());
  if (!request.ok()) {
    p.set_outcome(v1::KdcProbe::ERROR);
    p.set_detail(request.status().ToString());
    return p;
  }
  Exchange ex = Send(target, target.port, transport, *request, options, clock, &p);
  if (ex.result.outcome == NetOutcome::kOk) {
    InterpretKdcReply(ctx->get(), ex.reply, ex.sent, ex.received, &p);
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
    auto ctx = KrbContext::Create(BaseRelations(options.realm, {}));
    if (!ctx.ok()) {
      p.set_outcome(v1::KdcProbe::ANSWERED);
      p.set_detail("kpasswd service answered (reply not decoded)");
      return p;
    }
    InterpretKpasswdReply(ctx->get(), ex.reply, &p);
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

}  // namespace kerbside::agent::probes
