// The explicit registry of agent sources: each entry says when the configuration enables it
// and how to make it. Probes (agent/probes) run on their own schedule and are not listed here.
#include <functional>

#include "agent/sources/host_folder_source.h"
#include "agent/sources/probe_source.h"
#include "agent/sources/samba_dc_source.h"
#include "agent/sources/source.h"

namespace kerbside::agent {
namespace {

struct SourceEntry {
  const char* id;
  std::function<bool(const AgentConfig&)> enabled;
  std::function<std::unique_ptr<Source>(const AgentConfig&, const SourceContext&)> make;
};

const SourceEntry kSources[] = {
    {"host_folder", [](const AgentConfig& c) { return !c.host_folder.empty(); },
     [](const AgentConfig& c, const SourceContext&) -> std::unique_ptr<Source> {
       return std::make_unique<HostFolderSource>(c.host_folder, c.identity.netbios_name(),
                                                 c.host_folder_interval);
     }},
    // Probes need a realm; their targets come from config and the collector's inventory.
    {"probes", [](const AgentConfig& c) { return !c.probes.runner.realm.empty(); },
     [](const AgentConfig& c, const SourceContext& ctx) -> std::unique_ptr<Source> {
       return std::make_unique<ProbeSource>(c.probes, ctx.inventory, ctx.clock);
     }},
    // A Samba DC's own view of the Exchange accounts and of replication. Which accounts are
    // Exchange servers: config (exchange_server), the Exchange hosts of the collector's
    // inventory, and every SMTPSVC/SMTP SPN holder.
    {"samba_dc", [](const AgentConfig& c) { return !c.samba_ldap_uri.empty(); },
     [](const AgentConfig& c, const SourceContext& ctx) -> std::unique_ptr<Source> {
       SambaDcOptions o;
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
       return std::make_unique<SambaDcSource>(std::move(o));
     }},
};

}  // namespace

std::vector<std::unique_ptr<Source>> MakeSources(const AgentConfig& config,
                                                 const SourceContext& context) {
  std::vector<std::unique_ptr<Source>> out;
  for (const SourceEntry& e : kSources) {
    if (e.enabled(config)) out.push_back(e.make(config, context));
  }
  return out;
}

}  // namespace kerbside::agent
