// Prometheus Alertmanager, API v2: POST /api/v2/alerts with a JSON array of alerts.
#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "collector/alerts/sink.h"
#include "common/json_text.h"
#include "common/proto_time.h"
#include "nlohmann/json.hpp"

namespace kerbside::alerts {
namespace {

constexpr char kAlertName[] = "KerbsideStuckQueue";

class AlertmanagerSink final : public AlertSink {
 public:
  AlertmanagerSink(SinkConfig config, std::string endpoint, absl::Duration resend,
                   absl::Duration timeout, std::string generator_url)
      : AlertSink(std::move(config)),
        endpoint_(std::move(endpoint)),
        resend_(resend),
        timeout_(timeout),
        generator_url_(std::move(generator_url)) {}

  absl::StatusOr<HttpRequest> Build(const diagnoses::Alert& a, absl::string_view action,
                                    absl::Time now) const override {
    // Alertmanager resolves an alert by itself at endsAt; while the diagnosis holds the alert
    // is re-sent every `resend`, so endsAt covers a few missed refreshes and no more.
    const absl::Time ends =
        action == diagnoses::kActionResolve ? a.ends_at.value_or(now) : now + 4 * resend_;
    nlohmann::ordered_json alerts = nlohmann::ordered_json::array();
    const diagnoses::Alert::Former current{a.cause, a.blamed_host, a.site, a.severity};
    alerts.push_back(Entry(current, a, ends));
    // Cause, blamed host and site are labels, so changing one makes a new alert to Alertmanager:
    // end the former label sets in the same request, so the group sees one change. Every
    // message repeats it (ending an ended alert is a no-op): a dropped update leaves none open.
    for (const diagnoses::Alert::Former& f : a.former) {
      if (f != current) alerts.push_back(Entry(f, a, now));
    }
    HttpRequest r;
    r.url = endpoint_;
    r.headers = {{"Content-Type", "application/json"}};
    r.body = kerbside::JsonText(alerts);
    r.timeout = timeout_;
    return r;
  }

  std::optional<absl::Duration> refresh_interval() const override { return resend_; }

 private:
  // One alert for Alertmanager: `labels` identify it, `a` says what it is about.
  nlohmann::ordered_json Entry(const diagnoses::Alert::Former& labels, const diagnoses::Alert& a,
                               absl::Time ends) const {
    nlohmann::ordered_json e;
    e["labels"] = {{"alertname", kAlertName},
                   {"cause", labels.cause},
                   {"blamed_host", labels.blamed_host},
                   {"site", labels.site},
                   {"severity", labels.severity}};
    e["annotations"] = {{"summary", a.summary},
                        {"fix", a.fix},
                        {"queues", absl::StrJoin(a.queues, "\n")},
                        {"confidence", a.confidence},
                        {"pattern", a.pattern}};
    e["startsAt"] = FormatRfc3339(a.starts_at);
    e["endsAt"] = FormatRfc3339(ends);
    if (!generator_url_.empty()) e["generatorURL"] = generator_url_;
    return e;
  }

  std::string endpoint_;
  absl::Duration resend_;
  absl::Duration timeout_;
  std::string generator_url_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<AlertSink>> MakeAlertmanagerSink(const SinkConfig& config) {
  if (absl::Status s = CheckKeys(config, {"resend", "timeout", "generator_url"}); !s.ok()) {
    return s;
  }
  if (config.url.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "alert sink ", config.name, ": url is required (Alertmanager's, http://host:9093)"));
  }
  auto resend = DurationParam(config, "resend", absl::Seconds(60));
  if (!resend.ok()) return resend.status();
  auto timeout = DurationParam(config, "timeout", absl::Seconds(10));
  if (!timeout.ok()) return timeout.status();
  std::string endpoint = config.url;
  if (!absl::EndsWith(endpoint, "/api/v2/alerts")) {
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    absl::StrAppend(&endpoint, "/api/v2/alerts");
  }
  auto gen = config.params.find("generator_url");
  return std::make_unique<AlertmanagerSink>(config, endpoint, *resend, *timeout,
                                            gen != config.params.end() ? gen->second : "");
}

}  // namespace kerbside::alerts
