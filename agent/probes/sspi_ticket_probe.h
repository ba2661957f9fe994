#ifndef KERBSIDE_AGENT_PROBES_SSPI_TICKET_PROBE_H_
#define KERBSIDE_AGENT_PROBES_SSPI_TICKET_PROBE_H_

// Service tickets on Windows, exactly as Exchange gets them: SSPI's Kerberos package with the
// process's own credentials (the machine account, for a LocalSystem service), one
// InitializeSecurityContext per SMTPSVC/<peer>. The ticket's kvno and etype come from the AP-REQ
// in the token SSPI returns (common/kerberos); errors are mapped to the Kerberos error they mean
// (SEC_E_TARGET_UNKNOWN: KDC_ERR_S_PRINCIPAL_UNKNOWN) with the SSPI status kept in the message.

#include <string>
#include <vector>

#include "agent/probes/probe_targets.h"
#include "common/clock.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::agent::probes {

std::vector<v1::TicketProbe> ProbeTicketsSspi(const std::string& realm,
                                              const std::vector<ServiceToProbe>& services,
                                              const Clock& clock);

}  // namespace kerbside::agent::probes

#endif  // KERBSIDE_AGENT_PROBES_SSPI_TICKET_PROBE_H_
