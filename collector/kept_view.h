#ifndef KERBSIDE_COLLECTOR_KEPT_VIEW_H_
#define KERBSIDE_COLLECTOR_KEPT_VIEW_H_

#include <string>
#include <vector>

#include "collector/correlator/diagnosis.h"
#include "collector/store/records.h"
#include "nlohmann/json.hpp"

namespace kerbside::collector {

// Adds what the diagnosis keeper knows to a live Diagnose answer: each diagnosis gets
// "tracking" (state, first seen, last changed, paged), the answer gets "tracked" (every kept
// diagnosis, resolved ones included) and the text a closing section with the same.
void AddTracking(const std::vector<KeptDiagnosisRecord>& kept, const correlator::Diagnoses& d,
                 absl::Time now, nlohmann::ordered_json* json, std::string* text);

nlohmann::ordered_json KeptToJson(const KeptDiagnosisRecord& k);

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_KEPT_VIEW_H_
