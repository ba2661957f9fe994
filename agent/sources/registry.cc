// The explicit registry of agent sources: each entry says when the configuration enables it
// and how to make it. Probes (agent/probes) run on their own schedule and are not listed here.
#include <functional>

#include "agent/sources/host_folder_source.h"
#include "agent/sources/source.h"

namespace kerbside::agent {
namespace {

struct SourceEntry {
  const char* id;
  std::function<bool(const AgentConfig&)> enabled;
  std::function<std::unique_ptr<Source>(const AgentConfig&)> make;
};

const SourceEntry kSources[] = {
    {"host_folder", [](const AgentConfig& c) { return !c.host_folder.empty(); },
     [](const AgentConfig& c) -> std::unique_ptr<Source> {
       return std::make_unique<HostFolderSource>(c.host_folder, c.identity.netbios_name(),
                                                 c.host_folder_interval);
     }},
};

}  // namespace

std::vector<std::unique_ptr<Source>> MakeSources(const AgentConfig& config) {
  std::vector<std::unique_ptr<Source>> out;
  for (const SourceEntry& e : kSources) {
    if (e.enabled(config)) out.push_back(e.make(config));
  }
  return out;
}

}  // namespace kerbside::agent
