// A bare gRPC client for the integration tests: calls QueryService.ListHosts with whatever
// credentials it is given (none, a CA only, a certificate of any role) and prints the status
// code, so a test can check what the collector refuses. Exit 0 only when the call succeeded.
#include <cstdio>
#include <string>

#include "common/grpc_tls.h"
#include "grpcpp/create_channel.h"
#include "kerbside/v1/query.grpc.pb.h"

int main(int argc, char** argv) {
  if (argc != 3 && argc != 5) {
    std::fprintf(stderr, "usage: %s ADDR CA [CERT KEY]\n", argv[0]);
    return 2;
  }
  kerbside::TlsFiles files{argv[2], argc == 5 ? argv[3] : "", argc == 5 ? argv[4] : ""};
  auto creds = kerbside::MakeMutualTlsChannelCredentials(files);
  if (!creds.ok()) {
    std::fprintf(stderr, "%s\n", creds.status().ToString().c_str());
    return 2;
  }
  auto stub = kerbside::v1::QueryService::NewStub(grpc::CreateChannel(argv[1], *creds));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  kerbside::v1::ListHostsResponse response;
  grpc::Status s = stub->ListHosts(&ctx, {}, &response);
  std::printf("status=%d message=%s hosts=%d\n", s.error_code(), s.error_message().c_str(),
              response.hosts_size());
  return s.ok() ? 0 : 1;
}
