// Windows: the KDC probes (portable, common/kerberos over Winsock) and service tickets through
// SSPI run; the SMTP probe and the directory source (wldap32) are not built yet, and say so, so
// the collector shows "not checked" rather than "healthy".
#include <cstdio>
#include <iostream>

#include "agent/probes/kdc_probe.h"
#include "agent/probes/net.h"
#include "agent/probes/probe_report.h"
#include "agent/probes/sspi_ticket_probe.h"
#include "agent/sources/platform_sources.h"
#include "agent/sources/probe_source.h"
#include "agent/sources/unavailable_source.h"
#include "common/clock.h"
#include "common/probes/probes_json.h"
#include "common/proto_time.h"

namespace kerbside::agent {
namespace {

constexpr char kNotBuilt[] =
    "the SMTP probe (STARTTLS, X-EXPS GSSAPI through SSPI) is not in the Windows build yet: "
    "KDC reachability, the KDC clock and service tickets are probed here";

// A round: the KDC probes, then a ticket for SMTPSVC/<short> and SMTPSVC/<fqdn> of every peer
// with this process's own credentials (the machine account, when run as LocalSystem).
v1::ProbeResults RunWindowsProbeRound(const probes::ProbeRunnerOptions& options,
                                      const probes::ProbeTargets& targets, const Clock& clock) {
  v1::ProbeResults results = probes::RunKdcProbeRound(options, targets, clock);
  std::vector<probes::ServiceToProbe> services;
  for (const probes::PeerTarget& p : targets.peers) {
    for (const std::string& s : probes::SmtpServiceNames(p.name)) services.push_back({p.name, s});
  }
  for (v1::TicketProbe& t : probes::ProbeTicketsSspi(options.realm, services, clock)) {
    *results.add_tickets() = std::move(t);
  }
  *results.mutable_finished_host_time() = ToProto(clock.Now());
  return results;
}

}  // namespace

std::unique_ptr<Source> MakeProbeSource(const AgentConfig& c, const SourceContext& ctx) {
  return std::make_unique<ProbeSource>(c.probes, ctx.inventory, ctx.clock, probes::RunKdcProbeRound,
                                       kNotBuilt);
}

std::unique_ptr<Source> MakeSambaDcSource(const AgentConfig& c, const SourceContext&) {
  return std::make_unique<UnavailableSource>(
      "samba_dc", c.samba_interval,
      "samba_ldap_uri reads a Samba DC's directory with OpenLDAP and samba-tool, which exist "
      "only on Linux; the Windows directory source (wldap32) is not built yet");
}

int RunProbesOnce(const AgentFlags& flags, bool json) {
  auto config = ValidateProbeFlags(flags, /*require_targets=*/true);
  if (!config.ok()) {
    std::fprintf(stderr, "kerbside-agent: configuration: %s\n",
                 std::string(config.status().message()).c_str());
    return 2;
  }
  std::fprintf(stderr, "kerbside-agent probe: %s\n", kNotBuilt);
  const v1::ProbeResults results =
      RunWindowsProbeRound(config->runner, config->targets, RealClock());
  if (json) {
    std::cout << ProbeResultsToJson(results).dump(2) << "\n";
  } else {
    std::cout << probes::FormatProbeReport(results);
  }
  return 0;
}

void PrepareProbeEnvironment() { probes::InitializeSockets(); }

}  // namespace kerbside::agent
