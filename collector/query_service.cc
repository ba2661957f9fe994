#include "collector/query_service.h"

#include "absl/strings/str_cat.h"
#include "collector/live_query_service.h"
#include "common/grpc_tls.h"
#include "spdlog/spdlog.h"

namespace kerbside::collector {

grpc::Status QueryServiceImpl::Authorize(grpc::ServerContext* context) const {
  return AuthorizeOperator(context, plaintext_);
}

grpc::Status AuthorizeOperator(grpc::ServerContext* context, bool plaintext) {
  if (plaintext) return grpc::Status::OK;
  auto cert = PeerCertificate(*context);
  if (!cert.ok()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(cert.status().message()));
  }
  if (cert->role != CertificateRole::kOperator) {
    const std::string why =
        absl::StrCat("certificate ", cert->subject, " is a ", CertificateRoleName(cert->role),
                     " certificate; the query service needs a kerbside-operator certificate");
    spdlog::warn("query refused peer={} reason=\"{}\"", context->peer(), why);
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, why);
  }
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::ListHosts(grpc::ServerContext* context, const v1::ListHostsRequest*,
                                         v1::ListHostsResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  *response = fleet_->ListHosts();
  return grpc::Status::OK;
}

}  // namespace kerbside::collector
