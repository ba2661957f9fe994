// Linux (and Samba DCs): the probes use libkrb5 and GSS-API, the DC source OpenLDAP and
// samba-tool.
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "agent/probes/probe_report.h"
#include "agent/probes/probe_runner.h"
#include "agent/sources/dc_directory_source.h"
#include "agent/sources/platform_sources.h"
#include "agent/sources/probe_source.h"
#include "agent/sources/unavailable_source.h"
#include "common/json_text.h"
#include "common/probes/probes_json.h"

namespace kerbside::agent {

std::unique_ptr<Source> MakeProbeSource(const AgentConfig& c, const SourceContext& ctx) {
  return std::make_unique<ProbeSource>(c.probes, ctx.inventory, ctx.clock, probes::RunProbes);
}

std::unique_ptr<Source> MakeSambaDcSource(const AgentConfig& c, const SourceContext& ctx) {
  DcDirectoryOptions o;
  o.dc = c.identity.netbios_name();
  o.ldap = {.uri = c.samba_ldap_uri,
            .ca_file = c.samba_ldap_ca,
            .bind_dn = c.samba_bind_dn,
            .password = "",
            .timeout = c.samba_timeout};
  o.password_file = c.samba_bind_password_file;
  o.base_dn = c.samba_base_dn;
  o.exchange_servers = c.exchange_servers;
  o.inventory = ctx.inventory;
  o.showrepl_command = c.samba_showrepl_command;
  o.interval = c.samba_interval;
  o.timeout = c.samba_timeout;
  return std::make_unique<DcDirectorySource>(std::move(o));
}

bool HasMachineAccountLdap() { return false; }

std::unique_ptr<Source> MakeDirectorySource(const AgentConfig& c, const SourceContext&) {
  return std::make_unique<UnavailableSource>(
      "directory", c.directory_interval,
      "directory = on, but the Linux agent binds to LDAP only with an account and a password "
      "over TLS: on a Samba DC, set samba_ldap_uri, samba_bind_dn and samba_bind_password_file");
}

void PrepareProbeEnvironment() {
  // GSS-API's own krb5 contexts must not read /etc/krb5.conf (ours read only kerbside's
  // settings). Called before anything starts a thread.
  setenv("KRB5_CONFIG", "/dev/null", 1);
}

int RunProbesOnce(const AgentFlags& flags, bool json) {
  auto config = ValidateProbeFlags(flags, /*require_targets=*/true);
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
  const v1::ProbeResults results = probes::RunProbes(config->runner, config->targets, RealClock());
  if (json) {
    std::cout << kerbside::JsonText(ProbeResultsToJson(results), 2) << "\n";
  } else {
    std::cout << probes::FormatProbeReport(results);
  }
  return 0;
}

}  // namespace kerbside::agent
