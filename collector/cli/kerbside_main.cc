// kerbside: the operator CLI. Talks to the collector's query service with an operator
// certificate.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "collector/cli/bundle_view.h"
#include "collector/cli/hosts_view.h"
#include "collector/cli/queues_view.h"
#include "collector/cli/watch_view.h"
#include "collector/correlator/correlator.h"
#include "common/bundle/bundle_loader.h"
#include "common/bundle/bundle_writer.h"
#include "common/cli_errors.h"
#include "common/clock.h"
#include "common/duration_format.h"
#include "common/grpc_tls.h"
#include "common/json_text.h"
#include "common/proto_time.h"
#include "common/text/escape.h"
#include "grpcpp/create_channel.h"
#include "kerbside/v1/query.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace {

// Exit codes: 0 success, 1 the collector could not answer (unreachable, refused), 2 usage.
constexpr int kExitCollector = 1;
constexpr int kExitUsage = 2;

struct Connection {
  std::string collector = "127.0.0.1:7443";
  std::string ca, cert, key;
  bool plaintext = false;
  double timeout_seconds = 10;
};

int Fail(int code, const std::string& msg) {
  std::fprintf(stderr, "kerbside: %s\n", msg.c_str());
  return code;
}

std::string ExplainRpcFailure(const Connection& c, const grpc::Status& s) {
  std::string msg = absl::StrCat("collector at ", c.collector, ": ");
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      absl::StrAppend(&msg, "unreachable or the TLS handshake failed (is it running, is ",
                      c.collector,
                      " right, does the fleet CA match, is this certificate "
                      "signed by it?)");
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      absl::StrAppend(&msg, "no answer within ", c.timeout_seconds, "s");
      break;
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      absl::StrAppend(&msg, "refused this certificate");
      break;
    default:
      absl::StrAppend(&msg, "request failed");
  }
  absl::StrAppend(&msg, " [", s.error_code(), ": ", s.error_message(), "]");
  return msg;
}

// The channel to the collector with the operator's credentials; exits with usage errors.
absl::StatusOr<std::shared_ptr<grpc::Channel>> Channel(const Connection& c) {
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (c.plaintext) {
    creds = grpc::InsecureChannelCredentials();
  } else {
    if (c.ca.empty() || c.cert.empty() || c.key.empty()) {
      return absl::InvalidArgumentError(
          "--ca, --cert and --key (an operator certificate) are required; set them in the "
          "config file or KERBSIDE_CA/KERBSIDE_CERT/KERBSIDE_KEY");
    }
    auto made = kerbside::MakeMutualTlsChannelCredentials({c.ca, c.cert, c.key});
    if (!made.ok()) return made.status();
    creds = *made;
  }
  return grpc::CreateChannel(c.collector, creds);
}

void SetDeadline(const Connection& c, grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(static_cast<int64_t>(c.timeout_seconds * 1000)));
}

// Calls one method of the query service with the operator's credentials and a deadline.
// Returns 0, or the exit code after saying what went wrong.
template <typename Request, typename Response>
int Call(const Connection& c,
         grpc::Status (kerbside::v1::QueryService::Stub::*method)(grpc::ClientContext*,
                                                                  const Request&, Response*),
         const Request& request, Response* response) {
  auto channel = Channel(c);
  if (!channel.ok()) return Fail(kExitUsage, std::string(channel.status().message()));
  auto stub = kerbside::v1::QueryService::NewStub(*channel);
  grpc::ClientContext ctx;
  SetDeadline(c, &ctx);
  grpc::Status s = ((*stub).*method)(&ctx, request, response);
  if (!s.ok()) return Fail(kExitCollector, ExplainRpcFailure(c, s));
  return 0;
}

int ListHosts(const Connection& c, bool json) {
  kerbside::v1::ListHostsResponse response;
  if (int rc = Call(c, &kerbside::v1::QueryService::Stub::ListHosts,
                    kerbside::v1::ListHostsRequest(), &response)) {
    return rc;
  }
  if (json) {
    std::printf("%s\n", kerbside::JsonText(kerbside::cli::HostsToJson(response), 2).c_str());
  } else {
    std::fputs(kerbside::text::EscapeControl(kerbside::cli::HostsToTable(response), true).c_str(),
               stdout);
  }
  return 0;
}

// kerbside bundle check: 0 everything present parsed, 1 a file failed, 2 usage.
int BundleCheck(const std::string& dir, bool json) {
  auto fleet = kerbside::bundle::LoadBundle(dir);
  if (!fleet.ok()) return Fail(kExitUsage, std::string(fleet.status().message()));
  if (json) {
    std::printf("%s\n",
                kerbside::JsonText(kerbside::cli::BundleCheckToJson(dir, *fleet), 2).c_str());
  } else {
    std::fputs(
        kerbside::text::EscapeControl(kerbside::cli::BundleCheckToText(dir, *fleet), true).c_str(),
        stdout);
  }
  return kerbside::cli::BundleHasProblems(*fleet) ? 1 : 0;
}

// The moment an offline bundle is judged at: --now, else when its newest host.json says it was
// collected (so a bundle read days later does not turn stale), else this machine's clock.
absl::StatusOr<absl::Time> BundleNow(const kerbside::model::FleetModel& fleet,
                                     const std::string& now_flag) {
  if (!now_flag.empty()) {
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, now_flag, &t, &err)) {
      return absl::InvalidArgumentError("--now: '" + now_flag +
                                        "' is not an RFC 3339 time: " + err);
    }
    return t;
  }
  return kerbside::bundle::NewestCollectedAt(fleet).value_or(kerbside::RealClock().Now());
}

struct DiagnoseFlags {
  std::string bundle;
  std::string target;
  std::string now;
  std::string max_clock_skew;  // empty: bundle.json or the 5m default
  std::string stale_after = "24h";
  bool json = false;
};

int DiagnoseLive(const Connection& c, const DiagnoseFlags& f) {
  kerbside::v1::DiagnoseRequest request;
  request.set_target(f.target);
  kerbside::v1::DiagnoseResponse response;
  if (int rc = Call(c, &kerbside::v1::QueryService::Stub::Diagnose, request, &response)) {
    return rc;
  }
  std::fputs(
      (f.json ? response.json() + "\n" : kerbside::text::EscapeControl(response.text(), true))
          .c_str(),
      stdout);
  return 0;
}

int ListQueues(const Connection& c, bool json) {
  kerbside::v1::ListQueuesResponse response;
  if (int rc = Call(c, &kerbside::v1::QueryService::Stub::ListQueues,
                    kerbside::v1::ListQueuesRequest(), &response)) {
    return rc;
  }
  const std::string out = json ? kerbside::JsonText(kerbside::cli::QueuesToJson(response), 2) + "\n"
                               : kerbside::cli::QueuesToTable(response);
  std::fputs(kerbside::text::EscapeControl(out, true).c_str(), stdout);
  return 0;
}

int ShowEvidence(const Connection& c, const std::string& host, const std::string& kind, bool json) {
  kerbside::v1::GetEvidenceRequest request;
  request.set_host(host);
  request.set_kind(kind);
  kerbside::v1::GetEvidenceResponse response;
  if (int rc = Call(c, &kerbside::v1::QueryService::Stub::GetEvidence, request, &response)) {
    return rc;
  }
  const std::string out =
      json ? kerbside::JsonText(kerbside::cli::EvidenceToJson(response), 2) + "\n"
           : kerbside::cli::EvidenceToTable(response);
  std::fputs(kerbside::text::EscapeControl(out, true).c_str(), stdout);
  return 0;
}

struct WatchFlags {
  bool json = false;
  double interval_seconds = 2;
  int count = 0;  // stop after this many updates (0: until interrupted)
};

// kerbside watch: polls the live Diagnose and ListQueues answers. A terminal is redrawn on every
// poll; --json (or a pipe) gets one line (or block) per change only. A collector that goes away
// is shown as an error state and polled again: watching outlives a collector restart.
int Watch(const Connection& c, const WatchFlags& f) {
  auto channel = Channel(c);
  if (!channel.ok()) return Fail(kExitUsage, std::string(channel.status().message()));
  auto stub = kerbside::v1::QueryService::NewStub(*channel);
  const bool terminal = !f.json && isatty(STDOUT_FILENO);
  std::string last;
  int updates = 0;
  while (true) {
    grpc::ClientContext dctx, qctx;
    SetDeadline(c, &dctx);
    SetDeadline(c, &qctx);
    kerbside::v1::DiagnoseResponse diagnosed;
    kerbside::v1::ListQueuesResponse queues;
    grpc::Status s = stub->Diagnose(&dctx, {}, &diagnosed);
    if (s.ok()) s = stub->ListQueues(&qctx, {}, &queues);
    nlohmann::ordered_json state;
    std::string as_of = kerbside::FormatRfc3339(kerbside::RealClock().Now());
    if (!s.ok()) {
      state["error"] = ExplainRpcFailure(c, s);
    } else {
      const nlohmann::json d = nlohmann::json::parse(diagnosed.json(), nullptr, false);
      if (d.is_discarded()) {
        state["error"] = "the collector sent JSON that does not parse";
      } else {
        state = kerbside::cli::WatchState(d, queues);
        as_of = d.value("generated_at", as_of);
      }
    }
    const std::string now_state = kerbside::JsonText(state);
    const bool changed = now_state != last;
    last = now_state;
    if (changed || terminal) {
      if (f.json) {
        nlohmann::ordered_json line;
        line["time"] = as_of;
        line.update(state);
        std::printf("%s\n", kerbside::JsonText(line).c_str());
      } else {
        const std::string screen = state.contains("error")
                                       ? absl::StrCat("kerbside watch — ", as_of, "\n",
                                                      state["error"].get<std::string>(), "\n")
                                       : kerbside::cli::WatchScreen(state, c.collector, as_of);
        std::printf("%s%s\n", terminal ? "\033[H\033[2J" : "",
                    kerbside::text::EscapeControl(screen, true).c_str());
      }
      std::fflush(stdout);
      if (changed && f.count > 0 && ++updates >= f.count) return 0;
    }
    std::this_thread::sleep_for(
        std::chrono::milliseconds(static_cast<int64_t>(f.interval_seconds * 1000)));
  }
}

// kerbside export-bundle DIR: the live fleet as a support bundle.
int ExportBundle(const Connection& c, const std::string& dir) {
  kerbside::v1::ExportBundleResponse response;
  if (int rc = Call(c, &kerbside::v1::QueryService::Stub::ExportBundle,
                    kerbside::v1::ExportBundleRequest(), &response)) {
    return rc;
  }
  kerbside::bundle::RenderedBundle rendered;
  for (const auto& f : response.files()) rendered.files.push_back({f.path(), f.content()});
  if (absl::Status w = kerbside::bundle::WriteBundle(dir, rendered); !w.ok()) {
    return Fail(kExitUsage, std::string(w.message()));
  }
  std::printf("wrote %d files to %s\n", response.files_size(), dir.c_str());
  for (const std::string& n : response.not_exported()) {
    std::printf("not exported (no bundle file for it): %s\n", n.c_str());
  }
  return 0;
}

int DiagnoseBundle(const DiagnoseFlags& f) {
  auto fleet = kerbside::bundle::LoadBundle(f.bundle);
  if (!fleet.ok()) return Fail(kExitUsage, std::string(fleet.status().message()));
  // A folder with no host in it (`diagnose --bundle /`, a typo) is not a bundle whose fleet is
  // healthy: nothing was looked at.
  if (fleet->hosts.empty()) {
    return Fail(kExitUsage, absl::StrCat(f.bundle, ": not a support bundle (no host folder under ",
                                         "hosts/); nothing to judge"));
  }
  auto now = BundleNow(*fleet, f.now);
  if (!now.ok()) return Fail(kExitUsage, std::string(now.status().message()));
  for (const auto& p : fleet->problems)
    std::fprintf(stderr, "kerbside: warning: %s\n", p.message.c_str());
  for (const auto& [name, host] : fleet->hosts) {
    for (const auto& p : host.problems) {
      std::fprintf(stderr, "kerbside: warning: %s (not used)\n", p.message.c_str());
    }
  }
  kerbside::correlator::CorrelatorOptions options;
  std::string warning;
  if (!f.max_clock_skew.empty()) {
    auto skew =
        kerbside::ParseDurationFlag("max_clock_skew", f.max_clock_skew, absl::Seconds(1), &warning);
    if (!skew.ok()) {
      std::fprintf(stderr, "kerbside: %s\n", std::string(skew.status().message()).c_str());
      return 2;
    }
    options.max_clock_skew = *skew;
    fleet->max_clock_skew = options.max_clock_skew;
  }
  auto stale = kerbside::ParseDurationFlag("stale_after", f.stale_after, absl::Hours(1), &warning);
  if (!stale.ok()) {
    std::fprintf(stderr, "kerbside: %s\n", std::string(stale.status().message()).c_str());
    return 2;
  }
  if (!warning.empty()) std::fprintf(stderr, "kerbside: warning: %s\n", warning.c_str());
  options.stale_after = *stale;
  const kerbside::correlator::Diagnoses d = kerbside::correlator::Correlate(*fleet, *now, options);
  if (f.json) {
    std::printf("%s\n", kerbside::JsonText(kerbside::correlator::DiagnosesToJson(d), 2).c_str());
  } else {
    std::fputs(
        kerbside::text::EscapeControl(kerbside::correlator::DiagnosesToText(d), true).c_str(),
        stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kerbside: ask the collector why Exchange mail is stuck"};
  app.require_subcommand(1);
  Connection c;
  // KERBSIDE_CONFIG names the file when --config does not (CLI11 ignores an envname on its
  // config option, so it becomes the default, and then it must exist).
  const char* env_config = std::getenv("KERBSIDE_CONFIG");
  const bool have_env_config = env_config != nullptr && *env_config != '\0';
  app.set_config("--config", have_env_config ? env_config : "",
                 "TOML/INI configuration file (keys as the long flags; default $KERBSIDE_CONFIG)",
                 /*config_required=*/have_env_config);
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.add_option("--collector", c.collector, "collector address host:port")
      ->envname("KERBSIDE_COLLECTOR")
      ->capture_default_str();
  app.add_option("--ca", c.ca, "fleet CA certificate (PEM)")->envname("KERBSIDE_CA");
  app.add_option("--cert", c.cert, "operator certificate (PEM)")->envname("KERBSIDE_CERT");
  app.add_option("--key", c.key, "operator private key (PEM)")->envname("KERBSIDE_KEY");
  app.add_flag("--plaintext", c.plaintext, "no TLS (only against a --plaintext demo collector)");
  app.add_option("--timeout", c.timeout_seconds, "seconds to wait for the collector")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  bool json = false;
  CLI::App* hosts = app.add_subcommand(
      "hosts", "every host: role, site, connected or last seen, clock offset ± uncertainty");
  hosts->add_flag("--json", json, "stable JSON instead of a table");

  CLI::App* bundle = app.add_subcommand("bundle", "support bundles (offline)");
  bundle->require_subcommand(1);
  std::string bundle_dir;
  CLI::App* bundle_check = bundle->add_subcommand(
      "check", "what a bundle holds per host, what is missing, which files failed and why");
  bundle_check->add_option("DIR", bundle_dir, "the bundle folder")->required();
  bundle_check->add_flag("--json", json, "stable JSON instead of text");

  DiagnoseFlags diagnose_flags;
  CLI::App* diagnose = app.add_subcommand(
      "diagnose", "which documented cause of KB 979174 explains each stuck queue");
  diagnose->add_option("--bundle", diagnose_flags.bundle,
                       "judge a support bundle offline (default: ask the live collector)");
  diagnose->add_option("--target", diagnose_flags.target, "only diagnoses about this host");
  diagnose->add_option("--now", diagnose_flags.now,
                       "judge as of this RFC 3339 time (default: the bundle's newest "
                       "collected_at)");
  diagnose->add_option("--max_clock_skew", diagnose_flags.max_clock_skew,
                       "Kerberos tolerance, e.g. 5m (default: bundle.json, else 5m); a bare "
                       "number is seconds");
  diagnose
      ->add_option("--stale_after", diagnose_flags.stale_after,
                   "evidence older than this is stale and cannot alone confirm a cause, e.g. 24h")
      ->capture_default_str();
  // The older spelling, in hours; still accepted (ParseDurationFlag warns).
  diagnose->add_option("--stale_after_hours", diagnose_flags.stale_after,
                       "deprecated: --stale_after in hours");
  diagnose->add_flag("--json", diagnose_flags.json, "the JSON of DESIGN.md §5");

  std::string export_dir;
  CLI::App* export_bundle =
      app.add_subcommand("export-bundle", "write the live fleet as a support bundle");
  export_bundle->add_option("DIR", export_dir, "an empty or new folder")->required();
  CLI::App* queues = app.add_subcommand(
      "queues", "every queue the agents reported, with the LastError of the stuck ones");
  queues->add_flag("--json", json, "stable JSON");
  std::string evidence_host, evidence_kind;
  CLI::App* evidence =
      app.add_subcommand("evidence", "what the collector knows about a host and how old it is");
  evidence->add_option("HOST", evidence_host, "NetBIOS name or FQDN")->required();
  // The kinds are the evidence message's oneof fields, so a typo is refused, not an empty list.
  std::vector<std::string> kinds;
  const auto* oneof = kerbside::v1::Evidence::descriptor()->FindOneofByName("kind");
  for (int i = 0; oneof != nullptr && i < oneof->field_count(); ++i) {
    kinds.push_back(oneof->field(i)->name());
  }
  evidence->add_option("--kind", evidence_kind, "only this kind (queues, event_aggregate, ...)")
      ->check(CLI::IsMember(kinds));
  evidence->add_flag("--json", json, "stable JSON");

  WatchFlags watch_flags;
  CLI::App* watch =
      app.add_subcommand("watch", "live view of stuck queues and diagnoses as they change");
  watch->add_flag("--json", watch_flags.json, "one JSON object per line, on each change");
  watch->add_option("--interval", watch_flags.interval_seconds, "seconds between polls")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  watch->add_option("--count", watch_flags.count, "stop after this many changes (0: never)")
      ->check(CLI::NonNegativeNumber);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return kerbside::ExitForParseError(app, e, "kerbside");
  }
  if (hosts->parsed()) return ListHosts(c, json);
  if (bundle_check->parsed()) return BundleCheck(bundle_dir, json);
  if (diagnose->parsed()) {
    return diagnose_flags.bundle.empty() ? DiagnoseLive(c, diagnose_flags)
                                         : DiagnoseBundle(diagnose_flags);
  }
  if (queues->parsed()) return ListQueues(c, json);
  if (export_bundle->parsed()) return ExportBundle(c, export_dir);
  if (watch->parsed()) return Watch(c, watch_flags);
  if (evidence->parsed()) return ShowEvidence(c, evidence_host, evidence_kind, json);
  return kExitUsage;
}
