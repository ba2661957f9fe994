#include "collector/diagnoses/kept_view.h"

#include "absl/strings/str_cat.h"
#include "common/duration_format.h"
#include "common/proto_time.h"

namespace kerbside::diagnoses {

nlohmann::ordered_json KeptToJson(const KeptDiagnosis& k) {
  nlohmann::ordered_json j;
  j["cause"] = k.cause;
  j["blamed_host"] = k.blamed_host;
  j["state"] = std::string(DiagnosisStateName(k.state));
  j["first_seen"] = FormatRfc3339(k.first_seen);
  j["last_changed"] = FormatRfc3339(k.last_changed);
  j["last_seen"] = FormatRfc3339(k.last_seen);
  j["paged"] = k.paged;
  j["alert_key"] = k.alert_key;
  if (!k.unreadable_detail) {
    j["summary"] = k.alert.summary;
    j["severity"] = k.alert.severity;
  }
  return j;
}

void AddTracking(const std::vector<KeptDiagnosis>& kept, const correlator::Diagnoses& d,
                 absl::Time now, nlohmann::ordered_json* json, std::string* text) {
  auto find = [&](const std::string& cause, const std::string& host) -> const KeptDiagnosis* {
    for (const KeptDiagnosis& k : kept) {
      if (k.cause == cause && k.blamed_host == host) return &k;
    }
    return nullptr;
  };
  nlohmann::ordered_json& list = (*json)["diagnoses"];
  for (size_t i = 0; i < d.diagnoses.size() && i < list.size(); ++i) {
    const correlator::Diagnosis& diag = d.diagnoses[i];
    if (diag.causes.empty()) continue;
    const KeptDiagnosis* k = find(diag.causes.front().cause, diag.blamed_host);
    // Not kept yet: the keeper has not run since this appeared (or none runs).
    list[i]["tracking"] = k ? KeptToJson(*k) : nlohmann::ordered_json(nullptr);
  }
  (*json)["tracked"] = nlohmann::ordered_json::array();
  if (kept.empty()) return;
  absl::StrAppend(text, "\nTracked diagnoses (state, first seen, last changed):\n");
  for (const KeptDiagnosis& k : kept) {
    (*json)["tracked"].push_back(KeptToJson(k));
    absl::StrAppend(text, "  ", k.cause, " on ", k.blamed_host.empty() ? "?" : k.blamed_host, ": ",
                    DiagnosisStateName(k.state), k.paged ? " (paged)" : "", ", first seen ",
                    FormatRfc3339(k.first_seen), " (", FormatAge(now - k.first_seen),
                    "), last changed ", FormatRfc3339(k.last_changed), " (",
                    FormatAge(now - k.last_changed), ")\n");
  }
}

}  // namespace kerbside::diagnoses
