// Windows: what this build cannot run yet reports itself as unavailable, with the reason, so the
// collector shows "could not look" rather than "healthy".
#include <cstdio>

#include "agent/sources/platform_sources.h"
#include "agent/sources/unavailable_source.h"

namespace kerbside::agent {

std::unique_ptr<Source> MakeProbeSource(const AgentConfig& c, const SourceContext&) {
  return std::make_unique<UnavailableSource>(
      "probes", c.probes.interval,
      "the Kerberos and SMTP probes are not in the Windows build yet (they need SSPI and an "
      "AS-REQ codec in place of libkrb5 and GSS-API)");
}

std::unique_ptr<Source> MakeSambaDcSource(const AgentConfig& c, const SourceContext&) {
  return std::make_unique<UnavailableSource>(
      "samba_dc", c.samba_interval,
      "samba_ldap_uri reads a Samba DC's directory with OpenLDAP and samba-tool, which exist "
      "only on Linux; the Windows directory source (wldap32) is not built yet");
}

int RunProbesOnce(const AgentFlags&, bool) {
  std::fprintf(stderr,
               "kerbside-agent probe: the Kerberos and SMTP probes are not in the Windows build "
               "yet\n");
  return 2;
}

void PrepareProbeEnvironment() {}

}  // namespace kerbside::agent
