// kerbside-agent: runs on every Exchange server and domain controller and streams to the
// collector.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "agent/config.h"
#include "agent/probes/probe_report.h"
#include "agent/probes/probe_runner.h"
#include "agent/sources/source.h"
#include "agent/sources/source_runner.h"
#include "agent/stream_client.h"
#include "common/cli_errors.h"
#include "common/clock.h"
#include "common/grpc_tls.h"
#include "common/logging.h"
#include "common/probes/probes_json.h"
#include "common/signals.h"
#include "grpcpp/security/credentials.h"
#include "spdlog/spdlog.h"

namespace {

int Run(const kerbside::agent::AgentFlags& flags) {
  auto config = kerbside::agent::ValidateAgentFlags(flags);
  if (!config.ok()) {
    std::fprintf(stderr, "kerbside-agent: configuration: %s\n",
                 std::string(config.status().message()).c_str());
    return 2;
  }
  if (!config->probes.runner.realm.empty()) {
    // As for `probe --once`: GSS-API's own krb5 contexts must not read /etc/krb5.conf. Set
    // before the credentials below start gRPC's threads.
    setenv("KRB5_CONFIG", "/dev/null", 1);
  }
  if (absl::Status s = kerbside::SetupLogging("agent", config->log_level); !s.ok()) {
    std::fprintf(stderr, "kerbside-agent: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (config->plaintext) {
    spdlog::warn(
        "*** PLAINTEXT MODE: the stream to {} is neither encrypted nor authenticated. "
        "Use only for loopback demos. ***",
        config->collector);
    creds = grpc::InsecureChannelCredentials();
  } else {
    auto c = kerbside::MakeMutualTlsChannelCredentials(config->tls);
    if (!c.ok()) {
      spdlog::critical("TLS: {}", c.status().ToString());
      return 2;
    }
    creds = *c;
  }
  spdlog::info("starting as {} ({}, {}) site={} collector={}", config->identity.netbios_name(),
               config->identity.fqdn(), kerbside::v1::Role_Name(config->identity.role()),
               config->identity.site(), config->collector);
  kerbside::agent::StreamClient client(*config, creds, &kerbside::RealClock());
  std::thread signals = kerbside::WaitForTerminationSignal([&](int signo) {
    spdlog::info("signal {}: stopping", signo);
    client.Stop();
  });
  kerbside::agent::SourceRunner sources(
      kerbside::agent::MakeSources(
          *config,
          {.clock = &kerbside::RealClock(), .inventory = [&client] { return client.inventory(); }}),
      &kerbside::RealClock(),
      [&client](kerbside::v1::EvidenceBatch b) { client.Publish(std::move(b)); });
  sources.Start();
  client.Run();
  sources.Stop();
  // Run() only returns after Stop(), which only the signal thread calls.
  signals.join();
  spdlog::info("stopped");
  return 0;
}

// `kerbside-agent probe --once [--json]`: every probe once, a report or probes.json on stdout.
// Exit 0 when the probes ran, whatever they found; 2 on configuration errors.
int RunProbeOnce(const kerbside::agent::AgentFlags& flags, bool once, bool json) {
  if (!once) {
    std::fprintf(stderr,
                 "kerbside-agent probe: only --once is supported; the agent's stream will run "
                 "the probes on its schedule\n");
    return 2;
  }
  auto config = kerbside::agent::ValidateProbeFlags(flags, /*require_targets=*/true);
  if (!config.ok()) {
    std::fprintf(stderr, "kerbside-agent: configuration: %s\n",
                 std::string(config.status().message()).c_str());
    return 2;
  }
  // Our own krb5 contexts read only kerbside's settings; GSS-API's krb5 mechanism creates
  // contexts of its own from KRB5_CONFIG, so point it at an empty profile: /etc/krb5.conf
  // must decide nothing (the ticket it needs is already in our MEMORY ccache). Set before any
  // thread starts.
  setenv("KRB5_CONFIG", "/dev/null", 1);
  const kerbside::v1::ProbeResults results =
      kerbside::agent::probes::RunProbes(config->runner, config->targets, kerbside::RealClock());
  if (json) {
    std::cout << kerbside::ProbeResultsToJson(results).dump(2) << "\n";
  } else {
    std::cout << kerbside::agent::probes::FormatProbeReport(results);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  kerbside::BlockTerminationSignals();
  CLI::App app{"kerbside-agent: streams this host's evidence and clock to the collector"};
  kerbside::agent::AgentFlags f;
  app.set_config("--config", "", "TOML/INI configuration file (keys as the long flags)");
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.add_option("--collector", f.collector, "collector address host:port")->capture_default_str();
  app.add_option("--ca", f.ca, "fleet CA certificate (PEM)");
  app.add_option("--cert", f.cert, "this host's certificate (PEM)");
  app.add_option("--key", f.key, "this host's private key (PEM)");
  app.add_flag("--plaintext", f.plaintext, "no TLS (loopback demos only)");
  app.add_option("--netbios_name", f.netbios_name, "this host's NetBIOS name, e.g. EX01");
  app.add_option("--fqdn", f.fqdn, "this host's DNS name, e.g. ex01.contoso.com");
  app.add_option("--role", f.role, "exchange or dc");
  app.add_option("--site", f.site, "AD site");
  app.add_option("--domain", f.domain, "AD DNS domain (default: from the FQDN)");
  app.add_option("--ip", f.ips, "an IP address of this host (repeat)");
  app.add_flag("--pdc_emulator", f.pdc_emulator, "this DC holds the PDC emulator role");
  app.add_option("--heartbeat_interval", f.heartbeat_interval)->capture_default_str();
  app.add_option("--backoff_initial", f.backoff_initial)->capture_default_str();
  app.add_option("--backoff_max", f.backoff_max)->capture_default_str();
  app.add_option("--log_level", f.log_level, "trace|debug|info|warn|error")->capture_default_str();
  app.add_option("--host_folder", f.host_folder,
                 "read this host's evidence from a folder in the bundle layout");
  app.add_option("--host_folder_interval", f.host_folder_interval)->capture_default_str();
  // Samba AD DC source (config keys as the long flags).
  app.add_option("--samba_ldap_uri", f.samba_ldap_uri,
                 "read this DC's directory: ldaps://HOST or ldap://HOST (StartTLS)");
  app.add_option("--samba_ldap_ca", f.samba_ldap_ca, "CA of the DC's LDAP certificate (PEM)");
  app.add_option("--samba_bind_dn", f.samba_bind_dn, "account for the simple bind (DN or UPN)");
  app.add_option("--samba_bind_password_file", f.samba_bind_password_file,
                 "file holding that account's password");
  app.add_option("--samba_base_dn", f.samba_base_dn, "default: from --domain");
  app.add_option("--exchange_server", f.exchange_servers,
                 "NetBIOS name of an Exchange server whose account to read (repeat)");
  app.add_option("--samba_showrepl", f.samba_showrepl,
                 "also read replication with samba-tool drs showrepl --json (true|false)")
      ->capture_default_str();
  app.add_option("--samba_tool", f.samba_tool)->capture_default_str();
  app.add_option("--samba_smb_conf", f.samba_smb_conf, "smb.conf for samba-tool -s");
  app.add_option("--samba_interval", f.samba_interval)->capture_default_str();
  app.add_option("--samba_timeout", f.samba_timeout)->capture_default_str();
  // Probe settings (config keys as the long flags).
  app.add_option("--realm", f.realm, "Kerberos realm, e.g. CONTOSO.COM");
  app.add_option("--kdc", f.kdcs, "a domain controller to probe, host[:port] (repeat)");
  app.add_option("--peer", f.peers, "an Exchange peer to probe, name[=host] (repeat)");
  app.add_option("--smtp_ports", f.smtp_ports, "SMTP ports to probe")->capture_default_str();
  app.add_option("--keytab", f.keytab, "this host's keytab (tickets and GSSAPI probes)");
  app.add_option("--host_principal", f.host_principal, "default: the keytab's first principal");
  app.add_option("--kdc_probe_client", f.kdc_probe_client, "client name of the AS-REQ probe")
      ->capture_default_str();
  app.add_option("--probe_interval", f.probe_interval)->capture_default_str();
  app.add_option("--probe_attempt_timeout", f.probe_attempt_timeout)->capture_default_str();
  app.add_option("--probe_concurrency", f.probe_concurrency)->capture_default_str();
  app.add_option("--probe_kpasswd", f.probe_kpasswd, "also probe port 464 (true|false)")
      ->capture_default_str();
  bool once = false, json = false;
  CLI::App* probe = app.add_subcommand("probe", "run every probe and print the results");
  probe->add_flag("--once", once, "run every probe once and exit");
  probe->add_flag("--json", json, "print probes.json (docs/probes-json.md)");
  probe->fallthrough();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return kerbside::ExitForParseError(app, e, "kerbside-agent");
  }
  if (probe->parsed()) return RunProbeOnce(f, once, json);
  return Run(f);
}
