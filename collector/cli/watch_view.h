#ifndef KERBSIDE_COLLECTOR_CLI_WATCH_VIEW_H_
#define KERBSIDE_COLLECTOR_CLI_WATCH_VIEW_H_

#include <string>

#include "kerbside/v1/query.pb.h"
#include "nlohmann/json.hpp"

namespace kerbside::cli {

// What `kerbside watch` shows, from the live Diagnose (its JSON) and ListQueues answers:
// {"stuck_queues":[...], "diagnoses":[...]} with each diagnosis' cause, blamed host, sentence,
// state, first seen and last changed. Stable for equal input, so a change is a real change.
nlohmann::ordered_json WatchState(const nlohmann::json& diagnose,
                                  const v1::ListQueuesResponse& queues);
// The terminal screen for a state.
std::string WatchScreen(const nlohmann::ordered_json& state, const std::string& collector,
                        const std::string& as_of);

}  // namespace kerbside::cli

#endif  // KERBSIDE_COLLECTOR_CLI_WATCH_VIEW_H_
