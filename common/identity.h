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
};

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
