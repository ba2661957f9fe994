#include "collector/diagnoses/kept_diagnosis.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/json_text.h"
#include "nlohmann/json.hpp"

namespace kerbside::diagnoses {

absl::string_view DiagnosisStateName(DiagnosisState state) {
  switch (state) {
    case DiagnosisState::kPending:
      return "pending";
    case DiagnosisState::kActive:
      return "active";
    case DiagnosisState::kClearing:
      return "clearing";
    case DiagnosisState::kResolved:
      return "resolved";
  }
  return "unknown";
}

std::optional<DiagnosisState> ParseDiagnosisState(absl::string_view name) {
  for (DiagnosisState s : kDiagnosisStates) {
    if (DiagnosisStateName(s) == name) return s;
  }
  return std::nullopt;
}

absl::StatusOr<KeptDiagnosis> KeptFromRecord(const collector::KeptDiagnosisRecord& r) {
  const std::optional<DiagnosisState> state = ParseDiagnosisState(r.state);
  if (!state) {
    return absl::DataLossError(absl::StrCat("kept diagnosis ", r.cause, "/", r.blamed_host,
                                            ": state '", r.state, "' is not one of ours"));
  }
  KeptDiagnosis k;
  k.cause = r.cause;
  k.blamed_host = r.blamed_host;
  k.alert_key = r.alert_key;
  k.state = *state;
  k.first_seen = r.first_seen;
  k.last_changed = r.last_changed;
  k.last_seen = r.last_seen;
  k.absent_since = r.absent_since;
  k.paged = r.paged;
  const nlohmann::json j = nlohmann::json::parse(r.detail_json, nullptr, false);
  absl::StatusOr<Alert> alert = absl::DataLossError("no alert");
  if (!j.is_discarded() && j.is_object() && j.contains("alert")) {
    alert = AlertFromJson(kerbside::JsonText(j["alert"]));
  }
  if (!alert.ok()) {
    k.unreadable_detail = r.detail_json;
    return k;
  }
  k.alert = std::move(*alert);
  if (j.contains("queue_ids") && j["queue_ids"].is_array()) {
    for (const auto& q : j["queue_ids"]) {
      if (q.is_string()) k.queue_ids.insert(q.get<std::string>());
    }
  }
  return k;
}

collector::KeptDiagnosisRecord KeptToRecord(const KeptDiagnosis& k) {
  collector::KeptDiagnosisRecord r;
  r.cause = k.cause;
  r.blamed_host = k.blamed_host;
  r.alert_key = k.alert_key;
  r.state = std::string(DiagnosisStateName(k.state));
  r.first_seen = k.first_seen;
  r.last_changed = k.last_changed;
  r.last_seen = k.last_seen;
  r.absent_since = k.absent_since;
  r.paged = k.paged;
  if (k.unreadable_detail) {
    r.detail_json = *k.unreadable_detail;
  } else {
    nlohmann::ordered_json j;
    j["alert"] = AlertToJson(k.alert);
    j["queue_ids"] = std::vector<std::string>(k.queue_ids.begin(), k.queue_ids.end());
    r.detail_json = kerbside::JsonText(j);
  }
  return r;
}

Step WhenSeen(const KeptDiagnosis& k, bool pages, bool material, absl::Time now,
              const Holds& holds) {
  Step s{.next = k.state, .changed = material, .paged = k.paged};
  if (s.next == DiagnosisState::kClearing) {
    // Back before the resolve hold ran out: the open alert simply stays open, no page.
    s.next = DiagnosisState::kActive;
    s.changed = true;
  }
  if (s.next == DiagnosisState::kPending && now - k.first_seen >= holds.hold) {
    s.next = DiagnosisState::kActive;
    s.paged = pages;
    s.changed = true;
    s.notify = pages;
  } else if (s.next == DiagnosisState::kActive && pages && !s.paged) {
    // Held past the hold as a cause that does not page (out_of_scope: a peer refusing
    // connections while it restarts) and now one that does: page now, the hold is long over.
    s.paged = true;
    s.changed = true;
    s.notify = true;
  } else if (s.next == DiagnosisState::kActive && material && s.paged) {
    s.notify = pages;  // same alert identity, new content: an update, not a second alert
  }
  return s;
}

Step WhenAbsent(const KeptDiagnosis& k, absl::Time now, const Holds& holds) {
  Step s{.next = k.state, .paged = k.paged};
  switch (k.state) {
    case DiagnosisState::kResolved:
      s.forget = now - k.last_changed > holds.keep_resolved;
      return s;
    case DiagnosisState::kPending:
      // Gone before it held: the flapping guard swallowed it, nobody was paged.
      s.next = DiagnosisState::kResolved;
      s.changed = true;
      return s;
    case DiagnosisState::kActive:
      s.next = DiagnosisState::kClearing;
      s.changed = true;
      s.absence_starts = true;
      break;
    case DiagnosisState::kClearing:
      break;
  }
  const absl::Time absent_since = s.absence_starts ? now : k.absent_since.value_or(now);
  if (now - absent_since >= holds.resolve_hold) {
    s.next = DiagnosisState::kResolved;
    s.changed = true;
    s.notify = k.paged;
  }
  return s;
}

}  // namespace kerbside::diagnoses
