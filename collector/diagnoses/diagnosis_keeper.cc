#include "collector/diagnoses/diagnosis_keeper.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/correlator/causes.h"
#include "common/json_text.h"
#include "spdlog/spdlog.h"

namespace kerbside::diagnoses {
namespace {

using collector::KeptDiagnosisRecord;
using collector::OutboxRecord;
using Key = std::pair<std::string, std::string>;  // (cause, blamed host)

struct Current {
  Alert alert;
  std::set<std::string> queue_ids;
  bool pages = true;
};

std::string Severity(const correlator::CauseResult& top) {
  // "possible" means only the pattern points there: worth a look, not a 3 a.m. page.
  if (top.cause == correlator::kUnexplained) return "warning";
  return top.confidence == correlator::Confidence::kPossible ? "warning" : "critical";
}

std::string QueueLine(const correlator::QueueRef& q) {
  return absl::StrCat(q.identity, " (", q.sender, " -> ", q.target, ", ", q.message_count,
                      " messages, ", q.status, ")");
}

void AddUnique(std::vector<std::string>& into, const std::vector<std::string>& from) {
  for (const std::string& s : from) {
    if (std::find(into.begin(), into.end(), s) == into.end()) into.push_back(s);
  }
}

std::map<Key, Current> CurrentDiagnoses(const CorrelationRun& run) {
  std::map<Key, Current> out;
  for (const correlator::Diagnosis& d : run.diagnoses.diagnoses) {
    if (d.causes.empty()) continue;
    const correlator::CauseResult& top = d.causes.front();
    const Key key{top.cause, d.blamed_host};
    auto [it, inserted] = out.try_emplace(key);
    Current& c = it->second;
    std::vector<std::string> queues;
    for (const correlator::QueueRef& q : d.queues) {
      queues.push_back(QueueLine(q));
      c.queue_ids.insert(absl::StrCat(q.sender, "|", q.identity));
    }
    if (!inserted) {
      // Two unexplained groups on one host are one alert: list every queue.
      AddUnique(c.alert.queues, queues);
      AddUnique(c.alert.senders, d.senders);
      AddUnique(c.alert.targets, d.targets);
      continue;
    }
    Alert& a = c.alert;
    a.cause = top.cause;
    a.blamed_host = d.blamed_host;
    auto site = run.site_by_host.find(d.blamed_host);
    a.site = site != run.site_by_host.end() ? site->second : "";
    a.severity = Severity(top);
    a.confidence = correlator::ConfidenceName(top.confidence);
    a.summary = d.sentence;
    a.fix = absl::StrJoin(top.remediation, "\n");
    a.queues = std::move(queues);
    a.senders = d.senders;
    a.targets = d.targets;
    a.pattern = d.pattern;
    // Queues stuck for reasons outside KB 979174 are shown, not paged: another team's alert.
    c.pages = correlator::CauseFor(top.cause).pages;
  }
  return out;
}

// Which open kept diagnosis each current one continues: the same key, else (a changed cause on
// the same group) an open one whose cause is gone and that explains some of its queues. Pure.
std::map<Key, Key> MatchToKept(const std::map<Key, Current>& current,
                               const std::map<Key, KeptDiagnosis>& kept) {
  std::map<Key, Key> continues;
  std::set<Key> taken;
  for (const auto& [key, cur] : current) {
    auto it = kept.find(key);
    if (it != kept.end() && it->second.open()) {
      continues[key] = key;
      taken.insert(key);
    }
  }
  for (const auto& [key, cur] : current) {
    if (continues.count(key)) continue;
    for (const auto& [kkey, k] : kept) {
      if (!k.open() || taken.count(kkey) || current.count(kkey)) continue;
      const bool overlaps =
          std::any_of(k.queue_ids.begin(), k.queue_ids.end(),
                      [&](const std::string& q) { return cur.queue_ids.count(q); });
      if (!overlaps) continue;
      continues[key] = kkey;
      taken.insert(kkey);
      break;
    }
  }
  return continues;
}

// The labels `alert` carried before, as its former list: carried over from what it said when it
// was `from_key` (the same key, or the key of the group before its cause changed). True when the
// labels changed under the same cause and host (the confidence rose to confirmed, the site
// became known): to Alertmanager a new alert, so the old one is ended and the receivers told.
bool CarryFormerLabels(const KeptDiagnosis& from, const Key& from_key, const Key& key,
                       Alert& alert) {
  const bool readable = !from.unreadable_detail.has_value();
  if (readable) alert.former = from.alert.former;
  bool relabelled = false;
  if (from_key != key) {
    if (from_key.first != key.first) alert.previous_cause = from_key.first;
    alert.former.push_back({from_key.first, from_key.second,
                            readable ? from.alert.site : std::string(),
                            readable ? from.alert.severity : std::string("critical")});
  } else if (readable && (from.alert.severity != alert.severity || from.alert.site != alert.site)) {
    alert.former.push_back(
        {from.alert.cause, from.alert.blamed_host, from.alert.site, from.alert.severity});
    relabelled = true;
  }
  // Back to earlier labels: they are current again, not former.
  std::vector<Alert::Former> unique;
  for (const Alert::Former& f : alert.former) {
    if (f == Alert::Former{alert.cause, alert.blamed_host, alert.site, alert.severity}) continue;
    if (std::find(unique.begin(), unique.end(), f) == unique.end()) unique.push_back(f);
  }
  alert.former = std::move(unique);
  return relabelled;
}

void Apply(const Step& step, absl::Time now, KeptDiagnosis& k) {
  if (step.next != DiagnosisState::kClearing) k.absent_since.reset();
  if (step.absence_starts) k.absent_since = now;
  k.state = step.next;
  k.paged = step.paged;
  if (step.changed) k.last_changed = now;
}

}  // namespace

DiagnosisKeeper::DiagnosisKeeper(collector::DiagnosisStore* store, const Clock* clock,
                                 KeeperOptions options, CorrelateFn correlate)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      correlate_(std::move(correlate)) {}

DiagnosisKeeper::~DiagnosisKeeper() { Stop(); }

void DiagnosisKeeper::SetOnQueued(std::function<void()> on_queued) {
  on_queued_ = std::move(on_queued);
}

absl::Status DiagnosisKeeper::Load() {
  auto rows = store_->LoadKeptDiagnoses();
  if (!rows.ok()) return rows.status();
  absl::MutexLock lock(&mu_);
  kept_.clear();
  for (const KeptDiagnosisRecord& r : *rows) {
    absl::StatusOr<KeptDiagnosis> k = KeptFromRecord(r);
    if (!k.ok()) {
      // One damaged row must not stop the keeper (nor the collector): it is left as it is.
      spdlog::error("diagnosis keeper: {}; row skipped", k.status().ToString());
      continue;
    }
    if (k->unreadable_detail) {
      spdlog::error(
          "diagnosis keeper: kept diagnosis {}/{}: detail does not parse; it is tracked "
          "but its alert cannot be resolved at the receivers",
          r.cause, r.blamed_host);
    }
    kept_[Key{k->cause, k->blamed_host}] = std::move(*k);
  }
  return absl::OkStatus();
}

// What one Observe writes in one store transaction.
struct DiagnosisKeeper::Changes {
  std::vector<KeptDiagnosisRecord> upserts;
  std::vector<Key> deleted;
  std::vector<OutboxRecord> queued;
};

absl::Status DiagnosisKeeper::Observe(const CorrelationRun& run, absl::Time now) {
  std::map<Key, Current> current = CurrentDiagnoses(run);
  Changes changes;
  absl::MutexLock lock(&mu_);
  const auto before = kept_;  // restored when the store refuses the change
  const std::map<Key, Key> continues = MatchToKept(current, kept_);
  std::set<Key> seen;
  for (auto& [key, cur] : current) {
    auto from = continues.find(key);
    ObserveSeen(key, std::move(cur.alert), cur.queue_ids, cur.pages,
                from != continues.end() ? &from->second : nullptr, now, changes);
    seen.insert(key);
    if (from != continues.end()) seen.insert(from->second);
  }
  ObserveAbsent(seen, now, changes);

  if (absl::Status s = store_->CommitDiagnoses(changes.upserts, changes.deleted, changes.queued);
      !s.ok()) {
    kept_ = before;
    return s;
  }
  for (const OutboxRecord& o : changes.queued) {
    spdlog::info("alert {} {} queued for sink {}", o.alert_key, o.action, o.sink);
  }
  if (!changes.queued.empty() && on_queued_) on_queued_();
  return absl::OkStatus();
}

void DiagnosisKeeper::ObserveSeen(const Key& key, Alert alert,
                                  const std::set<std::string>& queue_ids, bool pages,
                                  const Key* from, absl::Time now, Changes& changes) {
  KeptDiagnosis k;
  bool material = true;
  if (from != nullptr) {
    k = kept_[*from];
    const bool renamed = *from != key;
    material = renamed || k.queue_ids != queue_ids;
    if (renamed) {
      spdlog::info("diagnosis {}/{} is now {}/{} (same queues): updating alert {}", from->first,
                   from->second, key.first, key.second, k.alert_key);
      changes.deleted.push_back(*from);
      kept_.erase(*from);
    }
  } else {
    k.alert_key = absl::StrCat(key.first, "/", key.second);
    k.state = DiagnosisState::kPending;
    k.first_seen = now;
  }
  k.cause = key.first;
  k.blamed_host = key.second;
  k.last_seen = now;
  alert.key = k.alert_key;
  if (from != nullptr) material |= CarryFormerLabels(k, *from, key, alert);
  alert.starts_at = k.first_seen;
  const Step step = WhenSeen(k, pages, material, now, HoldTimes());
  Apply(step, now, k);
  alert.changed_at = k.last_changed;
  if (step.notify) Queue(alert, kActionTrigger, now, changes);
  k.alert = std::move(alert);
  k.queue_ids = queue_ids;
  k.unreadable_detail.reset();
  changes.upserts.push_back(KeptToRecord(k));
  kept_[key] = std::move(k);
}

void DiagnosisKeeper::ObserveAbsent(const std::set<Key>& seen, absl::Time now, Changes& changes) {
  for (auto it = kept_.begin(); it != kept_.end();) {
    KeptDiagnosis& k = it->second;
    if (seen.count(it->first)) {
      ++it;
      continue;
    }
    const Step step = WhenAbsent(k, now, HoldTimes());
    if (step.forget) {
      changes.deleted.push_back(it->first);
      it = kept_.erase(it);
      continue;
    }
    const bool was_resolved = !k.open();
    Apply(step, now, k);
    if (step.notify) {
      if (k.unreadable_detail) {
        spdlog::error("cannot resolve alert {}: its kept detail does not parse", k.alert_key);
      } else {
        k.alert.changed_at = now;
        k.alert.ends_at = now;
        Queue(k.alert, kActionResolve, now, changes);
      }
    }
    if (!was_resolved) changes.upserts.push_back(KeptToRecord(k));
    ++it;
  }
}

void DiagnosisKeeper::Queue(const Alert& a, const char* action, absl::Time now,
                            Changes& changes) const {
  const std::string json = kerbside::JsonText(AlertToJson(a));
  for (const std::string& sink : options_.sinks) {
    OutboxRecord o;
    o.sink = sink;
    o.alert_key = a.key;
    o.action = action;
    o.alert_json = json;
    o.created = now;
    o.next_attempt = now;
    changes.queued.push_back(std::move(o));
  }
}

Holds DiagnosisKeeper::HoldTimes() const {
  return {.hold = options_.hold,
          .resolve_hold = options_.resolve_hold,
          .keep_resolved = options_.keep_resolved};
}

absl::Status DiagnosisKeeper::RunOnce() {
  const absl::Time now = clock_->Now();
  absl::StatusOr<CorrelationRun> run = correlate_(now);
  absl::Status s = run.ok() ? Observe(*run, now) : run.status();
  absl::MutexLock lock(&mu_);
  ++runs_;
  if (!s.ok()) ++failed_runs_;
  return s;
}

void DiagnosisKeeper::Notify() {
  // Only the first change since the last run moves the next run (to the debounce); waking the
  // keeper for every batch after it cost a thread switch per batch while a fleet ingests
  // (issue 17). Stays correct across a run: the run clears dirty_ first, so a change during it
  // wakes the keeper again.
  if (!dirty_.exchange(true)) wake_.Notify();
}

void DiagnosisKeeper::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void DiagnosisKeeper::Stop() {
  wake_.Stop();
  if (thread_.joinable()) thread_.join();
}

std::optional<absl::Time> DiagnosisKeeper::NextHoldExpiry() const {
  absl::MutexLock lock(&mu_);
  std::optional<absl::Time> next;
  auto consider = [&](absl::Time t) {
    if (!next || t < *next) next = t;
  };
  for (const auto& [key, k] : kept_) {
    if (k.state == DiagnosisState::kPending) consider(k.first_seen + options_.hold);
    if (k.state == DiagnosisState::kClearing && k.absent_since) {
      consider(*k.absent_since + options_.resolve_hold);
    }
  }
  return next;
}

absl::Time DiagnosisKeeper::NextRunAt(absl::Time last_run, absl::Time now) const {
  // The last run seems to lie ahead: the clock was stepped back. Due now, rather than stalled.
  if (last_run > now) return now;
  absl::Time due = last_run + (dirty_ ? options_.min_interval : options_.recheck_interval);
  // A hold that runs out pages (or resolves) then, not at the next evidence or recheck; one at
  // or before the last run was handled by it (no spin on one that stays).
  if (const std::optional<absl::Time> hold = NextHoldExpiry(); hold && *hold > last_run) {
    due = std::min(due, *hold);
  }
  return due;
}

void DiagnosisKeeper::Loop() {
  absl::Time last_run = absl::InfinitePast();
  while (!wake_.stopped()) {
    const absl::Time now = clock_->Now();
    const absl::Time due = NextRunAt(last_run, now);
    if (now < due) {
      // Woken early by Notify() (evidence changed: the debounce may now end sooner) or Stop().
      if (wake_.WaitUntil(due) == Waiter::Woke::kStopped) return;
      continue;
    }
    dirty_ = false;
    last_run = now;
    if (absl::Status s = RunOnce(); !s.ok()) {
      spdlog::error("diagnosis keeper: {}", s.ToString());
    }
  }
}

std::vector<KeptDiagnosis> DiagnosisKeeper::Kept() const {
  absl::MutexLock lock(&mu_);
  std::vector<KeptDiagnosis> out;
  for (const auto& [key, k] : kept_) out.push_back(k);
  return out;
}

int64_t DiagnosisKeeper::runs() const {
  absl::MutexLock lock(&mu_);
  return runs_;
}

int64_t DiagnosisKeeper::failed_runs() const {
  absl::MutexLock lock(&mu_);
  return failed_runs_;
}

}  // namespace kerbside::diagnoses
