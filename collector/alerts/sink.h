#ifndef KERBSIDE_COLLECTOR_ALERTS_SINK_H_
#define KERBSIDE_COLLECTOR_ALERTS_SINK_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "collector/alerts/http_client.h"
#include "collector/diagnoses/alert.h"

namespace kerbside::alerts {

// One configured sink: "KIND key=value ...", e.g.
//   alertmanager url=http://127.0.0.1:9093
//   pagerduty url=https://events.pagerduty.com/v2/enqueue routing_key_file=/etc/kerbside/pd.key
//   webhook name=chatops url=https://hooks.example/kerbside secret_file=/etc/kerbside/hook.key
struct SinkConfig {
  std::string kind;
  std::string name;  // unique among the sinks; the outbox and the metrics use it
  std::string url;
  std::map<std::string, std::string> params;  // every other key
};

// Turns an alert notification into the HTTP request its receiver understands. Building is pure
// (no I/O): delivery, retries and ordering are the dispatcher's.
class AlertSink {
 public:
  explicit AlertSink(SinkConfig config) : config_(std::move(config)) {}
  virtual ~AlertSink() = default;

  const std::string& name() const { return config_.name; }
  const std::string& kind() const { return config_.kind; }
  const SinkConfig& config() const { return config_; }

  // `action` is diagnoses::kActionTrigger or kActionResolve; `now` is when it is sent.
  virtual absl::StatusOr<HttpRequest> Build(const diagnoses::Alert& alert, absl::string_view action,
                                            absl::Time now) const = 0;
  // Receivers that forget an alert that is not re-sent (Alertmanager) get every open alert
  // again this often; empty for the others.
  virtual std::optional<absl::Duration> refresh_interval() const { return std::nullopt; }

 private:
  SinkConfig config_;
};

// One factory per sink kind (alertmanager_sink.cc, pagerduty_sink.cc, webhook_sink.cc).
absl::StatusOr<std::unique_ptr<AlertSink>> MakeAlertmanagerSink(const SinkConfig& config);
absl::StatusOr<std::unique_ptr<AlertSink>> MakePagerDutySink(const SinkConfig& config);
absl::StatusOr<std::unique_ptr<AlertSink>> MakeWebhookSink(const SinkConfig& config);

// Helpers the sinks share.
// A parameter given inline (`key=...`) or read from a file (`key_file=...`, trailing newline
// dropped) so secrets need not show in `ps`.
absl::StatusOr<std::string> SecretParam(const SinkConfig& config, const std::string& key);
absl::StatusOr<absl::Duration> DurationParam(const SinkConfig& config, const std::string& key,
                                             absl::Duration fallback);
// Refuses keys the sink does not know, naming the sink and the key.
absl::Status CheckKeys(const SinkConfig& config, std::initializer_list<absl::string_view> known);

}  // namespace kerbside::alerts

#endif  // KERBSIDE_COLLECTOR_ALERTS_SINK_H_
