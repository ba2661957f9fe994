// PagerDuty Events API v2: one event per notification, deduplicated per (cause, blamed host).
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "collector/alerts/sink.h"
#include "common/json_text.h"
#include "common/proto_time.h"
#include "nlohmann/json.hpp"

namespace kerbside::alerts {
namespace {

constexpr char kDefaultUrl[] = "https://events.pagerduty.com/v2/enqueue";
// PagerDuty refuses a payload.summary over 1024 characters.
constexpr size_t kMaxSummary = 1024;

class PagerDutySink final : public AlertSink {
 public:
  PagerDutySink(SinkConfig config, std::string routing_key, absl::Duration timeout)
      : AlertSink(std::move(config)), routing_key_(std::move(routing_key)), timeout_(timeout) {}

  absl::StatusOr<HttpRequest> Build(const diagnoses::Alert& a, absl::string_view action,
                                    absl::Time now) const override {
    nlohmann::ordered_json j;
    j["routing_key"] = routing_key_;
    j["event_action"] = action == diagnoses::kActionResolve ? "resolve" : "trigger";
    // The key the alert opened with: a later change of cause updates the same incident.
    j["dedup_key"] = absl::StrCat("kerbside/", a.key);
    if (action != diagnoses::kActionResolve) {
      std::string summary = a.summary;
      if (summary.size() > kMaxSummary) summary = summary.substr(0, kMaxSummary - 3) + "...";
      nlohmann::ordered_json p;
      p["summary"] = summary;
      p["source"] = a.blamed_host;
      p["severity"] = a.severity;  // critical | warning: both PagerDuty severities
      p["timestamp"] = FormatRfc3339(a.starts_at);
      p["component"] = "exchange-transport";
      p["group"] = a.site;
      p["class"] = a.cause;
      p["custom_details"] = {{"cause", a.cause},
                             {"confidence", a.confidence},
                             {"fix", a.fix},
                             {"queues", a.queues},
                             {"senders", a.senders},
                             {"targets", a.targets},
                             {"pattern", a.pattern},
                             {"site", a.site},
                             {"first_seen", FormatRfc3339(a.starts_at)},
                             {"last_changed", FormatRfc3339(a.changed_at)}};
      j["payload"] = std::move(p);
      j["client"] = "kerbside";
    }
    (void)now;
    HttpRequest r;
    r.url = config().url;
    r.headers = {{"Content-Type", "application/json"}};
    r.body = kerbside::JsonText(j);
    r.timeout = timeout_;
    return r;
  }

 private:
  std::string routing_key_;
  absl::Duration timeout_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<AlertSink>> MakePagerDutySink(const SinkConfig& config) {
  if (absl::Status s = CheckKeys(config, {"routing_key", "routing_key_file", "timeout"}); !s.ok()) {
    return s;
  }
  auto key = SecretParam(config, "routing_key");
  if (!key.ok()) return key.status();
  if (key->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("alert sink ", config.name, ": routing_key or routing_key_file is required"));
  }
  auto timeout = DurationParam(config, "timeout", absl::Seconds(10));
  if (!timeout.ok()) return timeout.status();
  SinkConfig c = config;
  if (c.url.empty()) c.url = kDefaultUrl;
  return std::make_unique<PagerDutySink>(std::move(c), *key, *timeout);
}

}  // namespace kerbside::alerts
