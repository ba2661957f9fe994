#include "common/identity.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/openssl_errors.h"

namespace kerbside {
namespace {

absl::StatusOr<absl::Time> Asn1TimeToAbsl(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("bad certificate time: ", OpenSslErrors()));
  }
  absl::CivilSecond cs(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                       tm.tm_sec);
  return absl::FromCivil(cs, absl::UTCTimeZone());
}

std::string Asn1String(const ASN1_STRING* s) {
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

std::vector<std::string> SubjectEntries(X509_NAME* name, int nid) {
  std::vector<std::string> out;
  int idx = -1;
  while ((idx = X509_NAME_get_index_by_NID(name, nid, idx)) >= 0) {
    out.push_back(Asn1String(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx))));
  }
  return out;
}

// The DER value of the extension `oid` (dotted), or nullptr.
const ASN1_OCTET_STRING* ExtensionValue(X509* cert, const char* oid) {
  std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)> obj(OBJ_txt2obj(oid, 1),
                                                                &ASN1_OBJECT_free);
  if (!obj) return nullptr;
  const int idx = X509_get_ext_by_OBJ(cert, obj.get(), -1);
  if (idx < 0) return nullptr;
  return X509_EXTENSION_get_data(X509_get_ext(cert, idx));
}

// szOID_ENROLL_CERTTYPE_EXTENSION: the template name as a BMPString (or another string type).
std::string TemplateName(X509* cert) {
  const ASN1_OCTET_STRING* v = ExtensionValue(cert, "1.3.6.1.4.1.311.20.2");
  if (v == nullptr) return "";
  const unsigned char* p = ASN1_STRING_get0_data(v);
  std::unique_ptr<ASN1_TYPE, decltype(&ASN1_TYPE_free)> t(
      d2i_ASN1_TYPE(nullptr, &p, ASN1_STRING_length(v)), &ASN1_TYPE_free);
  if (!t) return "";
  switch (t->type) {
    case V_ASN1_BMPSTRING:
    case V_ASN1_UTF8STRING:
    case V_ASN1_PRINTABLESTRING:
    case V_ASN1_IA5STRING:
      return Asn1String(t->value.asn1_string);
    default:
      return "";
  }
}

// szOID_CERTIFICATE_TEMPLATE: SEQUENCE { templateID OID, majorVersion, minorVersion }.
std::string TemplateOid(X509* cert) {
  const ASN1_OCTET_STRING* v = ExtensionValue(cert, "1.3.6.1.4.1.311.21.7");
  if (v == nullptr) return "";
  const unsigned char* p = ASN1_STRING_get0_data(v);
  std::unique_ptr<ASN1_SEQUENCE_ANY, void (*)(ASN1_SEQUENCE_ANY*)> seq(
      d2i_ASN1_SEQUENCE_ANY(nullptr, &p, ASN1_STRING_length(v)),
      [](ASN1_SEQUENCE_ANY* s) { sk_ASN1_TYPE_pop_free(s, ASN1_TYPE_free); });
  if (!seq || sk_ASN1_TYPE_num(seq.get()) < 1) return "";
  const ASN1_TYPE* first = sk_ASN1_TYPE_value(seq.get(), 0);
  if (first->type != V_ASN1_OBJECT) return "";
  char buf[128];
  const int n = OBJ_obj2txt(buf, sizeof buf, first->value.object, /*no_name=*/1);
  if (n <= 0 || n >= static_cast<int>(sizeof buf)) return "";
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace

absl::StatusOr<CertificateIdentity> ParseCertificatePem(absl::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return absl::InternalError("BIO_new_mem_buf failed");
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert) {
    return absl::InvalidArgumentError(absl::StrCat("not a PEM certificate: ", OpenSslErrors()));
  }
  CertificateIdentity id;
  X509_NAME* subject = X509_get_subject_name(cert.get());
  char* line = X509_NAME_oneline(subject, nullptr, 0);
  if (line != nullptr) {
    id.subject = line;
    OPENSSL_free(line);
  }
  std::vector<std::string> cns = SubjectEntries(subject, NID_commonName);
  if (!cns.empty()) id.common_name = cns.front();
  id.organizational_units = SubjectEntries(subject, NID_organizationalUnitName);
  for (const std::string& ou : id.organizational_units) {
    if (ou == kHostOu) id.role = CertificateRole::kHost;
    if (ou == kOperatorOu) id.role = CertificateRole::kOperator;
    if (ou == kCollectorOu) id.role = CertificateRole::kCollector;
  }
  int granted = 0;
  for (const std::string& ou : id.organizational_units) {
    if (ou == kExchangeRoleOu) {
      id.host_role = v1::ROLE_EXCHANGE;
      ++granted;
    }
    if (ou == kDcRoleOu) {
      id.host_role = v1::ROLE_DC;
      ++granted;
    }
  }
  if (granted > 1) id.host_role = v1::ROLE_UNSPECIFIED;  // two roles: neither is believed
  auto* sans = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  if (sans != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
      if (gn->type == GEN_DNS) id.dns_names.push_back(Asn1String(gn->d.dNSName));
    }
    GENERAL_NAMES_free(sans);
  }
  auto nb = Asn1TimeToAbsl(X509_get0_notBefore(cert.get()));
  if (!nb.ok()) return nb.status();
  auto na = Asn1TimeToAbsl(X509_get0_notAfter(cert.get()));
  if (!na.ok()) return na.status();
  id.not_before = *nb;
  id.not_after = *na;
  id.template_name = TemplateName(cert.get());
  id.template_oid = TemplateOid(cert.get());
  return id;
}

absl::StatusOr<TemplateRole> ParseTemplateRole(absl::string_view spec) {
  const size_t eq = spec.rfind('=');
  const auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("host_template '", spec, "': ", why));
  };
  if (eq == absl::string_view::npos) return bad("expected TEMPLATE=exchange or TEMPLATE=dc");
  TemplateRole t;
  t.template_name_or_oid = std::string(absl::StripAsciiWhitespace(spec.substr(0, eq)));
  if (t.template_name_or_oid.empty()) return bad("the template name or OID is empty");
  const std::string role = absl::AsciiStrToLower(absl::StripAsciiWhitespace(spec.substr(eq + 1)));
  if (role == "exchange") {
    t.role = v1::ROLE_EXCHANGE;
  } else if (role == "dc") {
    t.role = v1::ROLE_DC;
  } else {
    return bad(absl::StrCat("role '", role, "' is neither exchange nor dc"));
  }
  return t;
}

void ApplyTemplateRoles(const std::vector<TemplateRole>& templates, CertificateIdentity* cert) {
  if (cert->role != CertificateRole::kUnknown) return;
  v1::Role granted = v1::ROLE_UNSPECIFIED;
  int matches = 0;
  for (const TemplateRole& t : templates) {
    // Template names compare as AD compares them (case-insensitively); OIDs exactly.
    const bool match =
        (!cert->template_name.empty() &&
         absl::EqualsIgnoreCase(cert->template_name, t.template_name_or_oid)) ||
        (!cert->template_oid.empty() && cert->template_oid == t.template_name_or_oid);
    if (!match) continue;
    if (matches > 0 && t.role != granted) granted = v1::ROLE_UNSPECIFIED;  // two roles: neither
    if (matches == 0) granted = t.role;
    ++matches;
  }
  if (matches == 0) return;
  cert->role = CertificateRole::kHost;
  cert->host_role = granted;
}

std::string NormalizeHostName(absl::string_view name) {
  std::string out = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
  while (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

absl::Status CheckCertificateCoversHost(const CertificateIdentity& cert,
                                        absl::string_view netbios_name, absl::string_view fqdn) {
  std::vector<std::string> names;
  if (!cert.common_name.empty()) names.push_back(NormalizeHostName(cert.common_name));
  for (const std::string& n : cert.dns_names) names.push_back(NormalizeHostName(n));

  const std::string want_fqdn = NormalizeHostName(fqdn);
  const std::string want_netbios = NormalizeHostName(netbios_name);
  const std::string cert_names = absl::StrJoin(names, ", ");
  auto refuse = [&](absl::string_view why) {
    return absl::PermissionDeniedError(absl::StrCat(
        "hello names host '", netbios_name, "' (", fqdn, ") but the client certificate covers [",
        cert_names, "] (subject ", cert.subject, "): ", why));
  };
  if (want_fqdn.empty() || want_netbios.empty()) {
    return refuse("the hello lacks a NetBIOS name or an FQDN");
  }
  bool fqdn_ok = false;
  bool netbios_ok = false;
  for (const std::string& n : names) {
    if (n == want_fqdn) fqdn_ok = true;
    const std::string first_label = n.substr(0, n.find('.'));
    if (n == want_netbios || first_label == want_netbios) netbios_ok = true;
  }
  if (!fqdn_ok) return refuse("the FQDN is not on the certificate");
  if (!netbios_ok) return refuse("the NetBIOS name is not on the certificate");
  // The NetBIOS name must be the FQDN's own first label, so a certificate for ex01 and ex02
  // cannot be used to claim "EX02 (ex01.contoso.com)".
  if (want_fqdn.substr(0, want_fqdn.find('.')) != want_netbios) {
    return refuse("the NetBIOS name is not the first label of the FQDN");
  }
  return absl::OkStatus();
}

absl::Status CheckCertificateGrantsRole(const CertificateIdentity& cert,
                                        const v1::HostIdentity& claimed) {
  if (cert.host_role == v1::ROLE_UNSPECIFIED) {
    return absl::PermissionDeniedError(absl::StrCat(
        "certificate ", cert.subject, " grants no role (an OU ", kExchangeRoleOu, " or ", kDcRoleOu,
        "); issue it with: kerbside-pki.sh host DIR exchange|dc FQDN"));
  }
  if (claimed.role() != cert.host_role) {
    return absl::PermissionDeniedError(
        absl::StrCat("hello claims role ",
                     HostRoleName(claimed.role()).empty() ? "(none)" : HostRoleName(claimed.role()),
                     " but certificate ", cert.subject, " grants ", HostRoleName(cert.host_role)));
  }
  if (claimed.pdc_emulator() && cert.host_role != v1::ROLE_DC) {
    return absl::PermissionDeniedError(
        absl::StrCat("hello claims the PDC emulator role, which only a DC holds; certificate ",
                     cert.subject, " grants ", HostRoleName(cert.host_role)));
  }
  return absl::OkStatus();
}

absl::string_view CertificateRoleName(CertificateRole role) {
  switch (role) {
    case CertificateRole::kHost:
      return kHostOu;
    case CertificateRole::kOperator:
      return kOperatorOu;
    case CertificateRole::kCollector:
      return kCollectorOu;
    case CertificateRole::kUnknown:
      break;
  }
  return "unknown";
}

std::string HostRoleName(v1::Role role) {
  switch (role) {
    case v1::ROLE_EXCHANGE:
      return "exchange";
    case v1::ROLE_DC:
      return "dc";
    default:
      return "";
  }
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return ss.str();
}

}  // namespace kerbside
