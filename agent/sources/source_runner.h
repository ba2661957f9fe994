#ifndef KERBSIDE_AGENT_SOURCES_SOURCE_RUNNER_H_
#define KERBSIDE_AGENT_SOURCES_SOURCE_RUNNER_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "agent/sources/source.h"
#include "common/clock.h"

namespace kerbside::agent {

// Runs every source on its own interval (±10% jitter so a fleet does not collect in lockstep)
// on one thread and hands each snapshot to `publish`. A source that fails reports FAILING in
// its batch; it never stops the others. `publish` is told whether the batch supersedes the
// source's older ones (snapshots) or not (increments).
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
  void Loop();
  std::vector<std::unique_ptr<Source>> sources_;
  const Clock* clock_;
  std::function<void(v1::EvidenceBatch, bool)> publish_;
  std::mutex mu_;
  std::condition_variable cv_;  // monotonic waits: see StreamClient
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_SOURCES_SOURCE_RUNNER_H_
