#ifndef KERBSIDE_AGENT_SOURCES_SOURCE_H_
#define KERBSIDE_AGENT_SOURCES_SOURCE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/config.h"
#include "common/clock.h"
#include "kerbside/v1/agent.pb.h"

namespace kerbside::agent {

// One kind of evidence the agent collects. Collect() returns a full snapshot of what the source
// sees now, with its health: OK, DEGRADED (some of it could not be read, with the reason) or
// FAILING (nothing could be read), so the collector can tell "no problem" from "could not look".
class Source {
 public:
  virtual ~Source() = default;
  virtual std::string id() const = 0;
  virtual absl::Duration interval() const = 0;
  virtual v1::EvidenceBatch Collect(absl::Time now) = 0;

  // An incremental source (the event log) sends what is new since its last batch, so none of
  // its batches may be superseded by a later one; a snapshot source's newest batch replaces its
  // older ones in the spool.
  virtual bool incremental() const { return false; }
  // The collector acknowledged this source's batch `sequence` (spool sequences grow in publish
  // order), which carried `resume_token`. Called from the stream's thread.
  virtual void Acknowledged(uint64_t /*sequence*/, const std::string& /*resume_token*/) {}
  // At start: the token of this source's newest batch still in the spool (kept on disk across a
  // restart or a session change), so the source resumes after what is already spooled.
  virtual void ResumeAfterSpooled(const std::string& /*resume_token*/) {}
};

// What sources may use besides their configuration.
struct SourceContext {
  const Clock* clock;
  // The collector's latest fleet inventory (empty until the first one arrives).
  std::function<v1::Inventory()> inventory;
};

// The registry: every source this agent's configuration enables (agent/sources/registry.cc).
std::vector<std::unique_ptr<Source>> MakeSources(const AgentConfig& config,
                                                 const SourceContext& context);

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_SOURCES_SOURCE_H_
