#ifndef KERBSIDE_COLLECTOR_LIVE_QUERY_SERVICE_H_
#define KERBSIDE_COLLECTOR_LIVE_QUERY_SERVICE_H_

#include "collector/fleet.h"
#include "collector/store/store.h"
#include "common/clock.h"
#include "kerbside/v1/query.grpc.pb.h"

namespace kerbside::collector {

struct LiveQueryOptions {
  bool plaintext = false;
  absl::Duration max_clock_skew = absl::Minutes(5);
  absl::Duration stale_after = absl::Hours(24);
  absl::Duration event_window = absl::Hours(24);
};

// Diagnoses, queues and evidence of the live fleet, for operator certificates only. The
// correlator runs on demand over the current store, so an answer is never older than the
// evidence it is built from.
class LiveQueryServiceImpl final : public v1::LiveQueryService::Service {
 public:
  LiveQueryServiceImpl(const Fleet* fleet, Store* store, const Clock* clock,
                       LiveQueryOptions options)
      : fleet_(fleet), store_(store), clock_(clock), options_(options) {}

  grpc::Status Diagnose(grpc::ServerContext* context, const v1::DiagnoseRequest* request,
                        v1::DiagnoseResponse* response) override;
  grpc::Status ListQueues(grpc::ServerContext* context, const v1::ListQueuesRequest* request,
                          v1::ListQueuesResponse* response) override;
  grpc::Status ExportBundle(grpc::ServerContext* context, const v1::ExportBundleRequest* request,
                            v1::ExportBundleResponse* response) override;
  grpc::Status GetEvidence(grpc::ServerContext* context, const v1::GetEvidenceRequest* request,
                           v1::GetEvidenceResponse* response) override;

 private:
  const Fleet* fleet_;
  Store* store_;  // evidence, and the keeper's kept diagnoses
  const Clock* clock_;
  LiveQueryOptions options_;
};

// The query services' shared check: only kerbside-operator certificates (unless plaintext).
grpc::Status AuthorizeOperator(grpc::ServerContext* context, bool plaintext);

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_LIVE_QUERY_SERVICE_H_
