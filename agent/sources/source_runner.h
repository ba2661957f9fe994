#ifndef KERBSIDE_AGENT_SOURCES_SOURCE_RUNNER_H_
#define KERBSIDE_AGENT_SOURCES_SOURCE_RUNNER_H_

#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "agent/sources/source.h"
#include "common/clock.h"
#include "common/waiter.h"

namespace kerbside::agent {

// Runs every source on its own interval (±10% jitter so a fleet does not collect in lockstep),
// each on a thread of its own, and hands each snapshot to `publish` (from those threads). A
// source that fails reports FAILING in its batch; one that is slow or hangs (a probe round
// waiting on the network) delays only itself: sharing one thread, it once stopped the host
// folder from being read for over a minute (the lab). `publish` is told whether the batch
// supersedes the source's older ones (snapshots) or not (increments).
class SourceRunner {
 public:
  SourceRunner(std::vector<std::unique_ptr<Source>> sources, const Clock* clock,
               std::function<void(v1::EvidenceBatch, bool supersedes)> publish);
  ~SourceRunner();
  // Before Start(): what is still spooled (Spool::Pending()), so incremental sources resume
  // after their newest spooled batch.
  void ResumeAfterSpooled(const std::vector<v1::EvidenceBatch>& pending);
  // The collector acknowledged `batch` (from the spool): tells its source. Any thread.
  void Acknowledged(const v1::EvidenceBatch& batch);
  void Start();
  void Stop();

 private:
  void Loop(size_t index);
  std::vector<std::unique_ptr<Source>> sources_;
  const Clock* clock_;
  std::function<void(v1::EvidenceBatch, bool)> publish_;
  Waiter wake_{clock_};  // stopped by Stop()
  std::vector<std::thread> threads_;
};

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_SOURCES_SOURCE_RUNNER_H_
