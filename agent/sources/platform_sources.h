#ifndef KERBSIDE_AGENT_SOURCES_PLATFORM_SOURCES_H_
#define KERBSIDE_AGENT_SOURCES_PLATFORM_SOURCES_H_

// Sources whose implementation depends on the platform. The registry (registry.cc) lists them
// like every other source; platform_sources_posix.cc and platform_sources_win.cc make them.

#include <memory>

#include "agent/config.h"
#include "agent/sources/probe_source.h"
#include "agent/sources/source.h"

namespace kerbside::agent {

// The platform's probe round: KDC probes, service tickets and SMTP (libkrb5 and GSS-API on
// Linux, SSPI on Windows). MakeProbeSource and RunProbesOnce (probe_source.cc) run it.
ProbeSource::Runner PlatformProbeRound();
// Kerberos and SMTP probes as a source.
std::unique_ptr<Source> MakeProbeSource(const AgentConfig& config, const SourceContext& context);
// A Samba AD DC reading its own directory (OpenLDAP with a bind account, and samba-tool): Linux.
std::unique_ptr<Source> MakeSambaDcSource(const AgentConfig& config, const SourceContext& context);
// A DC reading its own directory as its machine account (wldap32, Negotiate): Windows.
std::unique_ptr<Source> MakeDirectorySource(const AgentConfig& config,
                                            const SourceContext& context);
// Whether this platform binds to LDAP as the machine account (the directory source's "auto").
bool HasMachineAccountLdap();

// `kerbside-agent probe --once [--json]`: every probe once, a report or probes.json on stdout.
// Exit 0 when the probes ran, whatever they found; 2 on configuration errors or where the probes
// are not built.
int RunProbesOnce(const AgentFlags& flags, bool json);

// What the probes need from the process before any thread starts.
void PrepareProbeEnvironment();

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_SOURCES_PLATFORM_SOURCES_H_
