// Windows: the KDC probes (portable, common/kerberos over Winsock), service tickets and the SMTP
// probe's GSSAPI authentication through SSPI, and the directory through wldap32, all with the
// process's own credentials (the machine account of a LocalSystem service).

#include "agent/platform/win_util.h"
#include "agent/probes/gss_initiator_sspi.h"
#include "agent/probes/kdc_probe.h"
#include "agent/probes/net.h"
#include "agent/probes/run_all.h"
#include "agent/probes/smtp_probe.h"
#include "agent/probes/sspi_ticket_probe.h"
#include "agent/sources/dc_directory_source.h"
#include "agent/sources/platform_sources.h"
#include "agent/sources/probe_source.h"
#include "agent/sources/unavailable_source.h"
#include "common/clock.h"
#include "common/proto_time.h"

namespace kerbside::agent {
namespace {

// A round: the KDC probes, then, concurrently, a ticket for SMTPSVC/<short> and SMTPSVC/<fqdn> of
// every peer and the SMTP probe of every peer and port, both with this process's own credentials
// (the machine account, when run as LocalSystem).
v1::ProbeResults RunWindowsProbeRound(const probes::ProbeRunnerOptions& options,
                                      const probes::ProbeTargets& targets, const Clock& clock) {
  v1::ProbeResults results = probes::RunKdcProbeRound(options, targets, clock);
  std::vector<probes::ServiceToProbe> services;
  for (const probes::PeerTarget& p : targets.peers) {
    for (const std::string& s : probes::SmtpServiceNames(p.name)) services.push_back({p.name, s});
  }
  const std::vector<probes::SmtpTarget> smtp_targets =
      probes::SmtpTargetsFor(targets.peers, options.smtp_ports);
  probes::SmtpProbeOptions smtp_options;
  smtp_options.ehlo_name = options.ehlo_name.empty() ? "localhost" : options.ehlo_name;
  smtp_options.step_timeout = options.attempt_timeout;
  smtp_options.gss = probes::SspiGssInitiatorFactory(
      win::RunningUnderWine() ? probes::SspiWrapLayout::kWine8 : probes::SspiWrapLayout::kWindows);
  std::vector<v1::TicketProbe> tickets;
  std::vector<v1::SmtpProbe> smtp(smtp_targets.size());
  std::vector<std::function<void()>> tasks;
  tasks.push_back([&]() { tickets = probes::ProbeTicketsSspi(options.realm, services, clock); });
  for (size_t i = 0; i < smtp_targets.size(); ++i) {
    tasks.push_back(
        [&, i]() { smtp[i] = probes::ProbeSmtp(smtp_targets[i], smtp_options, clock); });
  }
  probes::RunAll(tasks, options.concurrency);
  for (v1::TicketProbe& t : tickets) *results.add_tickets() = std::move(t);
  for (v1::SmtpProbe& s : smtp) *results.add_smtp() = std::move(s);
  *results.mutable_finished_host_time() = ToProto(clock.Now());
  return results;
}

}  // namespace

ProbeSource::Runner PlatformProbeRound() { return RunWindowsProbeRound; }

std::unique_ptr<Source> MakeSambaDcSource(const AgentConfig& c, const SourceContext&) {
  return std::make_unique<UnavailableSource>(
      "samba_dc", c.samba_interval,
      "samba_ldap_uri reads a Samba DC with OpenLDAP and samba-tool, which exist only on Linux; "
      "a Windows DC reads its directory with the directory source (directory = auto)");
}

bool HasMachineAccountLdap() { return true; }

std::unique_ptr<Source> MakeDirectorySource(const AgentConfig& c, const SourceContext& ctx) {
  DcDirectoryOptions o;
  o.source_id = "directory";
  o.dc = c.identity.netbios_name();
  o.ldap = {.uri = c.directory_ldap_uri,
            .ca_file = "",
            .bind_dn = "",
            .password = "",
            .timeout = c.directory_timeout};
  o.base_dn = c.directory_base_dn;
  o.exchange_servers = c.exchange_servers;
  o.inventory = ctx.inventory;
  o.interval = c.directory_interval;
  o.timeout = c.directory_timeout;
  return std::make_unique<DcDirectorySource>(std::move(o));
}

void PrepareProbeEnvironment() { probes::InitializeSockets(); }

}  // namespace kerbside::agent
