#ifndef KERBSIDE_AGENT_STREAM_CLIENT_H_
#define KERBSIDE_AGENT_STREAM_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "agent/backoff.h"
#include "agent/config.h"
#include "common/clock.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/security/credentials.h"
#include "kerbside/v1/agent.grpc.pb.h"

namespace kerbside::agent {

// Keeps the agent's one stream to the collector up: hello, heartbeats, clock exchanges;
// reconnects with backoff when the stream ends. Run() returns after Stop().
class StreamClient {
 public:
  StreamClient(AgentConfig config, std::shared_ptr<grpc::ChannelCredentials> credentials,
               const Clock* clock);

  void Run();
  void Stop();

  // How many sessions reached the collector's hello ack (for logs and tests).
  int sessions_established() const;

 private:
  // One stream from connect to end; returns why it ended.
  absl::Status RunSession();
  // Says loudly when this host's clock is outside a certificate's validity window.
  void CheckClockAgainstCertificates();
  bool WaitForStopOrTimeout(absl::Duration timeout);

  AgentConfig config_;
  std::shared_ptr<grpc::ChannelCredentials> credentials_;
  const Clock* clock_;
  Backoff backoff_;

  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int sessions_established_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_STREAM_CLIENT_H_
