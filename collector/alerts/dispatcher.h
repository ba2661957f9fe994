#ifndef KERBSIDE_COLLECTOR_ALERTS_DISPATCHER_H_
#define KERBSIDE_COLLECTOR_ALERTS_DISPATCHER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "collector/alerts/http_client.h"
#include "collector/alerts/sink.h"
#include "collector/store/outbox_store.h"
#include "common/clock.h"
#include "common/waiter.h"

namespace kerbside::alerts {

struct DispatcherOptions {
  // Retry backoff: initial, doubling, capped. A Retry-After from the sink wins when longer
  // (up to max_retry_after).
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(60);
  absl::Duration max_retry_after = absl::Minutes(10);
  // Bounded retries: a notification that could not be delivered for this long is dropped
  // (logged and counted), so one dead sink cannot hold its queue forever.
  absl::Duration give_up_after = absl::Hours(24);
};

// Results counted per sink (the /metrics label `result`).
inline constexpr char kDelivered[] = "delivered";
inline constexpr char kRetried[] = "retry";
inline constexpr char kRejected[] = "rejected";  // 4xx other than 408/429: never retried
inline constexpr char kGaveUp[] = "gave_up";
inline constexpr char kRefreshed[] = "refreshed";
inline constexpr char kRefreshFailed[] = "refresh_failed";

// The delay before attempt number `attempts` + 1 (attempts >= 1 failed so far).
absl::Duration RetryDelay(const DispatcherOptions& options, int attempts,
                          std::optional<absl::Duration> retry_after);

// Delivers the store's alert outbox to the sinks: per sink strictly in queue order (the head
// blocks the rest, so a resolve never overtakes its trigger), at least once, with bounded
// retries. One worker thread per sink so a slow sink delays only itself.
class Dispatcher {
 public:
  using OpenAlertsFn = std::function<std::vector<diagnoses::Alert>()>;

  Dispatcher(collector::OutboxStore* store, const Clock* clock, HttpClient* http,
             std::vector<std::unique_ptr<AlertSink>> sinks, DispatcherOptions options,
             OpenAlertsFn open_alerts);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // One step for sink `index` at `now`: delivers its head entry when due, else refreshes open
  // alerts when the sink wants that. Returns when the sink wants its next step.
  absl::StatusOr<absl::Time> Step(size_t index, absl::Time now);

  void Start();
  void Stop();
  // New entries were queued.
  void Wake();

  std::vector<std::string> SinkNames() const;
  const std::vector<std::unique_ptr<AlertSink>>& sinks() const { return sinks_; }
  // (sink, kind, result) -> count.
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> Counts() const;

 private:
  void Count(const AlertSink& sink, const char* result);
  void Worker(size_t index);

  collector::OutboxStore* store_;
  const Clock* clock_;
  HttpClient* http_;
  std::vector<std::unique_ptr<AlertSink>> sinks_;
  const DispatcherOptions options_;
  OpenAlertsFn open_alerts_;

  mutable absl::Mutex mu_;
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> counts_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Time> next_refresh_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Waiter>> waits_;  // one per sink worker
  std::vector<std::thread> threads_;
};

}  // namespace kerbside::alerts

#endif  // KERBSIDE_COLLECTOR_ALERTS_DISPATCHER_H_
