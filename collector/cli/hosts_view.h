#ifndef KERBSIDE_COLLECTOR_CLI_HOSTS_VIEW_H_
#define KERBSIDE_COLLECTOR_CLI_HOSTS_VIEW_H_

#include <string>

#include "absl/time/time.h"
#include "kerbside/v1/query.pb.h"
#include "nlohmann/json.hpp"

namespace kerbside::cli {

// `kerbside hosts --json`: stable keys, seconds as numbers (positive offset = host ahead).
nlohmann::ordered_json HostsToJson(const v1::ListHostsResponse& response);

// `kerbside hosts`: a table for people. `now` is the collector's time of the response, so ages
// are not distorted by the operator's own clock.
std::string HostsToTable(const v1::ListHostsResponse& response);

}  // namespace kerbside::cli

#endif  // KERBSIDE_COLLECTOR_CLI_HOSTS_VIEW_H_
