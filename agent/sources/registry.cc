// The explicit registry of agent sources: each entry says when the configuration enables it
// and how to make it. Probes (agent/probes) run on their own schedule and are not listed here.
#include <filesystem>
#include <functional>

#include "agent/platform/event_log.h"
#include "agent/platform/host_tools.h"
#include "agent/platform/service.h"
#include "agent/sources/event_log_source.h"
#include "agent/sources/event_query.h"
#include "agent/sources/host_folder_source.h"
#include "agent/sources/platform_sources.h"
#include "agent/sources/source.h"
#include "agent/sources/tool_source.h"
#include "agent/sources/unavailable_source.h"

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
    // The host's own tools (Windows: w32tm, Get-Queue, repadmin, setspn), read through the
    // bundle parsers. "auto" means: where the platform has a table of them.
    {"host_tools",
     [](const AgentConfig& c) {
       return c.host_tools && (c.host_tools_required || !platform::HostToolCommands(c).empty());
     },
     [](const AgentConfig& c, const SourceContext&) -> std::unique_ptr<Source> {
       std::vector<ToolCommand> commands = platform::HostToolCommands(c);
       if (commands.empty()) {
         return std::make_unique<UnavailableSource>(
             "host_tools", c.host_tools_interval,
             "host_tools = on, but this platform has no w32tm, repadmin or Exchange tools");
       }
       return std::make_unique<ToolSource>(c.identity.netbios_name(), std::move(commands),
                                           c.host_tools_interval, c.host_tools_timeout);
     }},
    // The Windows event log, read incrementally after a bookmark. "auto": where there is one.
    {"event_log",
     [](const AgentConfig& c) {
       return c.event_log && (c.event_log_required || platform::HasEventLog());
     },
     [](const AgentConfig& c, const SourceContext&) -> std::unique_ptr<Source> {
       if (!platform::HasEventLog()) {
         return std::make_unique<UnavailableSource>(
             "event_log", c.event_log_interval,
             "event_log = on, but this platform has no Windows event log");
       }
       EventLogSource::Options o;
       o.host = c.identity.netbios_name();
       o.query_xml = EventQueryList(c.identity.role(), c.event_log_lookback);
       o.bookmark_path =
           !c.event_log_bookmark.empty()
               ? c.event_log_bookmark
               : (std::filesystem::path(platform::DataDirectory()) / "event-log.bookmark.xml")
                     .string();
       o.interval = c.event_log_interval;
       o.max_events = c.event_log_max_events;
       return std::make_unique<EventLogSource>(std::move(o), platform::SubscribeEventLog);
     }},
    // Probes need a realm; their targets come from config and the collector's inventory.
    {"probes", [](const AgentConfig& c) { return !c.probes.runner.realm.empty(); },
     MakeProbeSource},
    // A Samba DC's own view of the Exchange accounts and of replication. Which accounts are
    // Exchange servers: config (exchange_server), the Exchange hosts of the collector's
    // inventory, and every SMTPSVC/SMTP SPN holder.
    {"samba_dc", [](const AgentConfig& c) { return !c.samba_ldap_uri.empty(); }, MakeSambaDcSource},
    // A Windows DC's own view of the same, and of the PDC emulator role, as its machine account.
    // "auto": on a DC of a platform that can bind so.
    {"directory",
     [](const AgentConfig& c) {
       return c.directory && c.identity.role() == v1::ROLE_DC &&
              (c.directory_required || HasMachineAccountLdap());
     },
     MakeDirectorySource},
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
