// Windows: the KDC probes run (portable, common/kerberos over Winsock); the service-ticket and
// SMTP probes (SSPI) and the directory source (wldap32) are not built yet, and say so, so the
// collector shows "not checked" rather than "healthy".
#include <cstdio>
#include <iostream>

#include "agent/probes/kdc_probe.h"
#include "agent/probes/net.h"
#include "agent/probes/probe_report.h"
#include "agent/sources/platform_sources.h"
#include "agent/sources/probe_source.h"
#include "agent/sources/unavailable_source.h"
#include "common/clock.h"
#include "common/probes/probes_json.h"

namespace kerbside::agent {
namespace {

constexpr char kNotBuilt[] =
    "the service-ticket and SMTP probes are not in the Windows build yet (they need SSPI): "
    "only KDC reachability and the KDC clock are probed here";

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
      probes::RunKdcProbeRound(config->runner, config->targets, RealClock());
  if (json) {
    std::cout << ProbeResultsToJson(results).dump(2) << "\n";
  } else {
    std::cout << probes::FormatProbeReport(results);
  }
  return 0;
}

void PrepareProbeEnvironment() { probes::InitializeSockets(); }

}  // namespace kerbside::agent
