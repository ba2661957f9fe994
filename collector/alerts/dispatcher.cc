#include "collector/alerts/dispatcher.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace kerbside::alerts {
namespace {

// Retried: no answer, 408 Request Timeout, 429 Too Many Requests, 5xx. Everything else that is
// not 2xx means the request itself is wrong (PagerDuty's 400 for a bad routing key) and would
// fail the same way forever.
bool Retriable(int status) { return status == 408 || status == 429 || status >= 500; }

std::string Excerpt(const std::string& body) {
  return body.size() > 200 ? body.substr(0, 200) + "..." : body;
}

}  // namespace

absl::Duration RetryDelay(const DispatcherOptions& options, int attempts,
                          std::optional<absl::Duration> retry_after) {
  absl::Duration d = options.initial_backoff;
  for (int i = 1; i < attempts && d < options.max_backoff; ++i) d *= 2;
  d = std::min(d, options.max_backoff);
  if (retry_after) d = std::max(d, std::min(*retry_after, options.max_retry_after));
  return d;
}

Dispatcher::Dispatcher(collector::OutboxStore* store, const Clock* clock, HttpClient* http,
                       std::vector<std::unique_ptr<AlertSink>> sinks, DispatcherOptions options,
                       OpenAlertsFn open_alerts)
    : store_(store),
      clock_(clock),
      http_(http),
      sinks_(std::move(sinks)),
      options_(options),
      open_alerts_(std::move(open_alerts)) {
  absl::MutexLock lock(&mu_);
  // Refresh at once after a start: a receiver may have expired what it was told before.
  next_refresh_.assign(sinks_.size(), absl::InfinitePast());
  for (size_t i = 0; i < sinks_.size(); ++i) waits_.push_back(std::make_unique<Waiter>(clock_));
}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Count(const AlertSink& sink, const char* result) {
  absl::MutexLock lock(&mu_);
  ++counts_[{sink.name(), sink.kind(), result}];
}

absl::StatusOr<absl::Time> Dispatcher::Step(size_t index, absl::Time now) {
  const AlertSink& sink = *sinks_[index];
  auto head = store_->OutboxHead(sink.name());
  if (!head.ok()) return head.status();
  if (!head->has_value()) {
    const std::optional<absl::Duration> every = sink.refresh_interval();
    if (!every) return absl::InfiniteFuture();
    absl::Time due;
    {
      absl::MutexLock lock(&mu_);
      due = next_refresh_[index];
    }
    if (now < due) return due;
    // Only with an empty queue: a refresh must never overtake a queued resolve.
    for (const diagnoses::Alert& a :
         open_alerts_ ? open_alerts_() : std::vector<diagnoses::Alert>{}) {
      absl::StatusOr<HttpRequest> req = sink.Build(a, diagnoses::kActionTrigger, now);
      if (!req.ok()) continue;
      absl::StatusOr<HttpResponse> resp = http_->Post(*req);
      const bool ok = resp.ok() && resp->status / 100 == 2;
      Count(sink, ok ? kRefreshed : kRefreshFailed);
      if (!ok) {
        spdlog::warn("alert sink {}: refresh of {} failed: {}", sink.name(), a.key,
                     resp.ok() ? absl::StrCat("HTTP ", resp->status) : resp.status().ToString());
      }
    }
    absl::MutexLock lock(&mu_);
    next_refresh_[index] = now + *every;
    return next_refresh_[index];
  }
  const collector::OutboxRecord& o = **head;
  if (o.next_attempt > now) return o.next_attempt;

  auto drop = [&](const char* result, const std::string& why) -> absl::StatusOr<absl::Time> {
    spdlog::error("alert sink {}: {} {} for {} dropped after {} attempt(s): {}", sink.name(),
                  o.action, o.id, o.alert_key, o.attempts + 1, why);
    Count(sink, result);
    if (absl::Status s = store_->OutboxDone(o.id); !s.ok()) return s;
    return now;
  };
  absl::StatusOr<diagnoses::Alert> alert = diagnoses::AlertFromJson(o.alert_json);
  if (!alert.ok()) return drop(kRejected, alert.status().ToString());
  absl::StatusOr<HttpRequest> req = sink.Build(*alert, o.action, now);
  if (!req.ok()) return drop(kRejected, req.status().ToString());

  absl::StatusOr<HttpResponse> resp = http_->Post(*req);
  std::optional<absl::Duration> retry_after;
  std::string error;
  if (resp.ok() && resp->status / 100 == 2) {
    spdlog::info("alert sink {}: {} {} delivered (HTTP {}, attempt {}, {} after queued)",
                 sink.name(), o.action, o.alert_key, resp->status, o.attempts + 1,
                 absl::FormatDuration(now - o.created));
    Count(sink, kDelivered);
    if (absl::Status s = store_->OutboxDone(o.id); !s.ok()) return s;
    if (sink.refresh_interval()) {
      absl::MutexLock lock(&mu_);
      next_refresh_[index] = now + *sink.refresh_interval();
    }
    return now;
  }
  if (resp.ok()) {
    error = absl::StrCat("HTTP ", resp->status, ": ", Excerpt(resp->body));
    if (!Retriable(resp->status)) return drop(kRejected, error);
    retry_after = resp->retry_after;
    if (!retry_after && resp->retry_at) {
      retry_after = std::max(absl::ZeroDuration(), *resp->retry_at - now);
    }
  } else {
    error = resp.status().ToString();
  }
  const int attempts = o.attempts + 1;
  if (now - o.created >= options_.give_up_after) return drop(kGaveUp, error);
  const absl::Time next = now + RetryDelay(options_, attempts, retry_after);
  spdlog::warn("alert sink {}: {} {} attempt {} failed: {}; retrying in {}", sink.name(), o.action,
               o.alert_key, attempts, error, absl::FormatDuration(next - now));
  Count(sink, kRetried);
  if (absl::Status s = store_->OutboxRetryLater(o.id, attempts, next, error); !s.ok()) return s;
  return next;
}

void Dispatcher::Wake() {
  for (auto& w : waits_) w->Notify();
}

void Dispatcher::Start() {
  for (size_t i = 0; i < sinks_.size(); ++i) threads_.emplace_back([this, i] { Worker(i); });
}

void Dispatcher::Stop() {
  for (auto& w : waits_) w->Stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void Dispatcher::Worker(size_t index) {
  Waiter& wait = *waits_[index];
  while (!wait.stopped()) {
    const absl::Time now = clock_->Now();
    absl::StatusOr<absl::Time> next = Step(index, now);
    if (!next.ok()) {
      spdlog::error("alert sink {}: {}", sinks_[index]->name(), next.status().ToString());
      next = now + absl::Seconds(5);
    }
    if (*next <= now) continue;
    // At most a second at a time: the wall clock may be stepped, and the store may gain
    // entries from a keeper that had nobody to wake.
    if (wait.WaitUntil(std::min(*next, now + absl::Seconds(1))) == Waiter::Woke::kStopped) return;
  }
}

std::vector<std::string> Dispatcher::SinkNames() const {
  std::vector<std::string> out;
  for (const auto& s : sinks_) out.push_back(s->name());
  return out;
}

std::map<std::tuple<std::string, std::string, std::string>, int64_t> Dispatcher::Counts() const {
  absl::MutexLock lock(&mu_);
  return counts_;
}

}  // namespace kerbside::alerts
