// Linux (and Samba DCs): the probes use libkrb5 and GSS-API, the DC source OpenLDAP and
// samba-tool.
#include <cstdlib>

#include "agent/probes/probe_runner.h"
#include "agent/sources/dc_directory_source.h"
#include "agent/sources/platform_sources.h"
#include "agent/sources/probe_source.h"
#include "agent/sources/unavailable_source.h"

namespace kerbside::agent {

ProbeSource::Runner PlatformProbeRound() { return probes::RunProbes; }

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

}  // namespace kerbside::agent
