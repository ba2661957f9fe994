#ifndef KERBSIDE_COLLECTOR_AGENT_SERVICE_H_
#define KERBSIDE_COLLECTOR_AGENT_SERVICE_H_

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "collector/agent_session.h"
#include "collector/agent_streams.h"
#include "collector/host_registry.h"
#include "collector/ingest_event.h"
#include "collector/ingest_writer.h"
#include "collector/store/evidence_store.h"
#include "collector/stored_batches.h"
#include "common/clock.h"
#include "common/identity.h"
#include "kerbside/v1/agent.grpc.pb.h"

namespace kerbside::collector {

struct AgentServiceOptions {
  // Without TLS there is no certificate to check the hello against (loopback demos only).
  bool plaintext = false;
  // AD CS templates whose certificates are host certificates of a role (no kerbside OU).
  std::vector<TemplateRole> template_roles = {};
  absl::Duration heartbeat_interval = absl::Seconds(15);
  absl::Duration time_exchange_interval = absl::Seconds(10);
  // How long the collector keeps an event after its last occurrence (collector clock).
  absl::Duration event_window = absl::Hours(24);
  // Ingest as it happens, for the metrics and the diagnosis keeper. Called on gRPC's threads
  // and the ingest writer's; must be quick and thread-safe. May be empty.
  std::function<void(const IngestEvent&)> on_ingest;
  AgentStreamLimits stream_limits;
  // The deadlines of the stream limits; nullptr: the service's clock. The collector passes
  // MonotonicClock(), so a step of its wall clock cannot close every stream at once.
  const Clock* stream_clock = nullptr;
  // How often the watchdog looks for silent streams; zero: never (tests sweep by hand).
  absl::Duration stream_sweep_every = absl::Milliseconds(250);
};

// Ingest side of the collector: one bidirectional stream per agent, on gRPC's callback API, so
// an open stream costs a reactor (AgentConnection), not a thread: the streams an agent fleet
// holds open are independent of the collector's thread count (issue 17).
class AgentServiceImpl final : public v1::AgentService::CallbackService {
 public:
  AgentServiceImpl(HostRegistry* fleet, EvidenceStore* store, const Clock* clock,
                   AgentServiceOptions options)
      : fleet_(fleet),
        store_(store),
        clock_(clock),
        options_(options),
        streams_(options.stream_clock != nullptr ? options.stream_clock : clock,
                 options.stream_limits, options.stream_sweep_every),
        writer_(store, IngestWriter::Options{}) {}

  grpc::ServerBidiReactor<v1::AgentMessage, v1::CollectorMessage>* Connect(
      grpc::CallbackServerContext* context) override;

  const AgentStreams& streams() const { return streams_; }
  AgentStreams& streams() { return streams_; }

 private:
  friend class AgentConnection;

  // The peer's kerbside-host certificate (none in plaintext mode); errors carry the code the
  // stream is refused with.
  absl::StatusOr<std::optional<CertificateIdentity>> AuthenticatePeer(
      const grpc::ServerContextBase& context) const;
  SessionContext MakeSessionContext();

  HostRegistry* fleet_;
  EvidenceStore* store_;
  const Clock* clock_;
  AgentServiceOptions options_;

  StoredBatches stored_;  // which batches each (host, spool, source) already stored
  AgentStreams streams_;
  // Last: stopped first, answering what it holds while the rest is still there. The server
  // must be shut down before the service goes (gRPC waits for every stream's end, and a stream
  // whose batch is with the writer ends only once the writer has answered it).
  IngestWriter writer_;
};

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_AGENT_SERVICE_H_
