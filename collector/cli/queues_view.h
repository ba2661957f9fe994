#ifndef KERBSIDE_COLLECTOR_CLI_QUEUES_VIEW_H_
#define KERBSIDE_COLLECTOR_CLI_QUEUES_VIEW_H_

#include <string>

#include "kerbside/v1/query.pb.h"
#include "nlohmann/json.hpp"

namespace kerbside::cli {

// `kerbside queues --json`: {"collector_time", "queues":[{host, identity, status,
// message_count, next_hop_domain, stuck, last_error, failure_class, observed_age_seconds}]}.
nlohmann::ordered_json QueuesToJson(const v1::ListQueuesResponse& response);
// `kerbside queues`: a table; a healthy queue's last error is not shown.
std::string QueuesToTable(const v1::ListQueuesResponse& response);

// `kerbside evidence HOST --json`: {"host", "collector_time", "sources":[{source, health,
// reason, received_at, age_seconds}], "evidence":[{kind, source, origin, subject, summary,
// observed_at, age_seconds, received_at, and an event aggregate's provider, event_id, count,
// count_is_lower_bound, first_seen, last_seen}]}. Ages are on the collector's clock.
nlohmann::ordered_json EvidenceToJson(const v1::GetEvidenceResponse& response);
std::string EvidenceToTable(const v1::GetEvidenceResponse& response);

}  // namespace kerbside::cli

#endif  // KERBSIDE_COLLECTOR_CLI_QUEUES_VIEW_H_
