#ifndef KERBSIDE_COLLECTOR_QUERY_SERVICE_H_
#define KERBSIDE_COLLECTOR_QUERY_SERVICE_H_

#include "collector/fleet.h"
#include "kerbside/v1/query.grpc.pb.h"

namespace kerbside::collector {

// The operator's API. Only kerbside-operator certificates may call it (unless plaintext).
class QueryServiceImpl final : public v1::QueryService::Service {
 public:
  QueryServiceImpl(const Fleet* fleet, bool plaintext) : fleet_(fleet), plaintext_(plaintext) {}

  grpc::Status ListHosts(grpc::ServerContext* context, const v1::ListHostsRequest* request,
                         v1::ListHostsResponse* response) override;

 private:
  grpc::Status Authorize(grpc::ServerContext* context) const;
  const Fleet* fleet_;
  bool plaintext_;
};

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_QUERY_SERVICE_H_
