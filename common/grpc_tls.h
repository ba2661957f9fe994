#ifndef KERBSIDE_COMMON_GRPC_TLS_H_
#define KERBSIDE_COMMON_GRPC_TLS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/identity.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_context.h"

namespace kerbside {

struct TlsFiles {
  std::string ca_file;    // fleet CA (PEM) that signs every kerbside certificate
  std::string cert_file;  // this party's certificate (PEM)
  std::string key_file;   // its private key (PEM)
};

// Server side: requires and verifies a client certificate signed by the fleet CA.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeMutualTlsServerCredentials(
    const TlsFiles& files);

// Client side: presents our certificate, verifies the collector's against the fleet CA.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeMutualTlsChannelCredentials(
    const TlsFiles& files);

// The verified client certificate of a call, parsed; Unauthenticated when there is none
// (plaintext mode).
absl::StatusOr<CertificateIdentity> PeerCertificate(const grpc::ServerContextBase& context);

// When `now` (this host's clock) lies outside a certificate's validity window, TLS fails for a
// reason that is really the clock. Returns a message saying so, or empty when `now` is inside.
std::string ClockOutsideValidity(const std::string& what, const CertificateIdentity& cert,
                                 absl::Time now);

}  // namespace kerbside

#endif  // KERBSIDE_COMMON_GRPC_TLS_H_
