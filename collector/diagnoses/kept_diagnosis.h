#ifndef KERBSIDE_COLLECTOR_DIAGNOSES_KEPT_DIAGNOSIS_H_
#define KERBSIDE_COLLECTOR_DIAGNOSES_KEPT_DIAGNOSIS_H_

#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "collector/diagnoses/alert.h"
#include "collector/store/records.h"

namespace kerbside::diagnoses {

// Where a kept diagnosis is in its life. Stored by name (DiagnosisStateName).
enum class DiagnosisState {
  kPending,   // seen, not held long enough to page
  kActive,    // held: paged when its cause pages
  kClearing,  // gone, not gone long enough to resolve
  kResolved,  // shown (and kept from re-firing as new) for a while, then forgotten
};
inline constexpr DiagnosisState kDiagnosisStates[] = {
    DiagnosisState::kPending, DiagnosisState::kActive, DiagnosisState::kClearing,
    DiagnosisState::kResolved};
// "pending", "active", "clearing", "resolved".
absl::string_view DiagnosisStateName(DiagnosisState state);
std::optional<DiagnosisState> ParseDiagnosisState(absl::string_view name);

// A kept diagnosis as the keeper works with it: the stored record typed, its detail parsed once
// (on load) and written once (on commit).
struct KeptDiagnosis {
  std::string cause;
  std::string blamed_host;
  std::string alert_key;  // the alert's identity; survives a change of cause on the same group
  DiagnosisState state = DiagnosisState::kPending;
  absl::Time first_seen;
  absl::Time last_changed;
  absl::Time last_seen;
  std::optional<absl::Time> absent_since;  // clearing: since when the correlator lost it
  bool paged = false;
  Alert alert;                      // what the alert says (said, once it is gone)
  std::set<std::string> queue_ids;  // the group's queues, "sender|queue identity"
  // A stored detail that does not parse (a damaged row), written back unchanged: the alert's
  // labels are unknown, so it cannot be resolved at the receivers, only tracked.
  std::optional<std::string> unreadable_detail;

  bool open() const { return state != DiagnosisState::kResolved; }
};

// Errors name the row (cause/blamed host) when its state is not one of ours. A detail that
// does not parse is kept as `unreadable_detail`, not an error: the row still tracks its group.
absl::StatusOr<KeptDiagnosis> KeptFromRecord(const collector::KeptDiagnosisRecord& record);
collector::KeptDiagnosisRecord KeptToRecord(const KeptDiagnosis& kept);

// The flapping guard's times.
struct Holds {
  absl::Duration hold;           // seen this long before it pages
  absl::Duration resolve_hold;   // gone this long before it resolves
  absl::Duration keep_resolved;  // resolved ones are forgotten after this
};

// What one correlation at `now` does to a kept diagnosis. Pure.
struct Step {
  DiagnosisState next;
  bool changed = false;  // last_changed becomes now
  bool paged = false;    // the record's paged flag after the step
  // Seen: a trigger (new, or an update of a paged alert) for the sinks. Absent: a resolve.
  bool notify = false;
  bool absence_starts = false;  // absent_since becomes now
  bool forget = false;          // absent and resolved long enough: drop the row
};
// `kept` was found again. `pages`: its cause pages now; `material`: its queues, cause or
// labels changed since it was last written.
Step WhenSeen(const KeptDiagnosis& kept, bool pages, bool material, absl::Time now,
              const Holds& holds);
// `kept` was not found.
Step WhenAbsent(const KeptDiagnosis& kept, absl::Time now, const Holds& holds);

}  // namespace kerbside::diagnoses

#endif  // KERBSIDE_COLLECTOR_DIAGNOSES_KEPT_DIAGNOSIS_H_
