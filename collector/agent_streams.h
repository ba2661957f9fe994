#ifndef KERBSIDE_COLLECTOR_AGENT_STREAMS_H_
#define KERBSIDE_COLLECTOR_AGENT_STREAMS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/waiter.h"
#include "grpcpp/server_context.h"

namespace kerbside::collector {

// Bounds on agent streams (issue 12 item 5). A stream that never says hello, one that falls
// silent, and a host's second stream each hold a connection and its memory (about 180 KB per
// stream, bench/collector_streams.sh) until something ends them.
struct AgentStreamLimits {
  // Streams open at once, identified or not. Issue 17 measured one collector on 2 cores with the
  // sync gRPC API (a thread per stream): 4,000 streams held fine, 8,000 degraded every query.
  // The service is on the callback API now (threads independent of the streams), but until the
  // inventory goes out as deltas, memory grows with streams times fleet size: the default stays.
  size_t max_streams = 4000;
  // From accept to the hello.
  absl::Duration hello_timeout = absl::Seconds(10);
  // Since the last whole message; agents send a heartbeat every heartbeat_interval (15 s by
  // default), so the collector allows several missed ones, and a slow upload.
  absl::Duration idle_timeout = absl::Minutes(2);
};

class AgentStreams;

// One open stream, registered with AgentStreams for as long as the handler runs. Not movable:
// the registry points at it.
class AgentStream {
 public:
  AgentStream(const AgentStream&) = delete;
  AgentStream& operator=(const AgentStream&) = delete;
  ~AgentStream();

  // The hello named `host` and the fleet registered it as connection `fleet_token` (increasing,
  // HostRegistry::Connected): from now on the idle timeout applies, and of this host's streams only
  // the one with the newest token stays; the other is cancelled (a restarted agent's old stream, a
  // cloned VM) rather than left to hold a thread until it next speaks. Ordering by the fleet's
  // token keeps the two registries agreeing when two hellos race.
  void Identified(const std::string& host, uint64_t fleet_token);
  // A message arrived.
  void Touch();

 private:
  friend class AgentStreams;
  AgentStream(AgentStreams* owner, grpc::ServerContextBase* context, uint64_t id)
      : owner_(owner), context_(context), id_(id) {}
  AgentStreams* owner_;
  grpc::ServerContextBase* context_;
  uint64_t id_;
};

// The registry of open agent streams and its watchdog. Deadlines are read from the injected
// clock; the watchdog thread only decides how often to look.
class AgentStreams {
 public:
  // `sweep_every` zero: no watchdog thread (tests call Sweep()).
  AgentStreams(const Clock* clock, AgentStreamLimits limits,
               absl::Duration sweep_every = absl::Milliseconds(250));
  ~AgentStreams();
  AgentStreams(const AgentStreams&) = delete;
  AgentStreams& operator=(const AgentStreams&) = delete;

  // Registers a new stream; RESOURCE_EXHAUSTED (naming the limit) when max_streams are open.
  absl::StatusOr<std::unique_ptr<AgentStream>> Admit(grpc::ServerContextBase* context,
                                                     const std::string& peer);
  // Cancels every stream past its hello or idle deadline; returns how many it cancelled.
  int Sweep();
  size_t open() const;
  const AgentStreamLimits& limits() const { return limits_; }

 private:
  friend class AgentStream;
  struct Entry {
    grpc::ServerContextBase* context;
    std::string peer;
    std::string host;  // empty until the hello
    absl::Time last_heard;
    bool cancelled = false;
    uint64_t fleet_token = 0;
  };
  void Remove(uint64_t id);
  void Identified(uint64_t id, const std::string& host, uint64_t fleet_token);
  void Touch(uint64_t id);
  void CancelLocked(uint64_t id, Entry& e, const char* why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock* clock_;
  const AgentStreamLimits limits_;
  mutable absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> by_host_ ABSL_GUARDED_BY(mu_);  // the newest stream per host
  Waiter watchdog_wait_;
  std::thread watchdog_;
};

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_AGENT_STREAMS_H_
