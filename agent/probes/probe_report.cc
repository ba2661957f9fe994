#include "agent/probes/probe_report.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/proto_time.h"

namespace kerbside::agent::probes {
namespace {

std::string Ms(const google::protobuf::Duration& d) {
  return absl::StrFormat("%.1f ms", absl::ToDoubleMilliseconds(FromProto(d)));
}

std::string Lower(const std::string& s) { return absl::AsciiStrToLower(s); }

}  // namespace

std::string FormatProbeReport(const v1::ProbeResults& r) {
  std::string out =
      absl::StrCat("kerbside probes from ", r.host().empty() ? "this host" : r.host(), ", realm ",
                   r.realm(), ", started ", FormatRfc3339(FromProto(r.started_host_time())),
                   " (this host's clock), attempt timeout ",
                   absl::FormatDuration(FromProto(r.attempt_timeout())), "\n");
  absl::StrAppend(&out, "\nKDCs (", r.kdc_size(), " attempts)\n");
  for (const v1::KdcProbe& k : r.kdc()) {
    absl::StrAppend(&out, "  ", k.kdc(), " ", Lower(v1::KdcProbe::Transport_Name(k.transport())),
                    "/", k.port(), " ", Lower(v1::KdcProbe::Service_Name(k.service())), ": ",
                    Lower(v1::KdcProbe::Outcome_Name(k.outcome())));
    if (k.has_latency()) absl::StrAppend(&out, " in ", Ms(k.latency()));
    if (k.has_kdc_clock()) {
      absl::StrAppend(
          &out, absl::StrFormat("; this host is %+.4f s (+-%.4f s) vs the KDC's clock",
                                absl::ToDoubleSeconds(FromProto(k.kdc_clock().offset())),
                                absl::ToDoubleSeconds(FromProto(k.kdc_clock().uncertainty()))));
    }
    if (!k.detail().empty()) absl::StrAppend(&out, "\n      ", k.detail());
    absl::StrAppend(&out, "\n");
  }
  absl::StrAppend(&out, "\nService tickets (", r.tickets_size(), ")\n");
  for (const v1::TicketProbe& t : r.tickets()) {
    absl::StrAppend(&out, "  ", t.service_principal(), ": ");
    if (t.ok()) {
      absl::StrAppend(&out, "ok, kvno ", t.kvno(), ", ", t.enctype_name(), ", from KDC ", t.kdc());
    } else {
      absl::StrAppend(&out, "FAILED at ", t.failed_step(), ": ", t.error_message());
      if (!t.krb_error_name().empty()) absl::StrAppend(&out, " [", t.krb_error_name(), "]");
    }
    absl::StrAppend(&out, "\n");
  }
  absl::StrAppend(&out, "\nSMTP (", r.smtp_size(), ")\n");
  for (const v1::SmtpProbe& s : r.smtp()) {
    absl::StrAppend(&out, "  ", s.peer(), " ", s.address(), ": ");
    if (!s.connected()) {
      absl::StrAppend(&out, "not connected: ", s.error(), "\n");
      continue;
    }
    absl::StrAppend(&out, s.banner(), "\n");
    absl::StrAppend(&out, "      EHLO: AUTH ", absl::StrJoin(s.auth_mechanisms(), " "), "; X-EXPS ",
                    absl::StrJoin(s.x_exps_mechanisms(), " "),
                    s.starttls_offered() ? "; STARTTLS" : "; no STARTTLS",
                    s.anonymous_tls_offered() ? "; X-ANONYMOUSTLS" : "", "\n");
    if (s.starttls_ok()) {
      absl::StrAppend(&out, "      TLS: ", s.tls_protocol(), " ", s.tls_cipher(), "; certificate ",
                      s.peer_certificate_subject(), " [",
                      absl::StrJoin(s.peer_certificate_sans(), ", "), "] valid until ",
                      FormatRfc3339(FromProto(s.peer_certificate_not_after())),
                      s.peer_certificate_expired() ? " EXPIRED" : "",
                      s.peer_certificate_not_yet_valid() ? " NOT YET VALID" : "", "\n");
      absl::StrAppend(&out, "      after STARTTLS: AUTH ",
                      absl::StrJoin(s.auth_mechanisms_after_tls(), " "), "; X-EXPS ",
                      absl::StrJoin(s.x_exps_mechanisms_after_tls(), " "), "\n");
    } else if (!s.tls_error().empty()) {
      absl::StrAppend(&out, "      TLS failed: ", s.tls_error(), "\n");
    }
    if (s.auth_attempted()) {
      absl::StrAppend(&out, "      ", s.auth_command(), ": ");
      if (s.has_auth_reply()) {
        absl::StrAppend(&out, s.auth_reply().code(), " ", s.auth_reply().enhanced_status(), " ",
                        s.auth_reply().text());
      }
      if (!s.gss_error().empty()) absl::StrAppend(&out, " (GSS-API: ", s.gss_error(), ")");
      absl::StrAppend(&out, "\n");
    } else if (!s.auth_skipped_reason().empty()) {
      absl::StrAppend(&out, "      no authentication: ", s.auth_skipped_reason(), "\n");
    }
    if (!s.error().empty()) absl::StrAppend(&out, "      error: ", s.error(), "\n");
  }
  return out;
}

}  // namespace kerbside::agent::probes
