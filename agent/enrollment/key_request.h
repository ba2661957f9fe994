#ifndef KERBSIDE_AGENT_ENROLLMENT_KEY_REQUEST_H_
#define KERBSIDE_AGENT_ENROLLMENT_KEY_REQUEST_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kerbside::agent {

// A fresh private key and the PKCS #10 request for it, both PEM.
struct KeyAndRequest {
  std::string key_pem;
  std::string csr_pem;
};

// An RSA 3072 key made here (it never leaves the host) and a SHA-256 signed request with
// subject CN=<fqdn> and DNS names <fqdn> and <netbios_name>, the names the collector checks the
// hello against. A template set to "Build from this Active Directory information" replaces the
// subject with the computer account's; the DNS names stay the same. Errors carry OpenSSL's.
absl::StatusOr<KeyAndRequest> MakeKeyAndRequest(absl::string_view fqdn,
                                                absl::string_view netbios_name);

// OK when the certificate's public key is the private key's. Errors name which one did not
// parse, or say they differ.
absl::Status CheckKeyMatchesCertificate(absl::string_view key_pem, absl::string_view cert_pem);

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_ENROLLMENT_KEY_REQUEST_H_
