#ifndef KERBSIDE_COLLECTOR_DIAGNOSES_ALERT_H_
#define KERBSIDE_COLLECTOR_DIAGNOSES_ALERT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace kerbside::diagnoses {

// What every alert sink is told about one diagnosis group. A snapshot of it travels through the
// outbox as JSON, so a notification queued before a restart says what was true when it was
// queued.
struct Alert {
  std::string key;  // stable identity: "<cause it opened with>/<blamed host>"
  std::string cause;
  std::string blamed_host;
  std::string site;
  std::string severity;    // critical | warning
  std::string confidence;  // confirmed | likely | possible
  std::string summary;     // the diagnosis' sentence
  std::string fix;         // the KB step(s) with the real names
  std::vector<std::string> queues;
  std::vector<std::string> senders;
  std::vector<std::string> targets;
  std::string pattern;
  // Set on the update that replaced one cause by another on the same group: receivers that
  // key alerts by their labels (Alertmanager) end the old one.
  std::string previous_cause;
  // Every label set (cause, blamed host, site, severity) this alert carried before the current
  // one, oldest first.
  // Receivers that key alerts by labels (Alertmanager) end all of them with every message, so a
  // change A -> B -> C, or a blame moved from a member to its DC, leaves nothing open even if an
  // update was dropped.
  struct Former {
    std::string cause;
    std::string blamed_host;
    std::string site;
    std::string severity;
    bool operator==(const Former&) const = default;
  };
  std::vector<Former> former;
  absl::Time starts_at;  // first seen
  absl::Time changed_at;
  std::optional<absl::Time> ends_at;  // set on resolve
};

inline constexpr char kActionTrigger[] = "trigger";
inline constexpr char kActionResolve[] = "resolve";

nlohmann::ordered_json AlertToJson(const Alert& a);
absl::StatusOr<Alert> AlertFromJson(const std::string& text);

}  // namespace kerbside::diagnoses

#endif  // KERBSIDE_COLLECTOR_DIAGNOSES_ALERT_H_
