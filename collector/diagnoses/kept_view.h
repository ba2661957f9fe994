#ifndef KERBSIDE_COLLECTOR_DIAGNOSES_KEPT_VIEW_H_
#define KERBSIDE_COLLECTOR_DIAGNOSES_KEPT_VIEW_H_

#include <string>
#include <vector>

#include "collector/correlator/diagnosis.h"
#include "collector/diagnoses/kept_diagnosis.h"
#include "nlohmann/json.hpp"

namespace kerbside::diagnoses {

// Adds what the diagnosis keeper knows to a live Diagnose answer: each diagnosis gets
// "tracking" (state, first seen, last changed, paged), the answer gets "tracked" (every kept
// diagnosis, resolved ones included) and the text a closing section with the same.
void AddTracking(const std::vector<KeptDiagnosis>& kept, const correlator::Diagnoses& d,
                 absl::Time now, nlohmann::ordered_json* json, std::string* text);

nlohmann::ordered_json KeptToJson(const KeptDiagnosis& k);

}  // namespace kerbside::diagnoses

#endif  // KERBSIDE_COLLECTOR_DIAGNOSES_KEPT_VIEW_H_
