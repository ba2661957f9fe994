#include "common/probes/probes_json.h"

#include <cctype>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/proto_time.h"
#include "common/text/lines.h"

namespace kerbside {
namespace {

using Json = nlohmann::ordered_json;

// ---------------------------------------------------------------------------------------------
// Writing.

// Microseconds: KDC clocks and TLS handshakes are read to the microsecond.
std::string FormatRfc3339Micros(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

Json Seconds(const google::protobuf::Duration& d, bool present) {
  if (!present) return nullptr;
  return absl::ToDoubleSeconds(FromProto(d));
}

Json TimeOrNull(const google::protobuf::Timestamp& t, bool present) {
  if (!present) return nullptr;
  return FormatRfc3339Micros(FromProto(t));
}

Json Strings(const google::protobuf::RepeatedPtrField<std::string>& v) {
  Json a = Json::array();
  for (const std::string& s : v) a.push_back(s);
  return a;
}

Json IntOrNull(int64_t v) { return v == 0 ? Json(nullptr) : Json(v); }

// Enum names in JSON: the proto names in lower case ("TIMED_OUT" -> "timed_out").
std::string EnumName(const std::string& proto_name) {
  std::string s = proto_name;
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Json ReplyJson(const v1::SmtpReply& r, bool present) {
  if (!present) return nullptr;
  Json j;
  j["code"] = r.code();
  j["enhanced_status"] = r.enhanced_status();
  j["text"] = r.text();
  return j;
}

Json ClockJson(const v1::ClockReading& c) {
  Json j;
  j["reference"] = c.reference();
  j["offset_seconds"] = absl::ToDoubleSeconds(FromProto(c.offset()));
  j["uncertainty_seconds"] = absl::ToDoubleSeconds(FromProto(c.uncertainty()));
  j["delay_seconds"] = absl::ToDoubleSeconds(FromProto(c.delay()));
  j["measured_at"] = TimeOrNull(c.measured_at(), c.has_measured_at());
  return j;
}

Json KdcJson(const v1::KdcProbe& k) {
  Json j;
  j["kdc"] = k.kdc();
  j["address"] = k.address();
  j["port"] = k.port();
  j["service"] = EnumName(v1::KdcProbe::Service_Name(k.service()));
  j["transport"] = EnumName(v1::KdcProbe::Transport_Name(k.transport()));
  j["outcome"] = EnumName(v1::KdcProbe::Outcome_Name(k.outcome()));
  j["latency_seconds"] = Seconds(k.latency(), k.has_latency());
  j["connected"] = k.connected();
  j["connect_latency_seconds"] = Seconds(k.connect_latency(), k.has_connect_latency());
  j["krb_error_code"] = k.krb_error_name().empty() ? Json(nullptr) : Json(k.krb_error_code());
  j["krb_error_name"] = k.krb_error_name();
  j["client_principal"] = k.client_principal();
  j["kdc_clock"] = k.has_kdc_clock() ? ClockJson(k.kdc_clock()) : Json(nullptr);
  j["detail"] = k.detail();
  return j;
}

Json TicketJson(const v1::TicketProbe& t) {
  Json j;
  j["peer"] = t.peer();
  j["service_principal"] = t.service_principal();
  j["client_principal"] = t.client_principal();
  j["ok"] = t.ok();
  j["kvno"] = t.ok() ? Json(t.kvno()) : Json(nullptr);
  j["enctype"] = t.ok() ? Json(t.enctype()) : Json(nullptr);
  j["enctype_name"] = t.enctype_name();
  j["krb_error_code"] = IntOrNull(t.krb_error_code());
  j["krb_error_name"] = t.krb_error_name();
  j["error_message"] = t.error_message();
  j["failed_step"] = t.failed_step();
  j["kdc"] = t.kdc();
  j["latency_seconds"] = Seconds(t.latency(), t.has_latency());
  return j;
}

Json SmtpJson(const v1::SmtpProbe& s) {
  Json j;
  j["peer"] = s.peer();
  j["address"] = s.address();
  j["port"] = s.port();
  j["connected"] = s.connected();
  j["banner"] = s.banner();
  j["ehlo_reply"] = ReplyJson(s.ehlo_reply(), s.has_ehlo_reply());
  j["ehlo_keywords"] = Strings(s.ehlo_keywords());
  j["auth_mechanisms"] = Strings(s.auth_mechanisms());
  j["x_exps_mechanisms"] = Strings(s.x_exps_mechanisms());
  j["starttls_offered"] = s.starttls_offered();
  j["anonymous_tls_offered"] = s.anonymous_tls_offered();
  Json tls;
  tls["ok"] = s.starttls_ok();
  tls["protocol"] = s.tls_protocol();
  tls["cipher"] = s.tls_cipher();
  tls["error"] = s.tls_error();
  if (s.peer_certificate_subject().empty() && !s.has_peer_certificate_not_after()) {
    tls["certificate"] = nullptr;
  } else {
    Json c;
    c["subject"] = s.peer_certificate_subject();
    c["sans"] = Strings(s.peer_certificate_sans());
    c["not_before"] =
        TimeOrNull(s.peer_certificate_not_before(), s.has_peer_certificate_not_before());
    c["not_after"] = TimeOrNull(s.peer_certificate_not_after(), s.has_peer_certificate_not_after());
    c["expired"] = s.peer_certificate_expired();
    c["not_yet_valid"] = s.peer_certificate_not_yet_valid();
    tls["certificate"] = std::move(c);
  }
  tls["ehlo_keywords"] = Strings(s.ehlo_keywords_after_tls());
  tls["auth_mechanisms"] = Strings(s.auth_mechanisms_after_tls());
  tls["x_exps_mechanisms"] = Strings(s.x_exps_mechanisms_after_tls());
  j["tls"] = std::move(tls);
  Json auth;
  auth["attempted"] = s.auth_attempted();
  auth["command"] = s.auth_command();
  auth["reply"] = ReplyJson(s.auth_reply(), s.has_auth_reply());
  auth["skipped_reason"] = s.auth_skipped_reason();
  auth["gss_error"] = s.gss_error();
  j["auth"] = std::move(auth);
  j["failed_step"] = s.failed_step();
  j["error"] = s.error();
  j["timed_out"] = s.timed_out();
  j["latency_seconds"] = Seconds(s.latency(), s.has_latency());
  return j;
}

// ---------------------------------------------------------------------------------------------
// Reading. Each accessor names the field by its path ("kdc[2].outcome") in errors.

class Reader {
 public:
  Reader(absl::string_view file) : file_(file) {}

  absl::Status Error(const std::string& path, absl::string_view why) const {
    return text::ParseError(file_, 0, absl::StrCat("field ", path, ": ", why));
  }

  // The member, or nullptr when absent or null.
  static const Json* Get(const Json& obj, const char* key) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    return &*it;
  }

  absl::Status String(const Json& obj, const std::string& path, const char* key,
                      std::string* out) const {
    const Json* v = Get(obj, key);
    if (v == nullptr) return absl::OkStatus();
    if (!v->is_string()) return Error(Path(path, key), "expected a string");
    *out = v->get<std::string>();
    return absl::OkStatus();
  }

  template <typename Setter>
  absl::Status Str(const Json& obj, const std::string& path, const char* key, Setter set) const {
    std::string s;
    if (absl::Status st = String(obj, path, key, &s); !st.ok()) return st;
    set(s);
    return absl::OkStatus();
  }

  template <typename Setter>
  absl::Status Bool(const Json& obj, const std::string& path, const char* key, Setter set) const {
    const Json* v = Get(obj, key);
    if (v == nullptr) return absl::OkStatus();
    if (!v->is_boolean()) return Error(Path(path, key), "expected true or false");
    set(v->get<bool>());
    return absl::OkStatus();
  }

  template <typename Setter>
  absl::Status Int(const Json& obj, const std::string& path, const char* key, Setter set) const {
    const Json* v = Get(obj, key);
    if (v == nullptr) return absl::OkStatus();
    if (!v->is_number_integer()) return Error(Path(path, key), "expected an integer");
    const int64_t n = v->get<int64_t>();
    if (n < INT32_MIN || n > INT32_MAX) return Error(Path(path, key), "out of range");
    set(static_cast<int32_t>(n));
    return absl::OkStatus();
  }

  absl::Status Duration(const Json& obj, const std::string& path, const char* key,
                        google::protobuf::Duration* out, bool* present = nullptr) const {
    const Json* v = Get(obj, key);
    if (v == nullptr) return absl::OkStatus();
    if (!v->is_number()) return Error(Path(path, key), "expected a number of seconds");
    *out = ToProto(absl::Seconds(v->get<double>()));
    if (present) *present = true;
    return absl::OkStatus();
  }

  absl::Status Time(const Json& obj, const std::string& path, const char* key,
                    google::protobuf::Timestamp* out, bool* present = nullptr) const {
    const Json* v = Get(obj, key);
    if (v == nullptr) return absl::OkStatus();
    absl::Time t;
    std::string err;
    if (!v->is_string() || !absl::ParseTime(absl::RFC3339_full, v->get<std::string>(), &t, &err)) {
      return Error(Path(path, key), "expected an RFC 3339 time such as 2026-11-26T10:00:00Z");
    }
    *out = ToProto(t);
    if (present) *present = true;
    return absl::OkStatus();
  }

  absl::Status Strings(const Json& obj, const std::string& path, const char* key,
                       google::protobuf::RepeatedPtrField<std::string>* out) const {
    const Json* v = Get(obj, key);
    if (v == nullptr) return absl::OkStatus();
    if (!v->is_array()) return Error(Path(path, key), "expected an array of strings");
    for (size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string()) {
        return Error(absl::StrCat(Path(path, key), "[", i, "]"), "expected a string");
      }
      out->Add((*v)[i].get<std::string>());
    }
    return absl::OkStatus();
  }

  // Enum by lower-case name; `names` lists them in value order starting at 1.
  absl::Status Enum(const Json& obj, const std::string& path, const char* key,
                    const std::vector<std::string>& names, int* out) const {
    const Json* v = Get(obj, key);
    if (v == nullptr) return absl::OkStatus();
    if (v->is_string()) {
      for (size_t i = 0; i < names.size(); ++i) {
        if (v->get<std::string>() == names[i]) {
          *out = static_cast<int>(i) + 1;
          return absl::OkStatus();
        }
      }
    }
    return Error(Path(path, key), absl::StrCat("expected one of ", absl::StrJoin(names, ", ")));
  }

  // An optional object member; nullptr when absent or null, error when not an object.
  absl::StatusOr<const Json*> Object(const Json& obj, const std::string& path,
                                     const char* key) const {
    const Json* v = Get(obj, key);
    if (v == nullptr) return nullptr;
    if (!v->is_object()) return Error(Path(path, key), "expected an object");
    return v;
  }

  static std::string Path(const std::string& path, const char* key) {
    return path.empty() ? key : absl::StrCat(path, ".", key);
  }

 private:
  std::string file_;
};

#define KS_RETURN_IF_ERROR(expr)             \
  do {                                       \
    absl::Status ks_status_ = (expr);        \
    if (!ks_status_.ok()) return ks_status_; \
  } while (0)

absl::Status ReadReply(const Reader& r, const Json& obj, const std::string& path, const char* key,
                       v1::SmtpReply* out, bool* present) {
  auto o = r.Object(obj, path, key);
  if (!o.ok()) return o.status();
  if (*o == nullptr) return absl::OkStatus();
  const std::string p = Reader::Path(path, key);
  KS_RETURN_IF_ERROR(r.Int(**o, p, "code", [&](int32_t v) { out->set_code(v); }));
  KS_RETURN_IF_ERROR(
      r.Str(**o, p, "enhanced_status", [&](const std::string& v) { out->set_enhanced_status(v); }));
  KS_RETURN_IF_ERROR(r.Str(**o, p, "text", [&](const std::string& v) { out->set_text(v); }));
  *present = true;
  return absl::OkStatus();
}

absl::Status ReadKdc(const Reader& r, const Json& j, const std::string& p, v1::KdcProbe* k) {
  KS_RETURN_IF_ERROR(r.Str(j, p, "kdc", [&](const std::string& v) { k->set_kdc(v); }));
  KS_RETURN_IF_ERROR(r.Str(j, p, "address", [&](const std::string& v) { k->set_address(v); }));
  KS_RETURN_IF_ERROR(r.Int(j, p, "port", [&](int32_t v) { k->set_port(v); }));
  int e = 0;
  KS_RETURN_IF_ERROR(r.Enum(j, p, "service", {"kerberos", "kpasswd"}, &e));
  k->set_service(static_cast<v1::KdcProbe::Service>(e));
  e = 0;
  KS_RETURN_IF_ERROR(r.Enum(j, p, "transport", {"udp", "tcp"}, &e));
  k->set_transport(static_cast<v1::KdcProbe::Transport>(e));
  e = 0;
  KS_RETURN_IF_ERROR(r.Enum(j, p, "outcome", {"answered", "refused", "timed_out", "error"}, &e));
  k->set_outcome(static_cast<v1::KdcProbe::Outcome>(e));
  KS_RETURN_IF_ERROR(r.Duration(j, p, "latency_seconds", k->mutable_latency()));
  if (!Reader::Get(j, "latency_seconds")) k->clear_latency();
  KS_RETURN_IF_ERROR(r.Bool(j, p, "connected", [&](bool v) { k->set_connected(v); }));
  KS_RETURN_IF_ERROR(r.Duration(j, p, "connect_latency_seconds", k->mutable_connect_latency()));
  if (!Reader::Get(j, "connect_latency_seconds")) k->clear_connect_latency();
  KS_RETURN_IF_ERROR(r.Int(j, p, "krb_error_code", [&](int32_t v) { k->set_krb_error_code(v); }));
  KS_RETURN_IF_ERROR(
      r.Str(j, p, "krb_error_name", [&](const std::string& v) { k->set_krb_error_name(v); }));
  KS_RETURN_IF_ERROR(
      r.Str(j, p, "client_principal", [&](const std::string& v) { k->set_client_principal(v); }));
  KS_RETURN_IF_ERROR(r.Str(j, p, "detail", [&](const std::string& v) { k->set_detail(v); }));
  auto clock = r.Object(j, p, "kdc_clock");
  if (!clock.ok()) return clock.status();
  if (*clock != nullptr) {
    const Json& c = **clock;
    const std::string cp = Reader::Path(p, "kdc_clock");
    v1::ClockReading* cr = k->mutable_kdc_clock();
    cr->set_method(v1::ClockReading::KDC_ERROR_TIME);
    KS_RETURN_IF_ERROR(
        r.Str(c, cp, "reference", [&](const std::string& v) { cr->set_reference(v); }));
    if (Reader::Get(c, "offset_seconds") == nullptr) {
      return r.Error(Reader::Path(cp, "offset_seconds"), "required");
    }
    KS_RETURN_IF_ERROR(r.Duration(c, cp, "offset_seconds", cr->mutable_offset()));
    KS_RETURN_IF_ERROR(r.Duration(c, cp, "uncertainty_seconds", cr->mutable_uncertainty()));
    if (FromProto(cr->uncertainty()) < absl::ZeroDuration()) {
      return r.Error(Reader::Path(cp, "uncertainty_seconds"), "must not be negative");
    }
    KS_RETURN_IF_ERROR(r.Duration(c, cp, "delay_seconds", cr->mutable_delay()));
    KS_RETURN_IF_ERROR(r.Time(c, cp, "measured_at", cr->mutable_measured_at()));
    if (!Reader::Get(c, "measured_at")) cr->clear_measured_at();
  }
  return absl::OkStatus();
}

absl::Status ReadTicket(const Reader& r, const Json& j, const std::string& p, v1::TicketProbe* t) {
  KS_RETURN_IF_ERROR(r.Str(j, p, "peer", [&](const std::string& v) { t->set_peer(v); }));
  KS_RETURN_IF_ERROR(
      r.Str(j, p, "service_principal", [&](const std::string& v) { t->set_service_principal(v); }));
  KS_RETURN_IF_ERROR(
      r.Str(j, p, "client_principal", [&](const std::string& v) { t->set_client_principal(v); }));
  KS_RETURN_IF_ERROR(r.Bool(j, p, "ok", [&](bool v) { t->set_ok(v); }));
  KS_RETURN_IF_ERROR(r.Int(j, p, "kvno", [&](int32_t v) { t->set_kvno(v); }));
  KS_RETURN_IF_ERROR(r.Int(j, p, "enctype", [&](int32_t v) { t->set_enctype(v); }));
  KS_RETURN_IF_ERROR(
      r.Str(j, p, "enctype_name", [&](const std::string& v) { t->set_enctype_name(v); }));
  KS_RETURN_IF_ERROR(r.Int(j, p, "krb_error_code", [&](int32_t v) { t->set_krb_error_code(v); }));
  KS_RETURN_IF_ERROR(
      r.Str(j, p, "krb_error_name", [&](const std::string& v) { t->set_krb_error_name(v); }));
  KS_RETURN_IF_ERROR(
      r.Str(j, p, "error_message", [&](const std::string& v) { t->set_error_message(v); }));
  KS_RETURN_IF_ERROR(
      r.Str(j, p, "failed_step", [&](const std::string& v) { t->set_failed_step(v); }));
  KS_RETURN_IF_ERROR(r.Str(j, p, "kdc", [&](const std::string& v) { t->set_kdc(v); }));
  bool has_latency = false;
  KS_RETURN_IF_ERROR(r.Duration(j, p, "latency_seconds", t->mutable_latency(), &has_latency));
  if (!has_latency) t->clear_latency();
  return absl::OkStatus();
}

absl::Status ReadSmtp(const Reader& r, const Json& j, const std::string& p, v1::SmtpProbe* s) {
  KS_RETURN_IF_ERROR(r.Str(j, p, "peer", [&](const std::string& v) { s->set_peer(v); }));
  KS_RETURN_IF_ERROR(r.Str(j, p, "address", [&](const std::string& v) { s->set_address(v); }));
  KS_RETURN_IF_ERROR(r.Int(j, p, "port", [&](int32_t v) { s->set_port(v); }));
  KS_RETURN_IF_ERROR(r.Bool(j, p, "connected", [&](bool v) { s->set_connected(v); }));
  KS_RETURN_IF_ERROR(r.Str(j, p, "banner", [&](const std::string& v) { s->set_banner(v); }));
  bool present = false;
  KS_RETURN_IF_ERROR(ReadReply(r, j, p, "ehlo_reply", s->mutable_ehlo_reply(), &present));
  if (!present) s->clear_ehlo_reply();
  KS_RETURN_IF_ERROR(r.Strings(j, p, "ehlo_keywords", s->mutable_ehlo_keywords()));
  KS_RETURN_IF_ERROR(r.Strings(j, p, "auth_mechanisms", s->mutable_auth_mechanisms()));
  KS_RETURN_IF_ERROR(r.Strings(j, p, "x_exps_mechanisms", s->mutable_x_exps_mechanisms()));
  KS_RETURN_IF_ERROR(r.Bool(j, p, "starttls_offered", [&](bool v) { s->set_starttls_offered(v); }));
  KS_RETURN_IF_ERROR(
      r.Bool(j, p, "anonymous_tls_offered", [&](bool v) { s->set_anonymous_tls_offered(v); }));
  auto tls = r.Object(j, p, "tls");
  if (!tls.ok()) return tls.status();
  if (*tls != nullptr) {
    const Json& t = **tls;
    const std::string tp = Reader::Path(p, "tls");
    KS_RETURN_IF_ERROR(r.Bool(t, tp, "ok", [&](bool v) { s->set_starttls_ok(v); }));
    KS_RETURN_IF_ERROR(
        r.Str(t, tp, "protocol", [&](const std::string& v) { s->set_tls_protocol(v); }));
    KS_RETURN_IF_ERROR(r.Str(t, tp, "cipher", [&](const std::string& v) { s->set_tls_cipher(v); }));
    KS_RETURN_IF_ERROR(r.Str(t, tp, "error", [&](const std::string& v) { s->set_tls_error(v); }));
    auto cert = r.Object(t, tp, "certificate");
    if (!cert.ok()) return cert.status();
    if (*cert != nullptr) {
      const Json& c = **cert;
      const std::string cp = Reader::Path(tp, "certificate");
      KS_RETURN_IF_ERROR(r.Str(c, cp, "subject",
                               [&](const std::string& v) { s->set_peer_certificate_subject(v); }));
      KS_RETURN_IF_ERROR(r.Strings(c, cp, "sans", s->mutable_peer_certificate_sans()));
      bool has = false;
      KS_RETURN_IF_ERROR(
          r.Time(c, cp, "not_before", s->mutable_peer_certificate_not_before(), &has));
      if (!has) s->clear_peer_certificate_not_before();
      has = false;
      KS_RETURN_IF_ERROR(r.Time(c, cp, "not_after", s->mutable_peer_certificate_not_after(), &has));
      if (!has) s->clear_peer_certificate_not_after();
      KS_RETURN_IF_ERROR(
          r.Bool(c, cp, "expired", [&](bool v) { s->set_peer_certificate_expired(v); }));
      KS_RETURN_IF_ERROR(r.Bool(c, cp, "not_yet_valid",
                                [&](bool v) { s->set_peer_certificate_not_yet_valid(v); }));
    }
    KS_RETURN_IF_ERROR(r.Strings(t, tp, "ehlo_keywords", s->mutable_ehlo_keywords_after_tls()));
    KS_RETURN_IF_ERROR(r.Strings(t, tp, "auth_mechanisms", s->mutable_auth_mechanisms_after_tls()));
    KS_RETURN_IF_ERROR(
        r.Strings(t, tp, "x_exps_mechanisms", s->mutable_x_exps_mechanisms_after_tls()));
  }
  auto auth = r.Object(j, p, "auth");
  if (!auth.ok()) return auth.status();
  if (*auth != nullptr) {
    const Json& a = **auth;
    const std::string ap = Reader::Path(p, "auth");
    KS_RETURN_IF_ERROR(r.Bool(a, ap, "attempted", [&](bool v) { s->set_auth_attempted(v); }));
    KS_RETURN_IF_ERROR(
        r.Str(a, ap, "command", [&](const std::string& v) { s->set_auth_command(v); }));
    present = false;
    KS_RETURN_IF_ERROR(ReadReply(r, a, ap, "reply", s->mutable_auth_reply(), &present));
    if (!present) s->clear_auth_reply();
    KS_RETURN_IF_ERROR(r.Str(a, ap, "skipped_reason",
                             [&](const std::string& v) { s->set_auth_skipped_reason(v); }));
    KS_RETURN_IF_ERROR(
        r.Str(a, ap, "gss_error", [&](const std::string& v) { s->set_gss_error(v); }));
  }
  KS_RETURN_IF_ERROR(
      r.Str(j, p, "failed_step", [&](const std::string& v) { s->set_failed_step(v); }));
  KS_RETURN_IF_ERROR(r.Str(j, p, "error", [&](const std::string& v) { s->set_error(v); }));
  KS_RETURN_IF_ERROR(r.Bool(j, p, "timed_out", [&](bool v) { s->set_timed_out(v); }));
  bool has_latency = false;
  KS_RETURN_IF_ERROR(r.Duration(j, p, "latency_seconds", s->mutable_latency(), &has_latency));
  if (!has_latency) s->clear_latency();
  return absl::OkStatus();
}

template <typename Msg, typename Fn>
absl::Status ReadList(const Reader& r, const Json& root, const char* key,
                      google::protobuf::RepeatedPtrField<Msg>* out, Fn read_one) {
  const Json* v = Reader::Get(root, key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_array()) return r.Error(key, "expected an array");
  for (size_t i = 0; i < v->size(); ++i) {
    const std::string path = absl::StrCat(key, "[", i, "]");
    if (!(*v)[i].is_object()) return r.Error(path, "expected an object");
    KS_RETURN_IF_ERROR(read_one(r, (*v)[i], path, out->Add()));
  }
  return absl::OkStatus();
}

}  // namespace

Json ProbeResultsToJson(const v1::ProbeResults& results) {
  Json j;
  j["format"] = kProbesJsonFormat;
  j["host"] = results.host();
  j["realm"] = results.realm();
  j["started_at"] = TimeOrNull(results.started_host_time(), results.has_started_host_time());
  j["finished_at"] = TimeOrNull(results.finished_host_time(), results.has_finished_host_time());
  j["attempt_timeout_seconds"] = Seconds(results.attempt_timeout(), results.has_attempt_timeout());
  j["kdc"] = Json::array();
  for (const auto& k : results.kdc()) j["kdc"].push_back(KdcJson(k));
  j["tickets"] = Json::array();
  for (const auto& t : results.tickets()) j["tickets"].push_back(TicketJson(t));
  j["smtp"] = Json::array();
  for (const auto& s : results.smtp()) j["smtp"].push_back(SmtpJson(s));
  return j;
}

absl::StatusOr<v1::ProbeResults> ParseProbesJson(absl::string_view text, absl::string_view file) {
  Json root = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return text::ParseError(file, 0, "not valid JSON");
  Reader r(file);
  if (!root.is_object()) return text::ParseError(file, 0, "expected a JSON object");
  const Json* format = Reader::Get(root, "format");
  if (format == nullptr)
    return r.Error("format", absl::StrCat("required (\"", kProbesJsonFormat, "\")"));
  if (!format->is_string() || format->get<std::string>() != kProbesJsonFormat) {
    return r.Error("format",
                   absl::StrCat("'", format->dump(), "' is not \"", kProbesJsonFormat, "\""));
  }
  v1::ProbeResults out;
  KS_RETURN_IF_ERROR(r.Str(root, "", "host", [&](const std::string& v) { out.set_host(v); }));
  KS_RETURN_IF_ERROR(r.Str(root, "", "realm", [&](const std::string& v) { out.set_realm(v); }));
  bool has = false;
  KS_RETURN_IF_ERROR(r.Time(root, "", "started_at", out.mutable_started_host_time(), &has));
  if (!has) out.clear_started_host_time();
  has = false;
  KS_RETURN_IF_ERROR(r.Time(root, "", "finished_at", out.mutable_finished_host_time(), &has));
  if (!has) out.clear_finished_host_time();
  has = false;
  KS_RETURN_IF_ERROR(
      r.Duration(root, "", "attempt_timeout_seconds", out.mutable_attempt_timeout(), &has));
  if (!has) out.clear_attempt_timeout();
  KS_RETURN_IF_ERROR(ReadList(r, root, "kdc", out.mutable_kdc(), ReadKdc));
  KS_RETURN_IF_ERROR(ReadList(r, root, "tickets", out.mutable_tickets(), ReadTicket));
  KS_RETURN_IF_ERROR(ReadList(r, root, "smtp", out.mutable_smtp(), ReadSmtp));
  return out;
}

}  // namespace kerbside
