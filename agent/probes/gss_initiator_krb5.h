#ifndef KERBSIDE_AGENT_PROBES_GSS_INITIATOR_KRB5_H_
#define KERBSIDE_AGENT_PROBES_GSS_INITIATOR_KRB5_H_

// Linux: GSS-API contexts from MIT libgssapi_krb5 on a keytab login of this host.

#include "agent/probes/gss_initiator.h"
#include "agent/probes/ticket_probe.h"

namespace kerbside::agent::probes {

// Each context logs in with `options` (keytab, KDCs that answered), gets the service ticket into
// its own MEMORY ccache and imports that ccache into GSS-API, so GSS-API needs neither a KDC nor
// krb5.conf of its own.
GssInitiatorFactory Krb5GssInitiatorFactory(const TicketProbeOptions& options);

}  // namespace kerbside::agent::probes

#endif  // KERBSIDE_AGENT_PROBES_GSS_INITIATOR_KRB5_H_
