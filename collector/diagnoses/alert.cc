#include "collector/diagnoses/alert.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kerbside::diagnoses {

nlohmann::ordered_json AlertToJson(const Alert& a) {
  nlohmann::ordered_json j;
  j["key"] = a.key;
  j["cause"] = a.cause;
  j["blamed_host"] = a.blamed_host;
  j["site"] = a.site;
  j["severity"] = a.severity;
  j["confidence"] = a.confidence;
  j["summary"] = a.summary;
  j["fix"] = a.fix;
  j["queues"] = a.queues;
  j["senders"] = a.senders;
  j["targets"] = a.targets;
  j["pattern"] = a.pattern;
  j["previous_cause"] = a.previous_cause;
  j["former"] = nlohmann::ordered_json::array();
  for (const Alert::Former& f : a.former) {
    j["former"].push_back({{"cause", f.cause},
                           {"blamed_host", f.blamed_host},
                           {"site", f.site},
                           {"severity", f.severity}});
  }
  // Nanoseconds: the outbox must give back exactly the times it was handed.
  j["starts_at_unix_ns"] = absl::ToUnixNanos(a.starts_at);
  j["changed_at_unix_ns"] = absl::ToUnixNanos(a.changed_at);
  j["ends_at_unix_ns"] = a.ends_at ? nlohmann::ordered_json(absl::ToUnixNanos(*a.ends_at))
                                   : nlohmann::ordered_json(nullptr);
  return j;
}

absl::StatusOr<Alert> AlertFromJson(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError("alert JSON does not parse");
  }
  Alert a;
  try {
    a.key = j.at("key").get<std::string>();
    a.cause = j.at("cause").get<std::string>();
    a.blamed_host = j.at("blamed_host").get<std::string>();
    a.site = j.value("site", "");
    a.severity = j.value("severity", "critical");
    a.confidence = j.value("confidence", "");
    a.summary = j.value("summary", "");
    a.fix = j.value("fix", "");
    a.queues = j.value("queues", std::vector<std::string>{});
    a.senders = j.value("senders", std::vector<std::string>{});
    a.targets = j.value("targets", std::vector<std::string>{});
    a.pattern = j.value("pattern", "");
    a.previous_cause = j.value("previous_cause", "");
    if (j.contains("former")) {
      for (const auto& f : j.at("former")) {
        a.former.push_back({f.at("cause").get<std::string>(),
                            f.at("blamed_host").get<std::string>(), f.value("site", ""),
                            f.value("severity", "critical")});
      }
    }
    a.starts_at = absl::FromUnixNanos(j.at("starts_at_unix_ns").get<int64_t>());
    a.changed_at = absl::FromUnixNanos(j.at("changed_at_unix_ns").get<int64_t>());
    if (j.contains("ends_at_unix_ns") && !j["ends_at_unix_ns"].is_null()) {
      a.ends_at = absl::FromUnixNanos(j["ends_at_unix_ns"].get<int64_t>());
    }
  } catch (const nlohmann::json::exception& e) {
    // nlohmann throws; the exception stops here and becomes a Status.
    return absl::DataLossError(absl::StrCat("alert JSON: ", e.what()));
  }
  return a;
}

}  // namespace kerbside::diagnoses
