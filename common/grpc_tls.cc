#include "common/grpc_tls.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace kerbside {

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeMutualTlsServerCredentials(
    const TlsFiles& files) {
  ASSIGN_OR_RETURN(std::string ca, ReadFileToString(files.ca_file));
  ASSIGN_OR_RETURN(std::string cert, ReadFileToString(files.cert_file));
  ASSIGN_OR_RETURN(std::string key, ReadFileToString(files.key_file));
  RETURN_IF_ERROR(ParseCertificatePem(cert).status());
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = ca;
  options.pem_key_cert_pairs.push_back({key, cert});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeMutualTlsChannelCredentials(
    const TlsFiles& files) {
  grpc::SslCredentialsOptions options;
  ASSIGN_OR_RETURN(options.pem_root_certs, ReadFileToString(files.ca_file));
  if (!files.cert_file.empty()) {
    ASSIGN_OR_RETURN(options.pem_cert_chain, ReadFileToString(files.cert_file));
    ASSIGN_OR_RETURN(options.pem_private_key, ReadFileToString(files.key_file));
  }
  return grpc::SslCredentials(options);
}

absl::StatusOr<CertificateIdentity> PeerCertificate(const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) {
    return absl::UnauthenticatedError("the peer presented no verified certificate");
  }
  std::vector<grpc::string_ref> pems = auth->FindPropertyValues("x509_pem_cert");
  if (pems.empty()) {
    return absl::UnauthenticatedError("the peer's certificate is not available");
  }
  return ParseCertificatePem(absl::string_view(pems.front().data(), pems.front().size()));
}

std::string ClockOutsideValidity(const std::string& what, const CertificateIdentity& cert,
                                 absl::Time now) {
  if (now >= cert.not_before && now <= cert.not_after) return "";
  const bool before = now < cert.not_before;
  return absl::StrCat("this host's clock reads ", absl::FormatTime(now), ", ",
                      before ? "before" : "after", " the validity window of ", what, " (",
                      cert.subject, ", valid ", absl::FormatTime(cert.not_before), " to ",
                      absl::FormatTime(cert.not_after), "): TLS will fail because of the clock, ",
                      before ? "which is behind by at least " : "which is ahead by at least ",
                      absl::FormatDuration(before ? cert.not_before - now : now - cert.not_after));
}

}  // namespace kerbside
