// Generic JSON webhook, optionally signed with HMAC-SHA256 so the receiver can tell a
// notification from the collector from a forged one.
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "collector/alerts/hmac.h"
#include "collector/alerts/sink.h"
#include "common/json_text.h"
#include "common/proto_time.h"
#include "nlohmann/json.hpp"

namespace kerbside::alerts {
namespace {

constexpr char kDefaultSignatureHeader[] = "X-Kerbside-Signature";

class WebhookSink final : public AlertSink {
 public:
  WebhookSink(SinkConfig config, std::string secret, std::string header, absl::Duration timeout)
      : AlertSink(std::move(config)),
        secret_(std::move(secret)),
        header_(std::move(header)),
        timeout_(timeout) {}

  absl::StatusOr<HttpRequest> Build(const diagnoses::Alert& a, absl::string_view action,
                                    absl::Time now) const override {
    nlohmann::ordered_json alert;
    alert["key"] = a.key;
    alert["cause"] = a.cause;
    alert["previous_cause"] = a.previous_cause;
    alert["blamed_host"] = a.blamed_host;
    alert["site"] = a.site;
    alert["severity"] = a.severity;
    alert["confidence"] = a.confidence;
    alert["summary"] = a.summary;
    alert["fix"] = a.fix;
    alert["queues"] = a.queues;
    alert["senders"] = a.senders;
    alert["targets"] = a.targets;
    alert["pattern"] = a.pattern;
    alert["first_seen"] = FormatRfc3339(a.starts_at);
    alert["last_changed"] = FormatRfc3339(a.changed_at);
    alert["resolved_at"] =
        a.ends_at ? nlohmann::ordered_json(FormatRfc3339(*a.ends_at)) : nlohmann::ordered_json();
    nlohmann::ordered_json j;
    j["format"] = "kerbside-alert/1";
    j["action"] = std::string(action);
    j["sent_at"] = FormatRfc3339(now);
    j["alert"] = std::move(alert);
    HttpRequest r;
    r.url = config().url;
    r.headers = {{"Content-Type", "application/json"}};
    r.body = kerbside::JsonText(j);
    r.timeout = timeout_;
    if (!secret_.empty()) {
      auto mac = HmacSha256Hex(secret_, r.body);
      if (!mac.ok()) return mac.status();
      r.headers.push_back({header_, absl::StrCat("sha256=", *mac)});
    }
    return r;
  }

 private:
  std::string secret_;
  std::string header_;
  absl::Duration timeout_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<AlertSink>> MakeWebhookSink(const SinkConfig& config) {
  if (absl::Status s = CheckKeys(config, {"secret", "secret_file", "signature_header", "timeout"});
      !s.ok()) {
    return s;
  }
  if (config.url.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("alert sink ", config.name, ": url is required"));
  }
  auto secret = SecretParam(config, "secret");
  if (!secret.ok()) return secret.status();
  auto timeout = DurationParam(config, "timeout", absl::Seconds(10));
  if (!timeout.ok()) return timeout.status();
  auto header = config.params.find("signature_header");
  return std::make_unique<WebhookSink>(
      config, *secret, header != config.params.end() ? header->second : kDefaultSignatureHeader,
      *timeout);
}

}  // namespace kerbside::alerts
