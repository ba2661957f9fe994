#include "collector/diagnoses/diagnosis_keeper.h"

#include <algorithm>
#include <chrono>
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

std::string Detail(const Alert& a, const std::set<std::string>& queue_ids) {
  nlohmann::ordered_json j;
  j["alert"] = AlertToJson(a);
  j["queue_ids"] = std::vector<std::string>(queue_ids.begin(), queue_ids.end());
  return kerbside::JsonText(j);
}

bool Open(const KeptDiagnosisRecord& k) { return k.state != kStateResolved; }

}  // namespace

std::vector<std::string> QueueIdsOf(const KeptDiagnosisRecord& k) {
  const nlohmann::json j = nlohmann::json::parse(k.detail_json, nullptr, false);
  if (j.is_discarded() || !j.contains("queue_ids") || !j["queue_ids"].is_array()) return {};
  std::vector<std::string> out;
  for (const auto& q : j["queue_ids"]) {
    if (q.is_string()) out.push_back(q.get<std::string>());
  }
  return out;
}

absl::StatusOr<Alert> AlertOf(const KeptDiagnosisRecord& k) {
  const nlohmann::json j = nlohmann::json::parse(k.detail_json, nullptr, false);
  if (j.is_discarded() || !j.contains("alert")) {
    return absl::DataLossError(
        absl::StrCat("kept diagnosis ", k.cause, "/", k.blamed_host, ": detail does not parse"));
  }
  return AlertFromJson(kerbside::JsonText(j["alert"]));
}

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
  for (KeptDiagnosisRecord& k : *rows) {
    Key key{k.cause, k.blamed_host};
    kept_[key] = std::move(k);
  }
  return absl::OkStatus();
}

absl::Status DiagnosisKeeper::Observe(const CorrelationRun& run, absl::Time now) {
  std::map<Key, Current> current = CurrentDiagnoses(run);
  std::vector<KeptDiagnosisRecord> upserts;
  std::vector<Key> deleted;
  std::vector<OutboxRecord> queued;
  auto queue = [&](const Alert& a, const char* action, bool pages) {
    if (!pages) return;
    const std::string json = kerbside::JsonText(AlertToJson(a));
    for (const std::string& sink : options_.sinks) {
      OutboxRecord o;
      o.sink = sink;
      o.alert_key = a.key;
      o.action = action;
      o.alert_json = json;
      o.created = now;
      o.next_attempt = now;
      queued.push_back(std::move(o));
    }
  };

  absl::MutexLock lock(&mu_);
  const auto before = kept_;  // restored when the store refuses the change

  // Which open kept diagnosis each current one continues: the same key, else (a changed cause
  // on the same group) an open one whose cause is gone and that explains some of its queues.
  std::map<Key, Key> continues;
  std::set<Key> taken;
  for (const auto& [key, cur] : current) {
    auto it = kept_.find(key);
    if (it != kept_.end() && Open(it->second)) {
      continues[key] = key;
      taken.insert(key);
    }
  }
  for (const auto& [key, cur] : current) {
    if (continues.count(key)) continue;
    for (const auto& [kkey, k] : kept_) {
      if (!Open(k) || taken.count(kkey) || current.count(kkey)) continue;
      bool overlaps = false;
      for (const std::string& q : QueueIdsOf(k)) overlaps |= cur.queue_ids.count(q) > 0;
      if (!overlaps) continue;
      continues[key] = kkey;
      taken.insert(kkey);
      break;
    }
  }

  for (auto& [key, cur] : current) {
    KeptDiagnosisRecord rec;
    bool material = false;
    auto from = continues.find(key);
    if (from != continues.end()) {
      rec = kept_[from->second];
      const std::vector<std::string> old_ids = QueueIdsOf(rec);
      const bool renamed = from->second != key;
      material = renamed || std::set<std::string>(old_ids.begin(), old_ids.end()) != cur.queue_ids;
      if (renamed) {
        spdlog::info("diagnosis {}/{} is now {}/{} (same queues): updating alert {}",
                     from->second.first, from->second.second, key.first, key.second, rec.alert_key);
        deleted.push_back(from->second);
        kept_.erase(from->second);
      }
      if (rec.state == kStateClearing) {
        // Back before the resolve hold ran out: the open alert simply stays open, no page.
        rec.state = kStateActive;
        rec.absent_since.reset();
        rec.last_changed = now;
      }
    } else {
      rec.alert_key = absl::StrCat(key.first, "/", key.second);
      rec.state = kStatePending;
      rec.first_seen = now;
      material = true;
    }
    rec.cause = key.first;
    rec.blamed_host = key.second;
    rec.last_seen = now;
    if (material) rec.last_changed = now;
    Alert& a = cur.alert;
    a.key = rec.alert_key;
    if (from != continues.end()) {
      // Carried over from what the alert said before; a renamed group adds its old labels.
      auto before = AlertOf(rec);
      if (before.ok()) a.former = before->former;
      if (from->second != key) {
        if (from->second.first != key.first) a.previous_cause = from->second.first;
        a.former.push_back({from->second.first, from->second.second,
                            before.ok() ? before->site : std::string(),
                            before.ok() ? before->severity : std::string("critical")});
      } else if (before.ok() && (before->severity != a.severity || before->site != a.site)) {
        // Same cause and host, other labels (the confidence rose to confirmed, the site became
        // known): to Alertmanager a new alert, so the old one is ended and the receivers told.
        a.former.push_back({before->cause, before->blamed_host, before->site, before->severity});
        material = true;
        rec.last_changed = now;
      }
      // Back to earlier labels: they are current again, not former.
      std::vector<Alert::Former> unique;
      for (const Alert::Former& f : a.former) {
        if (f == Alert::Former{a.cause, a.blamed_host, a.site, a.severity}) continue;
        if (std::find(unique.begin(), unique.end(), f) == unique.end()) unique.push_back(f);
      }
      a.former = std::move(unique);
    }
    a.starts_at = rec.first_seen;
    bool page = false;
    if (rec.state == kStatePending && now - rec.first_seen >= options_.hold) {
      rec.state = kStateActive;
      rec.paged = cur.pages;
      rec.last_changed = now;
      page = true;
    } else if (rec.state == kStateActive && cur.pages && !rec.paged) {
      // Held past the hold as a cause that does not page (out_of_scope: a peer refusing
      // connections while it restarts) and now one that does: page now, the hold is long over.
      rec.paged = true;
      rec.last_changed = now;
      page = true;
    } else if (rec.state == kStateActive && material && rec.paged) {
      page = true;  // same alert identity, new content: an update, not a second alert
    }
    a.changed_at = rec.last_changed;
    if (page) queue(a, kActionTrigger, cur.pages);
    rec.detail_json = Detail(a, cur.queue_ids);
    upserts.push_back(rec);
    kept_[key] = std::move(rec);
  }

  for (auto it = kept_.begin(); it != kept_.end();) {
    KeptDiagnosisRecord& k = it->second;
    const Key key = it->first;
    if (current.count(key) || taken.count(key)) {
      ++it;
      continue;
    }
    if (k.state == kStateResolved) {
      if (now - k.last_changed > options_.keep_resolved) {
        deleted.push_back(key);
        it = kept_.erase(it);
      } else {
        ++it;
      }
      continue;
    }
    if (k.state == kStatePending) {
      // Gone before it held: the flapping guard swallowed it, nobody was paged.
      k.state = kStateResolved;
      k.last_changed = now;
    } else if (k.state == kStateActive) {
      k.state = kStateClearing;
      k.absent_since = now;
      k.last_changed = now;
    }
    if (k.state == kStateClearing && now - *k.absent_since >= options_.resolve_hold) {
      k.state = kStateResolved;
      k.last_changed = now;
      if (k.paged) {
        auto a = AlertOf(k);
        if (a.ok()) {
          a->changed_at = now;
          a->ends_at = now;
          queue(*a, kActionResolve, true);
        } else {
          spdlog::error("cannot resolve alert {}: {}", k.alert_key, a.status().ToString());
        }
      }
    }
    upserts.push_back(k);
    ++it;
  }

  absl::Status s = store_->CommitDiagnoses(upserts, deleted, queued);
  if (!s.ok()) {
    kept_ = before;
    return s;
  }
  for (const OutboxRecord& o : queued) {
    spdlog::info("alert {} {} queued for sink {}", o.alert_key, o.action, o.sink);
  }
  if (!queued.empty() && on_queued_) on_queued_();
  return absl::OkStatus();
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
  absl::MutexLock lock(&loop_mu_);
  dirty_ = true;
}

void DiagnosisKeeper::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void DiagnosisKeeper::Stop() {
  {
    absl::MutexLock lock(&loop_mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

namespace {
struct WakeArgs {
  const bool* stopping;
  const bool* dirty;
  bool was_dirty;
};
bool ShouldWake(WakeArgs* a) { return *a->stopping || (*a->dirty && !a->was_dirty); }
}  // namespace

std::optional<absl::Time> DiagnosisKeeper::NextHoldExpiry() const {
  absl::MutexLock lock(&mu_);
  std::optional<absl::Time> next;
  auto consider = [&](absl::Time t) {
    if (!next || t < *next) next = t;
  };
  for (const auto& [key, k] : kept_) {
    if (k.state == kStatePending) consider(k.first_seen + options_.hold);
    if (k.state == kStateClearing && k.absent_since) {
      consider(*k.absent_since + options_.resolve_hold);
    }
  }
  return next;
}

void DiagnosisKeeper::Loop() {
  // Scheduling uses the monotonic clock (waiting, not timestamps): a stepped wall clock must
  // neither stall nor rush the correlator. Hold expiries are times on the injected clock; the
  // wait until one is measured on that clock when the wait starts.
  using Steady = std::chrono::steady_clock;
  auto last_run = Steady::now() - std::chrono::hours(1);
  // A hold expiry at or before the last run was handled by it (no spin on one that stays).
  absl::Time last_run_time = absl::InfinitePast();
  auto since_last_run = [&] {
    return absl::Nanoseconds(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now() - last_run).count());
  };
  while (true) {
    {
      absl::MutexLock lock(&loop_mu_);
      while (!stopping_) {
        const absl::Duration since = since_last_run();
        if (dirty_ && since >= options_.min_interval) break;
        if (since >= options_.recheck_interval) break;
        absl::Duration wait = (dirty_ ? options_.min_interval : options_.recheck_interval) - since;
        loop_mu_.Unlock();  // NextHoldExpiry takes mu_; never both at once
        const std::optional<absl::Time> due = NextHoldExpiry();
        const absl::Time now = clock_->Now();
        loop_mu_.Lock();
        if (due && *due > last_run_time) {
          if (*due <= now) break;
          wait = std::min(wait, *due - now);
        }
        // Wakes early on Stop() or on the first Notify(); the loop recomputes the wait.
        WakeArgs args{&stopping_, &dirty_, dirty_};
        loop_mu_.AwaitWithTimeout(absl::Condition(&ShouldWake, &args), wait);
      }
      if (stopping_) return;
      dirty_ = false;
    }
    last_run = Steady::now();
    last_run_time = clock_->Now();
    if (absl::Status s = RunOnce(); !s.ok()) {
      spdlog::error("diagnosis keeper: {}", s.ToString());
    }
  }
}

std::vector<KeptDiagnosisRecord> DiagnosisKeeper::Kept() const {
  absl::MutexLock lock(&mu_);
  std::vector<KeptDiagnosisRecord> out;
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
