#ifndef KERBSIDE_COLLECTOR_METRICS_PROMETHEUS_TEXT_H_
#define KERBSIDE_COLLECTOR_METRICS_PROMETHEUS_TEXT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace kerbside::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Writes the Prometheus text exposition format (version 0.0.4): each family's HELP and TYPE
// once, then its samples, label values escaped.
class PrometheusText {
 public:
  // type: "gauge" or "counter" (counter names end in _total).
  void Family(absl::string_view name, absl::string_view type, absl::string_view help);
  void Sample(absl::string_view name, const Labels& labels, double value);
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

std::string EscapeLabelValue(absl::string_view v);

}  // namespace kerbside::metrics

#endif  // KERBSIDE_COLLECTOR_METRICS_PROMETHEUS_TEXT_H_
