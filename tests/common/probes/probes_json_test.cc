#include "common/probes/probes_json.h"

#include "common/proto_time.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace kerbside {
namespace {

v1::ProbeResults Sample() {
  v1::ProbeResults r;
  r.set_host("EX01");
  r.set_realm("CONTOSO.COM");
  *r.mutable_started_host_time() = ToProto(absl::FromUnixMicros(1795766400123456));
  *r.mutable_finished_host_time() = ToProto(absl::FromUnixMicros(1795766401654321));
  *r.mutable_attempt_timeout() = ToProto(absl::Seconds(3));
  v1::KdcProbe* k = r.add_kdc();
  k->set_kdc("dc01.contoso.com");
  k->set_address("10.1.1.10:88");
  k->set_port(88);
  k->set_service(v1::KdcProbe::KERBEROS);
  k->set_transport(v1::KdcProbe::TCP);
  k->set_outcome(v1::KdcProbe::ANSWERED);
  *k->mutable_latency() = ToProto(absl::Microseconds(1250));
  k->set_connected(true);
  *k->mutable_connect_latency() = ToProto(absl::Microseconds(250));
  k->set_krb_error_code(25);
  k->set_krb_error_name("KDC_ERR_PREAUTH_REQUIRED");
  k->set_client_principal("kerbside-probe@CONTOSO.COM");
  k->set_detail("KDC_ERR_PREAUTH_REQUIRED (25): Additional pre-authentication required");
  v1::ClockReading* c = k->mutable_kdc_clock();
  c->set_method(v1::ClockReading::KDC_ERROR_TIME);
  c->set_reference("dc01.contoso.com");
  *c->mutable_offset() = ToProto(absl::Seconds(-420) - absl::Microseconds(625));
  *c->mutable_uncertainty() = ToProto(absl::Microseconds(625));
  *c->mutable_delay() = ToProto(absl::Microseconds(1250));
  *c->mutable_measured_at() = ToProto(absl::FromUnixMicros(1795766400200000));
  v1::KdcProbe* u = r.add_kdc();
  u->set_kdc("dc02.contoso.com");
  u->set_port(464);
  u->set_service(v1::KdcProbe::KPASSWD);
  u->set_transport(v1::KdcProbe::UDP);
  u->set_outcome(v1::KdcProbe::TIMED_OUT);
  u->set_detail("no answer");
  v1::TicketProbe* t = r.add_tickets();
  t->set_peer("ex02.contoso.com");
  t->set_service_principal("SMTPSVC/ex02@CONTOSO.COM");
  t->set_client_principal("EX01$@CONTOSO.COM");
  t->set_ok(true);
  t->set_kvno(7);
  t->set_enctype(18);
  t->set_enctype_name("aes256-cts-hmac-sha1-96");
  t->set_kdc("10.1.1.10:88");
  *t->mutable_latency() = ToProto(absl::Milliseconds(3));
  v1::TicketProbe* bad = r.add_tickets();
  bad->set_service_principal("SMTPSVC/ex09@CONTOSO.COM");
  bad->set_krb_error_code(7);
  bad->set_krb_error_name("KDC_ERR_S_PRINCIPAL_UNKNOWN");
  bad->set_error_message("Server not found in Kerberos database");
  bad->set_failed_step("service_ticket");
  v1::SmtpProbe* s = r.add_smtp();
  s->set_peer("ex02.contoso.com");
  s->set_address("10.1.1.12:2525");
  s->set_port(2525);
  s->set_connected(true);
  s->set_banner("220 EX02.contoso.com Microsoft ESMTP MAIL Service ready");
  s->add_ehlo_keywords("STARTTLS");
  s->add_ehlo_keywords("X-EXPS GSSAPI NTLM");
  s->add_x_exps_mechanisms("GSSAPI");
  s->add_x_exps_mechanisms("NTLM");
  s->set_starttls_offered(true);
  s->set_anonymous_tls_offered(true);
  s->set_starttls_ok(true);
  s->set_tls_protocol("TLSv1.2");
  s->set_tls_cipher("ECDHE-RSA-AES256-GCM-SHA384");
  s->set_peer_certificate_subject("CN=EX02");
  s->add_peer_certificate_sans("DNS:ex02.contoso.com");
  *s->mutable_peer_certificate_not_before() = ToProto(absl::FromUnixSeconds(1700000000));
  *s->mutable_peer_certificate_not_after() = ToProto(absl::FromUnixSeconds(1790000000));
  s->set_peer_certificate_expired(true);
  s->add_auth_mechanisms_after_tls("GSSAPI");
  s->add_x_exps_mechanisms_after_tls("GSSAPI");
  s->add_ehlo_keywords_after_tls("AUTH GSSAPI");
  s->set_auth_attempted(true);
  s->set_auth_command("X-EXPS GSSAPI");
  s->mutable_auth_reply()->set_code(454);
  s->mutable_auth_reply()->set_enhanced_status("4.7.0");
  s->mutable_auth_reply()->set_text("Temporary authentication failure");
  *s->mutable_latency() = ToProto(absl::Milliseconds(80));
  return r;
}

TEST(ProbesJsonTest, RoundTrip) {
  const v1::ProbeResults in = Sample();
  const std::string text = ProbeResultsToJson(in).dump(2);
  auto out = ParseProbesJson(text, "probes.json");
  ASSERT_TRUE(out.ok()) << out.status();
  google::protobuf::util::MessageDifferencer diff;
  std::string report;
  diff.ReportDifferencesToString(&report);
  EXPECT_TRUE(diff.Compare(in, *out)) << report << "\n" << text;
}

TEST(ProbesJsonTest, UnitsAndNames) {
  const auto j = ProbeResultsToJson(Sample());
  EXPECT_EQ(j["format"], "kerbside-probes/1");
  EXPECT_EQ(j["kdc"][0]["outcome"], "answered");
  EXPECT_EQ(j["kdc"][0]["transport"], "tcp");
  EXPECT_DOUBLE_EQ(j["kdc"][0]["kdc_clock"]["offset_seconds"].get<double>(), -420.000625);
  EXPECT_DOUBLE_EQ(j["kdc"][0]["latency_seconds"].get<double>(), 0.00125);
  EXPECT_EQ(j["kdc"][1]["outcome"], "timed_out");
  EXPECT_TRUE(j["kdc"][1]["latency_seconds"].is_null());
  EXPECT_TRUE(j["kdc"][1]["kdc_clock"].is_null());
  EXPECT_EQ(j["started_at"], "2026-11-27T08:00:00.123456Z");
  EXPECT_EQ(j["smtp"][0]["auth"]["reply"]["code"], 454);
  EXPECT_TRUE(j["tickets"][1]["kvno"].is_null());
}

TEST(ProbesJsonTest, ErrorsNameFileAndField) {
  struct Case {
    const char* text;
    const char* want;
  } cases[] = {
      {"[1]", "probes.json: expected a JSON object"},
      {"{", "probes.json: not valid JSON"},
      {"{}", "probes.json: field format: required"},
      {R"({"format":"kerbside-probes/2"})", "probes.json: field format: "},
      {R"({"format":"kerbside-probes/1","kdc":{}})", "probes.json: field kdc: expected an array"},
      {R"({"format":"kerbside-probes/1","kdc":[{"outcome":"open"}]})",
       "probes.json: field kdc[0].outcome: expected one of answered, refused, timed_out, error"},
      {R"({"format":"kerbside-probes/1","kdc":[{},{"port":"88"}]})",
       "probes.json: field kdc[1].port: expected an integer"},
      {R"({"format":"kerbside-probes/1","kdc":[{"kdc_clock":{"delay_seconds":1}}]})",
       "probes.json: field kdc[0].kdc_clock.offset_seconds: required"},
      {R"({"format":"kerbside-probes/1","kdc":[{"kdc_clock":{"offset_seconds":1,)"
       R"("uncertainty_seconds":-0.5}}]})",
       "probes.json: field kdc[0].kdc_clock.uncertainty_seconds: must not be negative"},
      {R"({"format":"kerbside-probes/1","smtp":[{"tls":{"certificate":{"not_after":"x"}}}]})",
       "probes.json: field smtp[0].tls.certificate.not_after: expected an RFC 3339 time"},
      {R"({"format":"kerbside-probes/1","tickets":[{"ok":"yes"}]})",
       "probes.json: field tickets[0].ok: expected true or false"},
  };
  for (const Case& c : cases) {
    auto r = ParseProbesJson(c.text, "probes.json");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_TRUE(absl::IsInvalidArgument(r.status()));
    EXPECT_EQ(r.status().message().substr(0, strlen(c.want)), c.want) << r.status();
  }
}

TEST(ProbesJsonTest, UnknownFieldsAndNullsAreAccepted) {
  auto r = ParseProbesJson(
      R"({"format":"kerbside-probes/1","future":1,"kdc":[{"outcome":"refused","latency_seconds":null,"kdc_clock":null,"new":"x"}]})",
      "probes.json");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kdc(0).outcome(), v1::KdcProbe::REFUSED);
  EXPECT_FALSE(r->kdc(0).has_latency());
}

}  // namespace
}  // namespace kerbside
