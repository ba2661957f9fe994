#ifndef KERBSIDE_COLLECTOR_DIAGNOSES_DIAGNOSIS_KEEPER_H_
#define KERBSIDE_COLLECTOR_DIAGNOSES_DIAGNOSIS_KEEPER_H_

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "collector/correlator/diagnosis.h"
#include "collector/diagnoses/alert.h"
#include "collector/diagnoses/kept_diagnosis.h"
#include "collector/store/diagnosis_store.h"
#include "common/clock.h"
#include "common/waiter.h"

namespace kerbside::diagnoses {

struct KeeperOptions {
  // Debounce: evidence arrives in bursts (every agent, every source); correlate at most this
  // often however many notifications come in.
  absl::Duration min_interval = absl::Seconds(5);
  // Correlate at least this often without new evidence: hold timers mature and evidence ages
  // into staleness with time alone.
  absl::Duration recheck_interval = absl::Seconds(30);
  // Flapping guard: a diagnosis must hold this long before it pages, and be gone this long
  // before it resolves.
  absl::Duration hold = absl::Seconds(60);
  absl::Duration resolve_hold = absl::Seconds(60);
  // Resolved diagnoses are shown (and kept from re-firing as new) this long, then forgotten.
  absl::Duration keep_resolved = absl::Hours(24 * 7);
  // Each notification is queued once per sink (names as configured).
  std::vector<std::string> sinks;
};

// One correlation of the live fleet and what the alerts need beside it.
struct CorrelationRun {
  correlator::Diagnoses diagnoses;
  std::map<std::string, std::string> site_by_host;  // upper-case NetBIOS name -> AD site
};
using CorrelateFn = std::function<absl::StatusOr<CorrelationRun>(absl::Time now)>;

// Keeps each live diagnosis keyed by (cause, blamed host) with first seen, last changed and
// state, in the store, and queues alert notifications in the store's outbox in the same
// transaction, so a restart neither loses nor re-fires one. Thread-safe.
class DiagnosisKeeper {
 public:
  DiagnosisKeeper(collector::DiagnosisStore* store, const Clock* clock, KeeperOptions options,
                  CorrelateFn correlate);
  ~DiagnosisKeeper();
  DiagnosisKeeper(const DiagnosisKeeper&) = delete;
  DiagnosisKeeper& operator=(const DiagnosisKeeper&) = delete;

  // Reads what an earlier run kept.
  absl::Status Load();
  // Merges one correlation made at `now`: the state machine and the flapping guard.
  absl::Status Observe(const CorrelationRun& run, absl::Time now);
  // Correlates now (through the injected function and clock) and observes the result.
  absl::Status RunOnce();

  // Relevant evidence changed (a stored batch, a new clock estimate): correlate soon.
  void Notify();
  // Runs the debounced loop on a thread until Stop().
  void Start();
  void Stop();
  // Called after notifications were queued (the dispatcher wakes its sink workers).
  void SetOnQueued(std::function<void()> on_queued);

  std::vector<KeptDiagnosis> Kept() const;
  // When the next hold runs out (a pending diagnosis may page, a clearing one resolve), on the
  // injected clock; nullopt when none is running. The loop wakes then, so paging happens at
  // first seen + hold, not at the next evidence or recheck.
  std::optional<absl::Time> NextHoldExpiry() const;
  int64_t runs() const;
  int64_t failed_runs() const;

 private:
  using Key = std::pair<std::string, std::string>;  // (cause, blamed host)
  struct Changes;
  void Loop();
  // When the loop runs next, after a run at `last_run`: min_interval after it while evidence
  // keeps changing, recheck_interval without, sooner when a hold runs out.
  absl::Time NextRunAt(absl::Time last_run, absl::Time now) const;
  // Observe's steps, under mu_. A current diagnosis as `alert` (its labels and content now)
  // over `queue_ids`, continuing the kept `from` when not null:
  void ObserveSeen(const Key& key, Alert alert, const std::set<std::string>& queue_ids, bool pages,
                   const Key* from, absl::Time now, Changes& changes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Then every kept one that is not in `seen` (current or continued):
  void ObserveAbsent(const std::set<Key>& seen, absl::Time now, Changes& changes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // `a` queued for every sink.
  void Queue(const Alert& a, const char* action, absl::Time now, Changes& changes) const;
  Holds HoldTimes() const;

  collector::DiagnosisStore* store_;
  const Clock* clock_;
  const KeeperOptions options_;
  CorrelateFn correlate_;
  std::function<void()> on_queued_;

  mutable absl::Mutex mu_;
  // By (cause, blamed host).
  std::map<Key, KeptDiagnosis> kept_ ABSL_GUARDED_BY(mu_);
  int64_t runs_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t failed_runs_ ABSL_GUARDED_BY(mu_) = 0;

  // The loop: debounced on the keeper's clock (Loop, NextRunAt).
  Waiter wake_{clock_};
  std::atomic<bool> dirty_{true};  // evidence changed since the last run
  std::thread thread_;
};

}  // namespace kerbside::diagnoses

#endif  // KERBSIDE_COLLECTOR_DIAGNOSES_DIAGNOSIS_KEEPER_H_
