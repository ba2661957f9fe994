#ifndef KERBSIDE_COLLECTOR_QUERY_SERVICE_H_
#define KERBSIDE_COLLECTOR_QUERY_SERVICE_H_

#include "collector/host_registry.h"
#include "collector/live_model.h"
#include "collector/store/store.h"
#include "common/clock.h"
#include "kerbside/v1/query.grpc.pb.h"

namespace kerbside::collector {

struct QueryOptions {
  // Without TLS there is no certificate to check (loopback demos only).
  bool plaintext = false;
  LiveCorrelationOptions live;
};

// The operator's API over the live fleet: hosts, diagnoses, queues, evidence and the fleet as a
// support bundle. Only kerbside-operator certificates may call it (unless plaintext).
class QueryServiceImpl final : public v1::QueryService::Service {
 public:
  QueryServiceImpl(const HostRegistry* fleet, Store* store, const Clock* clock,
                   QueryOptions options)
      : fleet_(fleet), store_(store), clock_(clock), options_(options) {}

  grpc::Status ListHosts(grpc::ServerContext* context, const v1::ListHostsRequest* request,
                         v1::ListHostsResponse* response) override;
  grpc::Status Diagnose(grpc::ServerContext* context, const v1::DiagnoseRequest* request,
                        v1::DiagnoseResponse* response) override;
  grpc::Status ListQueues(grpc::ServerContext* context, const v1::ListQueuesRequest* request,
                          v1::ListQueuesResponse* response) override;
  grpc::Status GetEvidence(grpc::ServerContext* context, const v1::GetEvidenceRequest* request,
                           v1::GetEvidenceResponse* response) override;
  grpc::Status ExportBundle(grpc::ServerContext* context, const v1::ExportBundleRequest* request,
                            v1::ExportBundleResponse* response) override;

 private:
  grpc::Status Authorize(grpc::ServerContext* context) const;

  const HostRegistry* fleet_;
  Store* store_;  // evidence, and the keeper's kept diagnoses
  const Clock* clock_;
  QueryOptions options_;
};

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_QUERY_SERVICE_H_
