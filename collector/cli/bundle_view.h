#ifndef KERBSIDE_COLLECTOR_CLI_BUNDLE_VIEW_H_
#define KERBSIDE_COLLECTOR_CLI_BUNDLE_VIEW_H_

#include <string>

#include "common/model/fleet_model.h"
#include "nlohmann/json.hpp"

namespace kerbside::cli {

// `kerbside bundle check`: per host what was read (counts), what is missing and which files
// failed (file:line and why). Stable key order.
nlohmann::ordered_json BundleCheckToJson(const std::string& dir, const model::FleetModel& fleet);
std::string BundleCheckToText(const std::string& dir, const model::FleetModel& fleet);

// True when any file of the bundle failed to read or parse.
bool BundleHasProblems(const model::FleetModel& fleet);

}  // namespace kerbside::cli

#endif  // KERBSIDE_COLLECTOR_CLI_BUNDLE_VIEW_H_
