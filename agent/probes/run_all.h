#ifndef KERBSIDE_AGENT_PROBES_RUN_ALL_H_
#define KERBSIDE_AGENT_PROBES_RUN_ALL_H_

#include <algorithm>
#include <atomic>
#include <functional>
#include <thread>
#include <vector>

namespace kerbside::agent::probes {

// Runs tasks on at most `concurrency` threads and waits for all of them. Each task bounds its
// own time, so the pool needs no cancellation.
inline void RunAll(std::vector<std::function<void()>>& tasks, int concurrency) {
  std::atomic<size_t> next{0};
  auto worker = [&]() {
    for (size_t i = next++; i < tasks.size(); i = next++) tasks[i]();
  };
  const int n = std::max(1, std::min<int>(concurrency, static_cast<int>(tasks.size())));
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
}

}  // namespace kerbside::agent::probes

#endif  // KERBSIDE_AGENT_PROBES_RUN_ALL_H_
