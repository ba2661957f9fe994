#ifndef KERBSIDE_COMMON_IDENTITY_H_
#define KERBSIDE_COMMON_IDENTITY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "kerbside/v1/agent.pb.h"

namespace kerbside {

// What kind of party a fleet certificate was issued to; carried in the subject's OU.
enum class CertificateRole { kUnknown, kHost, kOperator, kCollector };

inline constexpr absl::string_view kHostOu = "kerbside-host";
inline constexpr absl::string_view kOperatorOu = "kerbside-operator";
inline constexpr absl::string_view kCollectorOu = "kerbside-collector";
// A host certificate's second OU: the role it grants (deploy/pki/kerbside-pki.sh).
inline constexpr absl::string_view kExchangeRoleOu = "kerbside-role-exchange";
inline constexpr absl::string_view kDcRoleOu = "kerbside-role-dc";

struct CertificateIdentity {
  std::string subject;  // one-line RFC 2253 form, for logs
  std::string common_name;
  std::vector<std::string> dns_names;  // subjectAltName DNS entries
  std::vector<std::string> organizational_units;
  CertificateRole role = CertificateRole::kUnknown;
  // For a host certificate: the role it grants (ROLE_UNSPECIFIED: none, or two that conflict).
  v1::Role host_role = v1::ROLE_UNSPECIFIED;
  absl::Time not_before;
  absl::Time not_after;
  // The AD CS certificate template it was issued from, when it names one: the template name of
  // a version 1 template (extension 1.3.6.1.4.1.311.20.2) and the template OID of a version 2+
  // template (1.3.6.1.4.1.311.21.7). Empty when absent.
  std::string template_name;
  std::string template_oid;
};

// An AD CS certificate template whose certificates the collector takes as host certificates of
// one role (collector flag host_template NAME_OR_OID=ROLE). Enterprise-PKI certificates carry no
// kerbside OU; the role is bound by who may enroll in the template (its Enroll permission:
// Exchange Servers for one template, Domain Controllers for another).
struct TemplateRole {
  std::string template_name_or_oid;
  v1::Role role = v1::ROLE_UNSPECIFIED;
};

// Parses "NAME_OR_OID=exchange|dc". The error names the value.
absl::StatusOr<TemplateRole> ParseTemplateRole(absl::string_view spec);

// A certificate without a kerbside OU that was issued from one of `templates` becomes a host
// certificate with that template's role. A certificate with a kerbside OU keeps what its OU says
// (the fleet PKI stays authoritative for its own certificates).
void ApplyTemplateRoles(const std::vector<TemplateRole>& templates, CertificateIdentity* cert);

// Parses one PEM certificate (OpenSSL). Errors carry OpenSSL's reason.
absl::StatusOr<CertificateIdentity> ParseCertificatePem(absl::string_view pem);

// Lower case, trailing dot removed: host names compare case-insensitively (DESIGN.md §3).
std::string NormalizeHostName(absl::string_view name);

// True when the certificate names this host: the FQDN must be the CN or a DNS SAN, and the
// NetBIOS name must be a name on the certificate or the first label of one of its names.
// On refusal, the error names both the claimed names and the certificate's.
absl::Status CheckCertificateCoversHost(const CertificateIdentity& cert,
                                        absl::string_view netbios_name, absl::string_view fqdn);

// True when the host certificate grants the role the hello claims, and the PDC emulator claim
// (if any) comes with the DC role. The error names the certificate and both roles.
absl::Status CheckCertificateGrantsRole(const CertificateIdentity& cert,
                                        const v1::HostIdentity& claimed);

absl::string_view CertificateRoleName(CertificateRole role);

// "exchange" or "dc" as host.json, the CLI and alert labels write a host's role; "" when
// unspecified.
std::string HostRoleName(v1::Role role);

// Reads a whole file; the error names the file.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

}  // namespace kerbside

#endif  // KERBSIDE_COMMON_IDENTITY_H_
