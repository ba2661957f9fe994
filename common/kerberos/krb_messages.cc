#include "common/kerberos/krb_messages.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/kerberos/der.h"
#include "common/status_macros.h"

namespace kerbside::kerberos {
namespace {

constexpr TagClass kContext = TagClass::kContext;
constexpr TagClass kUniversal = TagClass::kUniversal;

// Components and their sizes are bounded: a principal has a handful of short names.
constexpr size_t kMaxComponents = 16;

absl::Status Bad(absl::string_view what, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", why));
}

// The content of [n] EXPLICIT, read as one inner element.
absl::StatusOr<DerElement> Explicit(DerReader& r, uint32_t n, const char* what) {
  ASSIGN_OR_RETURN(DerElement outer, r.Expect(kContext, n, true, what));
  DerReader inner(outer.content);
  auto e = inner.Next();
  if (!e.ok()) return Bad(what, e.status().message());
  if (!inner.done()) return Bad(what, "trailing data");
  return e;
}

absl::StatusOr<int64_t> ExplicitInteger(DerReader& r, uint32_t n, const char* what) {
  ASSIGN_OR_RETURN(DerElement e, Explicit(r, n, what));
  return DerInteger(e, what);
}

// An OPTIONAL [n] EXPLICIT KerberosString: left as it is when absent.
absl::Status OptionalString(DerReader& r, uint32_t n, const char* what, std::string* out) {
  ASSIGN_OR_RETURN(bool present, r.NextIsContext(n));
  if (!present) return absl::OkStatus();
  ASSIGN_OR_RETURN(DerElement e, Explicit(r, n, what));
  ASSIGN_OR_RETURN(*out, DerString(e, what));
  return absl::OkStatus();
}

absl::StatusOr<int32_t> Int32(int64_t v, const char* what) {
  if (v < INT32_MIN || v > INT32_MAX) return Bad(what, absl::StrCat(v, " is not an Int32"));
  return static_cast<int32_t>(v);
}

absl::StatusOr<PrincipalName> DecodePrincipal(const DerElement& seq, const char* what) {
  if (seq.tag_class != kUniversal || seq.tag != kSequence || !seq.constructed) {
    return Bad(what, "not a PrincipalName SEQUENCE");
  }
  DerReader r(seq.content);
  PrincipalName p;
  ASSIGN_OR_RETURN(int64_t type, ExplicitInteger(r, 0, what));
  ASSIGN_OR_RETURN(p.name_type, Int32(type, what));
  ASSIGN_OR_RETURN(DerElement strings, Explicit(r, 1, what));
  if (strings.tag != kSequence || !strings.constructed)
    return Bad(what, "name-string is not a SEQUENCE");
  DerReader names(strings.content);
  while (!names.done()) {
    if (p.components.size() == kMaxComponents) return Bad(what, "too many name components");
    ASSIGN_OR_RETURN(DerElement s, names.Next());
    ASSIGN_OR_RETURN(std::string c, DerString(s, what));
    p.components.push_back(std::move(c));
  }
  if (!r.done()) return Bad(what, "trailing data");
  return p;
}

absl::StatusOr<absl::Duration> Microseconds(const DerElement& e, const char* what) {
  ASSIGN_OR_RETURN(int64_t us, DerInteger(e, what));
  if (us < 0 || us > 999999) return Bad(what, absl::StrCat(us, " is not 0..999999"));
  return absl::Microseconds(us);
}

std::string EncodePrincipal(const PrincipalName& p) {
  std::string names;
  for (const std::string& c : p.components) names += DerGeneralString(c);
  return DerSequence(DerContext(0, DerIntegerOf(p.name_type)) + DerContext(1, DerSequence(names)));
}

}  // namespace

std::string PrincipalName::ToString() const { return absl::StrJoin(components, "/"); }

int KrbMessageType(absl::string_view der) {
  if (der.empty()) return 0;
  const uint8_t b = static_cast<uint8_t>(der[0]);
  // [APPLICATION n] constructed: 0x60 | n for n < 31.
  if ((b & 0xe0) != 0x60) return 0;
  const int n = b & 0x1f;
  return (n == 11 || n == 13 || n == 30) ? n : 0;
}

absl::StatusOr<KrbError> DecodeKrbError(absl::string_view der) {
  DerReader top(der);
  ASSIGN_OR_RETURN(DerElement app, top.Expect(TagClass::kApplication, 30, true, "KRB-ERROR"));
  if (!top.done()) return Bad("KRB-ERROR", "trailing data after the message");
  DerReader outer(app.content);
  ASSIGN_OR_RETURN(DerElement seq, outer.Expect(kUniversal, kSequence, true, "KRB-ERROR"));
  DerReader r(seq.content);
  KrbError e;
  ASSIGN_OR_RETURN(int64_t pvno, ExplicitInteger(r, 0, "KRB-ERROR pvno"));
  if (pvno != 5) return Bad("KRB-ERROR pvno", absl::StrCat(pvno, ", not 5"));
  ASSIGN_OR_RETURN(int64_t type, ExplicitInteger(r, 1, "KRB-ERROR msg-type"));
  if (type != 30) return Bad("KRB-ERROR msg-type", absl::StrCat(type, ", not 30"));
  ASSIGN_OR_RETURN(bool has_ctime, r.NextIsContext(2));
  if (has_ctime) {
    ASSIGN_OR_RETURN(DerElement t, Explicit(r, 2, "KRB-ERROR ctime"));
    ASSIGN_OR_RETURN(absl::Time ctime, DerKerberosTime(t, "KRB-ERROR ctime"));
    e.client_time = ctime;
  }
  ASSIGN_OR_RETURN(bool has_cusec, r.NextIsContext(3));
  if (has_cusec) {
    ASSIGN_OR_RETURN(DerElement u, Explicit(r, 3, "KRB-ERROR cusec"));
    ASSIGN_OR_RETURN(absl::Duration cusec, Microseconds(u, "KRB-ERROR cusec"));
    if (e.client_time.has_value()) *e.client_time += cusec;
  }
  ASSIGN_OR_RETURN(DerElement stime, Explicit(r, 4, "KRB-ERROR stime"));
  ASSIGN_OR_RETURN(e.server_time, DerKerberosTime(stime, "KRB-ERROR stime"));
  ASSIGN_OR_RETURN(DerElement susec, Explicit(r, 5, "KRB-ERROR susec"));
  ASSIGN_OR_RETURN(absl::Duration us, Microseconds(susec, "KRB-ERROR susec"));
  e.server_time += us;
  ASSIGN_OR_RETURN(int64_t code, ExplicitInteger(r, 6, "KRB-ERROR error-code"));
  ASSIGN_OR_RETURN(e.error_code, Int32(code, "KRB-ERROR error-code"));
  RETURN_IF_ERROR(OptionalString(r, 7, "KRB-ERROR crealm", &e.client_realm));
  ASSIGN_OR_RETURN(bool has_cname, r.NextIsContext(8));
  if (has_cname) {
    ASSIGN_OR_RETURN(DerElement s, Explicit(r, 8, "KRB-ERROR cname"));
    ASSIGN_OR_RETURN(PrincipalName cname, DecodePrincipal(s, "KRB-ERROR cname"));
    e.client_name = std::move(cname);
  }
  ASSIGN_OR_RETURN(DerElement realm, Explicit(r, 9, "KRB-ERROR realm"));
  ASSIGN_OR_RETURN(e.realm, DerString(realm, "KRB-ERROR realm"));
  ASSIGN_OR_RETURN(DerElement sname, Explicit(r, 10, "KRB-ERROR sname"));
  ASSIGN_OR_RETURN(e.server_name, DecodePrincipal(sname, "KRB-ERROR sname"));
  RETURN_IF_ERROR(OptionalString(r, 11, "KRB-ERROR e-text", &e.e_text));
  ASSIGN_OR_RETURN(bool has_edata, r.NextIsContext(12));
  if (has_edata) {
    ASSIGN_OR_RETURN(DerElement s, Explicit(r, 12, "KRB-ERROR e-data"));
    if (s.tag != kOctetString || s.constructed)
      return Bad("KRB-ERROR e-data", "not an OCTET STRING");
    e.e_data = std::string(s.content);
  }
  if (!r.done()) return Bad("KRB-ERROR", "unexpected fields after e-data");
  return e;
}

std::string EncodeAsRequest(const AsRequest& q) {
  std::string etypes;
  for (int32_t t : q.etypes) etypes += DerIntegerOf(t);
  const PrincipalName krbtgt{2, {"krbtgt", q.realm}};
  const std::string body = DerSequence(
      DerContext(0, DerBitString32(q.kdc_options)) + DerContext(1, EncodePrincipal(q.client)) +
      DerContext(2, DerGeneralString(q.realm)) + DerContext(3, EncodePrincipal(krbtgt)) +
      DerContext(5, DerKerberosTimeOf(q.till)) + DerContext(7, DerIntegerOf(q.nonce & 0x7fffffff)) +
      DerContext(8, DerSequence(etypes)));
  return DerApplication(10, DerSequence(DerContext(1, DerIntegerOf(5)) +
                                        DerContext(2, DerIntegerOf(10)) + DerContext(4, body)));
}

absl::StatusOr<TicketInfo> DecodeApReqTicket(absl::string_view token) {
  absl::string_view ap_req = token;
  if (!token.empty() && static_cast<uint8_t>(token[0]) == 0x60) {
    // GSS-API InitialContextToken: [APPLICATION 0] IMPLICIT { thisMech OID, TOK_ID, AP-REQ }.
    DerReader top(token);
    ASSIGN_OR_RETURN(DerElement gss, top.Expect(TagClass::kApplication, 0, true, "GSS token"));
    DerReader inner(gss.content);
    ASSIGN_OR_RETURN(DerElement oid, inner.Expect(kUniversal, kObjectId, false, "GSS token mech"));
    static constexpr char kKrb5Oid[] = "\x2a\x86\x48\x86\xf7\x12\x01\x02\x02";
    static constexpr char kMsKrb5Oid[] = "\x2a\x86\x48\x82\xf7\x12\x01\x02\x02";
    if (oid.content != absl::string_view(kKrb5Oid, 9) &&
        oid.content != absl::string_view(kMsKrb5Oid, 9)) {
      return Bad("GSS token mech", "not Kerberos V5");
    }
    const absl::string_view rest = inner.remaining();
    if (rest.size() < 2 || rest[0] != '\x01' || rest[1] != '\x00') {
      return Bad("GSS token", "not an AP-REQ token (TOK_ID is not 01 00)");
    }
    ap_req = rest.substr(2);
  }
  DerReader top(ap_req);
  ASSIGN_OR_RETURN(DerElement app, top.Expect(TagClass::kApplication, 14, true, "AP-REQ"));
  if (!top.done()) return Bad("AP-REQ", "trailing data after the message");
  DerReader outer(app.content);
  ASSIGN_OR_RETURN(DerElement seq, outer.Expect(kUniversal, kSequence, true, "AP-REQ"));
  DerReader r(seq.content);
  ASSIGN_OR_RETURN(int64_t pvno, ExplicitInteger(r, 0, "AP-REQ pvno"));
  if (pvno != 5) return Bad("AP-REQ pvno", absl::StrCat(pvno, ", not 5"));
  ASSIGN_OR_RETURN(int64_t type, ExplicitInteger(r, 1, "AP-REQ msg-type"));
  if (type != 14) return Bad("AP-REQ msg-type", absl::StrCat(type, ", not 14"));
  ASSIGN_OR_RETURN(DerElement options, Explicit(r, 2, "AP-REQ ap-options"));
  if (options.tag != kBitString) return Bad("AP-REQ ap-options", "not a BIT STRING");
  ASSIGN_OR_RETURN(DerElement ticket_app, Explicit(r, 3, "AP-REQ ticket"));
  if (ticket_app.tag_class != TagClass::kApplication || ticket_app.tag != 1 ||
      !ticket_app.constructed) {
    return Bad("AP-REQ ticket", "not a Ticket ([APPLICATION 1])");
  }
  DerReader ticket_outer(ticket_app.content);
  ASSIGN_OR_RETURN(DerElement ticket_seq,
                   ticket_outer.Expect(kUniversal, kSequence, true, "Ticket"));
  DerReader t(ticket_seq.content);
  TicketInfo info;
  ASSIGN_OR_RETURN(int64_t tkt_vno, ExplicitInteger(t, 0, "Ticket tkt-vno"));
  if (tkt_vno != 5) return Bad("Ticket tkt-vno", absl::StrCat(tkt_vno, ", not 5"));
  ASSIGN_OR_RETURN(DerElement realm, Explicit(t, 1, "Ticket realm"));
  ASSIGN_OR_RETURN(info.realm, DerString(realm, "Ticket realm"));
  ASSIGN_OR_RETURN(DerElement sname, Explicit(t, 2, "Ticket sname"));
  ASSIGN_OR_RETURN(info.server_name, DecodePrincipal(sname, "Ticket sname"));
  ASSIGN_OR_RETURN(DerElement enc, Explicit(t, 3, "Ticket enc-part"));
  if (enc.tag != kSequence || !enc.constructed) return Bad("Ticket enc-part", "not a SEQUENCE");
  DerReader ed(enc.content);
  ASSIGN_OR_RETURN(int64_t etype, ExplicitInteger(ed, 0, "Ticket enc-part etype"));
  ASSIGN_OR_RETURN(info.enctype, Int32(etype, "Ticket enc-part etype"));
  ASSIGN_OR_RETURN(bool has_kvno, ed.NextIsContext(1));
  if (has_kvno) {
    ASSIGN_OR_RETURN(int64_t kvno, ExplicitInteger(ed, 1, "Ticket enc-part kvno"));
    // UInt32; some encoders write a kvno above 2^31 as a negative Int32 (Windows RODCs).
    if (kvno < INT32_MIN || kvno > UINT32_MAX) {
      return Bad("Ticket enc-part kvno", absl::StrCat(kvno, " is not a UInt32"));
    }
    info.kvno = static_cast<uint32_t>(kvno);
  }
  return info;
}

}  // namespace kerbside::kerberos
