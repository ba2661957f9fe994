// kerbside-agent: runs on every Exchange server and domain controller and streams to the
// collector.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/random/random.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "agent/config.h"
#include "agent/config_keys.h"
#include "agent/config_policy.h"
#include "agent/enrollment/enrollment.h"
#include "agent/platform/host_identity.h"
#include "agent/platform/log_sinks.h"
#include "agent/platform/policy_store.h"
#include "agent/platform/service.h"
#include "agent/policy_templates.h"
#include "agent/sources/command.h"
#include "agent/sources/platform_sources.h"
#include "agent/sources/source.h"
#include "agent/sources/source_runner.h"
#include "agent/spool.h"
#include "agent/stream_client.h"
#include "common/cli_errors.h"
#include "common/clock.h"
#include "common/grpc_tls.h"
#include "common/logging.h"
#include "common/mutex_mode.h"
#include "common/signals.h"
#include "common/waiter.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/security/credentials.h"
#include "spdlog/spdlog.h"

namespace {

using kerbside::agent::AgentConfig;
using kerbside::agent::AgentFlags;

// The settings in force: flags and file, then the policy over them (it wins).
// `effective` receives the settings the configuration was made from.
absl::StatusOr<AgentConfig> LoadConfig(const AgentFlags& base,
                                       kerbside::agent::platform::PolicyStore& policy,
                                       std::vector<std::string>* from_policy,
                                       AgentFlags* effective) {
  AgentFlags flags = base;
  auto values = policy.Read();
  if (!values.ok()) return values.status();
  if (absl::Status s = kerbside::agent::ApplyPolicy(*values, policy.origin(), &flags, from_policy);
      !s.ok()) {
    return s;
  }
  *effective = flags;
  if (!flags.enroll_template.empty()) {
    if (flags.enroll_command.empty()) {
      flags.enroll_command = kerbside::agent::platform::DefaultEnrollCommand();
    }
    if (flags.enroll_dir.empty()) {
      flags.enroll_dir = kerbside::agent::platform::DefaultEnrollDirectory();
    }
  }
  return kerbside::agent::ValidateAgentFlags(flags);
}

// One run of the agent with one configuration: until Stop() (a signal, a service stop, or a
// changed policy).
class AgentSession {
 public:
  AgentSession(AgentConfig config, kerbside::agent::Spool* spool)
      : config_(std::move(config)), spool_(spool) {}

  int Run() {
    std::shared_ptr<grpc::ChannelCredentials> creds;
    absl::Time renew_at = absl::InfiniteFuture();
    if (!config_.enrollment.template_name.empty()) {
      std::optional<kerbside::agent::Enroller::Enrolled> enrolled = Enroll();
      if (!enrolled) return 0;  // stopped while waiting for the CA
      config_.tls.cert_file = enrolled->cert_path;
      config_.tls.key_file = enrolled->key_path;
      renew_at = enrolled->renew_at;
    }
    if (config_.plaintext) {
      spdlog::warn(
          "*** PLAINTEXT MODE: the stream to {} is neither encrypted nor authenticated. "
          "Use only for loopback demos. ***",
          config_.collector);
      creds = grpc::InsecureChannelCredentials();
    } else {
      auto c = kerbside::MakeMutualTlsChannelCredentials(config_.tls);
      if (!c.ok()) {
        spdlog::critical("TLS: {}", c.status().ToString());
        return 2;
      }
      creds = *c;
    }
    spdlog::info("starting as {} ({}, {}) site={} collector={}", config_.identity.netbios_name(),
                 config_.identity.fqdn(), kerbside::v1::Role_Name(config_.identity.role()),
                 config_.identity.site(), config_.collector);
    kerbside::agent::StreamClient client(config_, creds, &kerbside::RealClock(), spool_);
    {
      std::lock_guard lock(mu_);
      if (stopped_) return 0;
      client_ = &client;
    }
    kerbside::agent::SourceRunner sources(
        kerbside::agent::MakeSources(config_,
                                     {.clock = &kerbside::RealClock(),
                                      .inventory = [&client] { return client.inventory(); }}),
        &kerbside::RealClock(), [&client](kerbside::v1::EvidenceBatch b, bool supersedes) {
          client.Publish(std::move(b), supersedes);
        });
    sources.ResumeAfterSpooled(spool_->Pending());
    client.set_on_acknowledged(
        [&sources](const kerbside::v1::EvidenceBatch& b) { sources.Acknowledged(b); });
    sources.Start();
    // Renewal restarts the session, which enrolls again before it connects.
    std::thread renewal([&] {
      if (renew_at == absl::InfiniteFuture() || wake_.SleepUntil(renew_at)) return;
      spdlog::info("certificate renewal due: restarting the session");
      client.Stop();
    });
    client.Run();
    wake_.Stop();
    renewal.join();
    sources.Stop();
    std::lock_guard lock(mu_);
    client_ = nullptr;
    return 0;
  }

  void Stop() {
    std::lock_guard lock(mu_);
    stopped_ = true;
    wake_.Stop();
    if (client_ != nullptr) client_->Stop();
  }

 private:
  // Until the CA issues a certificate, or Stop(); retried like a reconnection (backoff_initial,
  // doubling up to backoff_max). A CA that is down at boot delays the agent, not fails it.
  std::optional<kerbside::agent::Enroller::Enrolled> Enroll() {
    const kerbside::agent::EnrollmentConfig& e = config_.enrollment;
    kerbside::agent::Enroller enroller(
        {.template_name = e.template_name, .ca = e.ca, .command = e.command, .dir = e.dir},
        config_.identity.netbios_name(), config_.identity.fqdn(), &kerbside::RealClock(),
        [](const std::vector<std::string>& argv, absl::Duration timeout) {
          return kerbside::agent::RunCommand(argv, timeout);
        });
    absl::Duration delay = config_.backoff_initial;
    while (true) {
      auto enrolled = enroller.Ensure();
      if (enrolled.ok()) return *std::move(enrolled);
      // A denial (the template's permissions) stands until an admin acts: ask again hourly, not
      // at the reconnection backoff, or the CA logs a denied request every minute.
      if (absl::IsPermissionDenied(enrolled.status())) delay = std::max(delay, absl::Hours(1));
      spdlog::error("{}; trying again in {}", std::string(enrolled.status().message()),
                    absl::FormatDuration(delay));
      if (wake_.SleepUntil(kerbside::RealClock().Now() + delay)) return std::nullopt;
      delay = std::min(delay * 2, config_.backoff_max);
    }
  }

  kerbside::Waiter wake_{&kerbside::RealClock()};
  AgentConfig config_;
  kerbside::agent::Spool* spool_;
  std::mutex mu_;
  bool stopped_ = false;                             // guarded by mu_
  kerbside::agent::StreamClient* client_ = nullptr;  // guarded by mu_
};

std::string RandomSpoolId() {
  absl::BitGen gen;
  return absl::StrFormat("%016x", absl::Uniform<uint64_t>(gen));
}

// Runs the agent until a termination signal (or a service stop, which raises one). A changed
// policy restarts the session with the new settings; a policy that does not validate is logged
// and the running settings stay.
// `kerbside-agent collect --once`: what each source would send, as on-call would check a host by
// hand (and as the Wine trials read the Windows sources). Exit 0 when every source ran and none
// is FAILING, 1 when one is, 2 for a configuration error or an unknown --source.
int CollectOnce(const AgentFlags& base, const std::string& only_source) {
  auto policy = kerbside::agent::platform::MakePolicyStore();
  AgentFlags flags = base;
  std::vector<std::string> from_policy;
  auto values = policy->Read();
  absl::Status s =
      values.ok() ? kerbside::agent::ApplyPolicy(*values, policy->origin(), &flags, &from_policy)
                  : values.status();
  absl::StatusOr<AgentConfig> config =
      s.ok() ? kerbside::agent::ValidateAgentFlags(flags, /*need_collector=*/false)
             : absl::StatusOr<AgentConfig>(s);
  if (!config.ok()) {
    std::fprintf(stderr, "kerbside-agent: configuration: %s\n",
                 std::string(config.status().message()).c_str());
    return 2;
  }
  (void)kerbside::SetupLogging("agent", config->log_level, {});
  if (!config->probes.runner.realm.empty()) kerbside::agent::PrepareProbeEnvironment();
  const kerbside::Clock& clock = kerbside::RealClock();
  std::vector<std::unique_ptr<kerbside::agent::Source>> sources = kerbside::agent::MakeSources(
      *config, {.clock = &clock, .inventory = [] { return kerbside::v1::Inventory(); }});
  std::vector<std::string> ids;
  int ran = 0, failing = 0;
  for (const auto& source : sources) {
    ids.push_back(source->id());
    if (!only_source.empty() && source->id() != only_source) continue;
    kerbside::v1::EvidenceBatch batch = source->Collect(clock.Now());
    batch.set_source(source->id());
    std::string out;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    if (!google::protobuf::util::MessageToJsonString(batch, &out, options).ok()) {
      out = "{}";
    }
    std::printf("%s\n", out.c_str());
    ++ran;
    failing += batch.health().state() == kerbside::v1::SourceHealth::FAILING;
  }
  if (ran == 0) {
    std::fprintf(stderr, "kerbside-agent collect: no enabled source '%s' (enabled: %s)\n",
                 only_source.c_str(), absl::StrJoin(ids, ", ").c_str());
    return 2;
  }
  return failing > 0 ? 1 : 0;
}

// `wait_for_policy` (the service): settings that do not validate are waited on until Group Policy
// completes them. An MSI that Group Policy assigns may install and start the service before the
// policy's settings arrive; a service that exited would fail the installation and roll it back.
int RunAgent(const AgentFlags& base, bool wait_for_policy = false,
             absl::Status service_settings = absl::OkStatus()) {
  auto policy = kerbside::agent::platform::MakePolicyStore();
  std::vector<std::string> from_policy;
  AgentFlags running;  // the settings the running session was made from
  std::mutex mu;
  bool terminating = false;               // guarded by mu
  std::shared_ptr<AgentSession> session;  // guarded by mu
  std::thread signals = kerbside::WaitForTerminationSignal([&](int signo) {
    spdlog::info("signal {}: stopping", signo);
    std::lock_guard lock(mu);
    terminating = true;
    if (session) session->Stop();
    policy->Cancel();
  });
  // Every return ends the signal thread: by the signal it waited for, or by raising one.
  auto finish = [&](int code) {
    kerbside::RaiseTermination();
    signals.join();
    return code;
  };
  auto config = LoadConfig(base, *policy, &from_policy, &running);
  if (!config.ok() && wait_for_policy) {
    (void)kerbside::SetupLogging("agent", "info", kerbside::agent::platform::PlatformLogSinks());
    spdlog::critical("configuration: {}; waiting for Group Policy ({}) to complete it",
                     std::string(config.status().message()), policy->origin());
    while (!config.ok()) {
      if (!policy->WaitForChange()) {
        spdlog::info("stopped before the configuration was complete");
        return finish(0);
      }
      config = LoadConfig(base, *policy, &from_policy, &running);
      if (!config.ok()) {
        spdlog::error("policy {} changed, settings still incomplete: {}", policy->origin(),
                      std::string(config.status().message()));
      }
    }
    spdlog::info("policy {} completed the settings: starting", policy->origin());
  }
  if (!config.ok()) {
    // Said on stderr and, on Windows, in the event log: a service has no terminal.
    (void)kerbside::SetupLogging("agent", "info", kerbside::agent::platform::PlatformLogSinks());
    spdlog::critical("configuration: {}", std::string(config.status().message()));
    std::fprintf(stderr, "kerbside-agent: configuration: %s\n",
                 std::string(config.status().message()).c_str());
    return finish(2);
  }
  if (absl::Status s = kerbside::SetupLogging("agent", config->log_level,
                                              kerbside::agent::platform::PlatformLogSinks());
      !s.ok()) {
    std::fprintf(stderr, "kerbside-agent: %s\n", std::string(s.message()).c_str());
    return finish(2);
  }
  if (!service_settings.ok()) {
    spdlog::warn("service settings the installer leaves to the agent: {}",
                 std::string(service_settings.message()));
  }
  if (!from_policy.empty()) {
    spdlog::info("policy {} sets: {}", policy->origin(), absl::StrJoin(from_policy, ", "));
  }
  if (!config->probes.runner.realm.empty()) kerbside::agent::PrepareProbeEnvironment();
  // One spool for the process: a policy change restarts the session, not the spool.
  const std::string spool_dir = config->spool_dir.empty()
                                    ? kerbside::agent::platform::DefaultSpoolDirectory()
                                    : config->spool_dir;
  auto spool = kerbside::agent::Spool::Open(spool_dir, config->spool_max_bytes, RandomSpoolId());
  if (!spool.ok()) {
    spdlog::critical("spool: {}", spool.status().ToString());
    return finish(2);
  }
  for (const std::string& w : (*spool)->open_warnings()) spdlog::warn("spool: {}", w);
  spdlog::info("spool {} in {}: {} batches not yet acknowledged", (*spool)->id(),
               spool_dir.empty() ? "memory" : spool_dir, (*spool)->pending_count());

  std::thread watcher([&] {
    while (policy->WaitForChange()) {
      std::vector<std::string> names;
      AgentFlags effective;
      auto next = LoadConfig(base, *policy, &names, &effective);
      if (!next.ok()) {
        spdlog::error("policy {} changed but cannot be used, keeping the running settings: {}",
                      policy->origin(), std::string(next.status().message()));
        continue;
      }
      std::lock_guard lock(mu);
      if (terminating) break;
      // Group Policy rewrites its values at every refresh (90 minutes, and at boot): only a
      // change of the settings restarts the session.
      if (effective == running) {
        spdlog::info("policy {} rewritten, settings unchanged", policy->origin());
        continue;
      }
      spdlog::info("policy {} changed: restarting with the new settings", policy->origin());
      running = effective;
      *config = *std::move(next);
      if (session) session->Stop();
    }
  });
  int code = 0;
  while (true) {
    std::shared_ptr<AgentSession> current;
    {
      std::lock_guard lock(mu);
      if (terminating) break;
      session = std::make_shared<AgentSession>(*config, spool->get());
      current = session;
    }
    code = current->Run();
    if (code != 0) break;
  }
  {
    std::lock_guard lock(mu);
    terminating = true;
  }
  policy->Cancel();
  watcher.join();
  if (code != 0) kerbside::RaiseTermination();  // the signal thread waits for it
  signals.join();
  spdlog::info("stopped");
  return code;
}

// kerbside-agent policy-templates --out DIR: the ADMX and its en-US ADML, rendered from the
// agent's own settings table, so the templates an admin installs match this agent.
int WritePolicyTemplates(const std::string& dir) {
  auto files = kerbside::agent::RenderPolicyTemplates();
  if (!files.ok()) {
    std::fprintf(stderr, "kerbside-agent: %s\n", std::string(files.status().message()).c_str());
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(dir) / "en-US", ec);
  if (ec) {
    std::fprintf(stderr, "kerbside-agent: %s: %s\n", dir.c_str(), ec.message().c_str());
    return 1;
  }
  for (const auto& [rel, text] :
       {std::pair<const char*, const std::string*>{"kerbside.admx", &files->admx},
        {"en-US/kerbside.adml", &files->adml}}) {
    const std::filesystem::path path = std::filesystem::path(dir) / rel;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << *text;
    out.close();
    if (!out) {
      std::fprintf(stderr, "kerbside-agent: cannot write %s\n", path.string().c_str());
      return 1;
    }
    std::printf("%s\n", path.string().c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  kerbside::BlockTerminationSignals();
  kerbside::IgnoreBrokenPipes();
  kerbside::DisableMutexDeadlockDetection();
  CLI::App app{"kerbside-agent: streams this host's evidence and clock to the collector"};
  AgentFlags f;
  std::string config_file;
  app.set_config("--config", "", "TOML/INI configuration file (keys as the long flags)");
  app.allow_config_extras(CLI::config_extras_mode::error);
  for (const kerbside::agent::ConfigKey& key : kerbside::agent::AgentConfigKeys()) {
    const std::string flag = std::string("--") + key.name;
    switch (key.kind) {
      case kerbside::agent::ConfigKeyKind::kFlag:
        app.add_flag(flag, f.*std::get<bool AgentFlags::*>(key.field), key.help);
        break;
      case kerbside::agent::ConfigKeyKind::kBoolean:
        app.add_option(flag, f.*std::get<bool AgentFlags::*>(key.field), key.help)
            ->capture_default_str();
        break;
      case kerbside::agent::ConfigKeyKind::kList:
        app.add_option(flag, f.*std::get<std::vector<std::string> AgentFlags::*>(key.field),
                       key.help);
        break;
      case kerbside::agent::ConfigKeyKind::kText:
        app.add_option(flag, f.*std::get<std::string AgentFlags::*>(key.field), key.help)
            ->capture_default_str();
        break;
    }
  }
  bool as_service = false, install = false, uninstall = false;
  app.add_flag("--service", as_service, "run as the Windows service (the SCM starts it so)");
  app.add_flag("--install", install,
               "install the Windows service, started with --config of this command line");
  app.add_flag("--uninstall", uninstall, "stop and remove the Windows service");
  bool once = false, json = false;
  CLI::App* probe = app.add_subcommand("probe", "run every probe and print the results");
  probe->add_flag("--once", once, "run every probe once and exit");
  probe->add_flag("--json", json, "print probes.json (docs/probes-json.md)");
  probe->fallthrough();
  std::string only_source;
  CLI::App* collect = app.add_subcommand(
      "collect", "run each enabled source once and print its batch as JSON (nothing is sent)");
  collect->add_flag("--once", once, "collect once and exit");
  collect->add_option("--source", only_source, "only this source (e.g. directory, host_tools)");
  collect->fallthrough();
  std::string templates_dir;
  CLI::App* templates = app.add_subcommand(
      "policy-templates",
      "write the Group Policy templates (kerbside.admx, en-US/kerbside.adml) into a folder, "
      "e.g. the domain's central store");
  templates->add_option("--out", templates_dir, "the folder (PolicyDefinitions)")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return kerbside::ExitForParseError(app, e, "kerbside-agent");
  }
  // Names nobody gave come from the host (on Windows): a fleet-wide policy cannot carry them.
  // The policy, applied over these, still wins.
  const kerbside::agent::platform::LocalHostNames host =
      kerbside::agent::platform::DetectLocalHostNames();
  if (f.netbios_name.empty()) f.netbios_name = host.netbios_name;
  if (f.fqdn.empty()) f.fqdn = host.fqdn;
  if (f.site.empty()) f.site = host.site;
  if (probe->parsed()) {
    if (!once) {
      std::fprintf(stderr,
                   "kerbside-agent probe: only --once is supported; the agent's stream will run "
                   "the probes on its schedule\n");
      return 2;
    }
    return kerbside::agent::RunProbesOnce(f, json);
  }
  if (templates->parsed()) return WritePolicyTemplates(templates_dir);
  if (collect->parsed()) {
    if (!once) {
      std::fprintf(stderr, "kerbside-agent collect: only --once is supported\n");
      return 2;
    }
    return CollectOnce(f, only_source);
  }
  namespace platform = kerbside::agent::platform;
  if (install || uninstall) {
    absl::Status s;
    if (install) {
      // The service reads the same file (an absolute path: a service starts in System32).
      std::vector<std::string> args;
      if (const std::string file = app.get_config_ptr()->as<std::string>(); !file.empty()) {
        args = {"--config", std::filesystem::absolute(file).string()};
      }
      s = platform::InstallService(args);
    } else {
      s = platform::UninstallService();
    }
    if (!s.ok()) {
      std::fprintf(stderr, "kerbside-agent: %s\n", std::string(s.message()).c_str());
      return 1;
    }
    std::printf("kerbside-agent: service %s\n", install ? "installed" : "removed");
    return 0;
  }
  if (as_service) {
    int code = 0;
    absl::Status s = platform::RunAsService(
        [&] {
          return code = RunAgent(f, /*wait_for_policy=*/true, platform::ApplyServiceSettings());
        },
        [] { kerbside::RaiseTermination(); });
    if (!s.ok()) {
      std::fprintf(stderr, "kerbside-agent: %s\n", std::string(s.message()).c_str());
      return 2;
    }
    return code;
  }
  return RunAgent(f);
}
