#ifndef KERBSIDE_AGENT_STREAM_CLIENT_H_
#define KERBSIDE_AGENT_STREAM_CLIENT_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "agent/backoff.h"
#include "agent/config.h"
#include "agent/spool.h"
#include "common/clock.h"
#include "common/waiter.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/security/credentials.h"
#include "kerbside/v1/agent.grpc.pb.h"

namespace kerbside::agent {

// Keeps the agent's one stream to the collector up: hello, heartbeats, clock exchanges;
// reconnects with backoff when the stream ends. Run() returns after Stop().
class StreamClient {
 public:
  // `spool` keeps what the collector has not acknowledged; it outlives the client (a policy
  // change makes a new client over the same spool).
  StreamClient(AgentConfig config, std::shared_ptr<grpc::ChannelCredentials> credentials,
               const Clock* clock, Spool* spool);

  // Called with each batch the collector acknowledged, on the session's reader thread (not
  // Run()'s). Set before Run().
  void set_on_acknowledged(std::function<void(const v1::EvidenceBatch&)> f) {
    on_acknowledged_ = std::move(f);
  }

  void Run();
  void Stop();

  // Hands a source's batch to the stream through the spool: sent as soon as the collector has
  // accepted the hello, and again after every reconnection until the collector acknowledges it.
  // `supersedes`: a full snapshot, which replaces that source's batches not yet acknowledged.
  void Publish(v1::EvidenceBatch batch, bool supersedes = true);

  // The collector's latest fleet inventory (empty until the first hello ack).
  v1::Inventory inventory() const;

  // How many sessions reached the collector's hello ack (for logs and tests).
  int sessions_established() const;

  // The clock a step of the wall clock is seen against (ExchangeCadence); the process's
  // monotonic clock unless a test sets its own. Before Run().
  void set_monotonic_clock(const Clock* monotonic) { monotonic_ = monotonic; }

 private:
  class Session;  // one stream from connect to end (stream_client.cc)
  // Runs one Session; returns why its stream ended.
  absl::Status RunSession();
  // Says loudly when this host's clock is outside a certificate's validity window.
  void CheckClockAgainstCertificates();
  bool WaitForStopOrTimeout(absl::Duration timeout);

  AgentConfig config_;
  std::shared_ptr<grpc::ChannelCredentials> credentials_;
  const Clock* clock_;
  const Clock* monotonic_ = &MonotonicClock();
  Spool* spool_;
  Backoff backoff_;
  std::function<void(const v1::EvidenceBatch&)> on_acknowledged_;

  // Notified by Publish() and by a session's reader when its stream ends; stopped by Stop().
  Waiter wake_{clock_};
  mutable std::mutex mu_;
  v1::Inventory inventory_;       // guarded by mu_
  int sessions_established_ = 0;  // guarded by mu_
};

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_STREAM_CLIENT_H_
