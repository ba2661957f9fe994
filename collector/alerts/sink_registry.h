#ifndef KERBSIDE_COLLECTOR_ALERTS_SINK_REGISTRY_H_
#define KERBSIDE_COLLECTOR_ALERTS_SINK_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "collector/alerts/sink.h"

namespace kerbside::alerts {

// "KIND key=value key=value ..." (the collector's --alert_sink, repeatable). Values cannot
// contain spaces; URLs are percent-encoded anyway.
absl::StatusOr<SinkConfig> ParseSinkSpec(absl::string_view spec);
// Every spec through the registry; names default to the kind, then kind-2, kind-3, ...
absl::StatusOr<std::vector<std::unique_ptr<AlertSink>>> MakeSinks(
    const std::vector<std::string>& specs);
// "alertmanager, pagerduty, webhook".
std::string SinkKinds();

}  // namespace kerbside::alerts

#endif  // KERBSIDE_COLLECTOR_ALERTS_SINK_REGISTRY_H_
