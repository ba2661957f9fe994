// kerbside-collector: receives agent streams, measures clocks, keeps the fleet, serves the CLI.
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "collector/agent_service.h"
#include "collector/host_registry.h"
#include "collector/oncall/oncall.h"
#include "collector/open_file_limit.h"
#include "collector/query_service.h"
#include "collector/store/sqlite_store.h"
#include "common/cli_errors.h"
#include "common/clock.h"
#include "common/duration_format.h"
#include "common/grpc_tls.h"
#include "common/logging.h"
#include "common/mutex_mode.h"
#include "common/signals.h"
#include "common/wire_limits.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "spdlog/spdlog.h"

namespace {

using kerbside::collector::AgentServiceImpl;
using kerbside::collector::AgentServiceOptions;
using kerbside::collector::HostRegistry;
using kerbside::collector::HostRegistryOptions;
using kerbside::collector::QueryServiceImpl;
using kerbside::collector::SqliteStore;

struct Flags {
  std::string config;
  std::string listen = "127.0.0.1:7443";
  std::string db = "/var/lib/kerbside/collector.db";
  std::string ca, cert, key;
  bool plaintext = false;
  std::vector<std::string> host_templates;  // TEMPLATE=exchange|dc, repeated
  std::string reference_host;
  std::string heartbeat_interval = "15s";
  std::string time_exchange_interval = "10s";
  std::string event_window = "24h";
  size_t max_agent_streams = kerbside::collector::AgentStreamLimits{}.max_streams;
  std::string agent_hello_timeout = "10s";
  std::string agent_idle_timeout;  // default: 4 heartbeat intervals, at least 2 minutes
  std::string log_level = "info";
  std::string max_clock_skew = "5m";
  std::string stale_after = "24h";
  kerbside::oncall::OnCallFlags oncall;
};

absl::StatusOr<absl::Duration> PositiveDuration(const std::string& name, const std::string& text) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": '", text, "' is not a positive duration such as 15s or 2m"));
  }
  return d;
}

int Run(const Flags& f) {
  if (absl::Status s = kerbside::SetupLogging("collector", f.log_level); !s.ok()) {
    std::fprintf(stderr, "kerbside-collector: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  std::vector<kerbside::TemplateRole> template_roles;
  for (const std::string& spec : f.host_templates) {
    auto t = kerbside::ParseTemplateRole(spec);
    if (!t.ok()) {
      spdlog::critical("configuration: {}", std::string(t.status().message()));
      return 2;
    }
    spdlog::info("certificates from AD CS template {} are host certificates of role {}",
                 t->template_name_or_oid, kerbside::HostRoleName(t->role));
    template_roles.push_back(*std::move(t));
  }
  auto heartbeat = PositiveDuration("heartbeat_interval", f.heartbeat_interval);
  auto exchange = PositiveDuration("time_exchange_interval", f.time_exchange_interval);
  auto event_window = PositiveDuration("event_window", f.event_window);
  auto hello_timeout = PositiveDuration("agent_hello_timeout", f.agent_hello_timeout);
  // An agent heartbeats every heartbeat_interval; four missed ones mean it is gone or hostile.
  // At least 2 minutes: a message counts when it has arrived whole, and a 4 MiB batch on a slow
  // WAN link (~300 kbit/s) takes that long, with the heartbeats queued behind it.
  auto idle_timeout = f.agent_idle_timeout.empty()
                          ? absl::StatusOr<absl::Duration>(std::max(
                                4 * heartbeat.value_or(absl::Seconds(15)), absl::Minutes(2)))
                          : PositiveDuration("agent_idle_timeout", f.agent_idle_timeout);
  if (idle_timeout.ok() && heartbeat.ok() && *idle_timeout < 2 * *heartbeat) {
    idle_timeout = absl::InvalidArgumentError(
        absl::StrCat("agent_idle_timeout: ", absl::FormatDuration(*idle_timeout),
                     " is shorter than two heartbeat intervals (",
                     absl::FormatDuration(2 * *heartbeat), "): every agent would be closed"));
  }
  std::string skew_warning, stale_warning;
  auto max_clock_skew = kerbside::ParseDurationFlag("max_clock_skew", f.max_clock_skew,
                                                    absl::Seconds(1), &skew_warning);
  auto stale_after =
      kerbside::ParseDurationFlag("stale_after", f.stale_after, absl::Hours(1), &stale_warning);
  for (const absl::Status& s :
       {heartbeat.status(), exchange.status(), event_window.status(), hello_timeout.status(),
        idle_timeout.status(), max_clock_skew.status(), stale_after.status()}) {
    if (!s.ok()) {
      spdlog::critical("configuration: {}", std::string(s.message()));
      return 2;
    }
  }
  for (const std::string& w : {skew_warning, stale_warning}) {
    if (!w.empty()) spdlog::warn("configuration: {}", w);
  }
  // One socket per agent stream, plus the store, /metrics and the sinks' connections.
  constexpr uint64_t kSpareFiles = 256;
  if (auto files = kerbside::collector::RaiseOpenFileLimit(); !files.ok()) {
    spdlog::warn("open files: {}", files.status().ToString());
  } else if (files->now < f.max_agent_streams + kSpareFiles) {
    spdlog::warn(
        "open files: the limit is {} (hard), fewer than max_agent_streams {} + {} spare: agents "
        "will be refused with 'too many open files' first; raise LimitNOFILE or lower "
        "--max_agent_streams",
        files->now, f.max_agent_streams, kSpareFiles);
  } else if (files->now != files->before) {
    spdlog::info("open files: soft limit raised from {} to {}", files->before, files->now);
  }
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (f.plaintext) {
    spdlog::warn(
        "*** PLAINTEXT MODE: no TLS, no client certificates, no identity checks. Any "
        "process that reaches {} can pose as any host or read the fleet. Use only for "
        "loopback demos. ***",
        f.listen);
    creds = grpc::InsecureServerCredentials();
  } else {
    if (f.ca.empty() || f.cert.empty() || f.key.empty()) {
      spdlog::critical(
          "configuration: ca, cert and key are required (mutual TLS is the "
          "default; --plaintext exists for loopback demos only)");
      return 2;
    }
    auto c = kerbside::MakeMutualTlsServerCredentials({f.ca, f.cert, f.key});
    if (!c.ok()) {
      spdlog::critical("TLS: {}", c.status().ToString());
      return 2;
    }
    creds = *c;
  }

  auto store = SqliteStore::Open(f.db);
  if (!store.ok()) {
    spdlog::critical("store: {}", store.status().ToString());
    return 1;
  }
  const kerbside::Clock& clock = kerbside::RealClock();
  HostRegistry fleet(store->get(), &clock, HostRegistryOptions{.reference_host = f.reference_host});
  if (absl::Status s = fleet.LoadFromStore(); !s.ok()) {
    spdlog::critical("store: {}", s.ToString());
    return 1;
  }
  auto oncall = kerbside::oncall::OnCall::Create(f.oncall, &fleet, store->get(), &clock,
                                                 *max_clock_skew, *stale_after, *event_window);
  if (!oncall.ok()) {
    spdlog::critical("configuration: {}", std::string(oncall.status().message()));
    return 2;
  }
  AgentServiceImpl agents(&fleet, store->get(), &clock,
                          AgentServiceOptions{.plaintext = f.plaintext,
                                              .template_roles = template_roles,
                                              .heartbeat_interval = *heartbeat,
                                              .time_exchange_interval = *exchange,
                                              .event_window = *event_window,
                                              .on_ingest = (*oncall)->IngestHook(),
                                              .stream_limits =
                                                  {
                                                      .max_streams = f.max_agent_streams,
                                                      .hello_timeout = *hello_timeout,
                                                      .idle_timeout = *idle_timeout,
                                                  },
                                              .stream_clock = &kerbside::MonotonicClock()});
  QueryServiceImpl query(&fleet, store->get(), &clock,
                         {.plaintext = f.plaintext,
                          .live = {.max_clock_skew = *max_clock_skew,
                                   .stale_after = *stale_after,
                                   .event_window = *event_window}});

  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(f.listen, creds, &bound_port);
  builder.RegisterService(&agents);
  builder.RegisterService(&query);
  // Explicit, not gRPC's default: an agent's batch is at most kMaxBatchBytes; a larger message
  // ends that agent's stream (logged at its disconnection), never the collector.
  builder.SetMaxReceiveMessageSize(static_cast<int>(kerbside::kMaxAgentMessageBytes));
  // Agents keep one stream open for days; keepalives find dead peers behind NAT or firewalls.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10 * 1000);
  // gRPC sets SO_REUSEPORT by default: a second collector on the same port would bind too and
  // take half the agents. One collector per port.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Not GRPC_ARG_TSI_MAX_FRAME_SIZE: a 4 KB frame would save 12 KB per stream, but with gRPC 1.51
  // about 1 in 1,000 connections then failed during the ramp ("Corruption detected", "wrong
  // version number" at the agent; measured with bench/stream_load at 4,000 and 8,000 streams,
  // none without it).
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || bound_port == 0) {
    spdlog::critical("cannot listen on {} (in use by another process, a second collector?)",
                     f.listen);
    return 1;
  }
  spdlog::info("listening on {} (port {}), store {} schema {}, {}", f.listen, bound_port, f.db,
               SqliteStore::LatestSchemaVersion(), f.plaintext ? "PLAINTEXT" : "mutual TLS");

  (*oncall)->Start();

  std::thread signals = kerbside::WaitForTerminationSignal([&](int signo) {
    spdlog::info("signal {}: shutting down", signo);
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  });
  server->Wait();
  signals.join();
  (*oncall)->Stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  kerbside::BlockTerminationSignals();
  kerbside::IgnoreBrokenPipes();
  kerbside::DisableMutexDeadlockDetection();
  CLI::App app{"kerbside-collector: keeps the fleet's evidence and clocks, serves the CLI"};
  Flags f;
  app.set_config("--config", "", "TOML/INI configuration file (keys as the long flags)");
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.add_option("--listen", f.listen, "address:port to listen on")->capture_default_str();
  app.add_option("--db", f.db, "SQLite store path")->capture_default_str();
  app.add_option("--ca", f.ca, "fleet CA certificate (PEM)");
  app.add_option("--cert", f.cert, "collector certificate (PEM)");
  app.add_option("--key", f.key, "collector private key (PEM)");
  app.add_option("--host_template", f.host_templates,
                 "TEMPLATE=exchange|dc: client certificates from this AD CS template (name or "
                 "OID) are host certificates of that role (repeat; see docs/deploy-windows.md)");
  app.add_flag("--plaintext", f.plaintext, "no TLS at all (loopback demos only; loud warning)");
  app.add_option("--reference_host", f.reference_host,
                 "host whose clock the others are compared with (default: the PDC emulator)");
  app.add_option("--heartbeat_interval", f.heartbeat_interval, "agent heartbeat interval")
      ->capture_default_str();
  app.add_option("--time_exchange_interval", f.time_exchange_interval,
                 "interval between clock exchanges with each agent")
      ->capture_default_str();
  app.add_option("--event_window", f.event_window,
                 "how long events are kept after their last occurrence (collector clock)")
      ->capture_default_str();
  app.add_option("--max_agent_streams", f.max_agent_streams,
                 "agent streams held at once (one thread each); more are refused")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--agent_hello_timeout", f.agent_hello_timeout,
                 "a new stream without a hello this long is closed")
      ->capture_default_str();
  app.add_option(
      "--agent_idle_timeout", f.agent_idle_timeout,
      "an agent stream silent this long is closed (default: 4 heartbeat intervals, >= 2m)");
  app.add_option("--log_level", f.log_level, "trace|debug|info|warn|error")->capture_default_str();
  app.add_option("--max_clock_skew", f.max_clock_skew,
                 "Kerberos tolerance (domain policy), e.g. 5m; a bare number is seconds")
      ->capture_default_str();
  app.add_option("--stale_after", f.stale_after,
                 "evidence older than this is stale and cannot alone confirm a cause, e.g. 24h")
      ->capture_default_str();
  // The older spelling, in hours; still accepted (ParseDurationFlag warns).
  app.add_option("--stale_after_hours", f.stale_after, "deprecated: --stale_after in hours");
  kerbside::oncall::AddOnCallFlags(app, &f.oncall);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return kerbside::ExitForParseError(app, e, "kerbside-collector");
  }
  return Run(f);
}
