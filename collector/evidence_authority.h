#ifndef KERBSIDE_COLLECTOR_EVIDENCE_AUTHORITY_H_
#define KERBSIDE_COLLECTOR_EVIDENCE_AUTHORITY_H_

// Who may speak for each kind of evidence (issue 12; assume one server of the fleet is
// compromised): directory facts (SPN listings, computer accounts, replication, the PDC emulator
// role) only a DC, reporting what it serves itself; host facts (queues, receive connectors, its
// clock and time service, its events) only the host itself; probes and measurements (tickets,
// KDC answers, stripcharts) the agent that made them, about whatever it measured. The sender's
// role is its certificate's (agent_service.cc), never its hello's.

#include <string>

#include "absl/status/status.h"
#include "kerbside/v1/agent.pb.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::collector {

enum class EvidenceAuthority { kDirectory, kHost, kProber };

EvidenceAuthority AuthorityOf(v1::Evidence::KindCase kind);

// OK, or PERMISSION_DENIED saying why `sender` (upper-case NetBIOS name, role from its
// certificate) may not send `e` ("EX03 sent spn_listing (...): directory facts come only from
// domain controllers ..."). That every item is about the sender's own host is checked apart.
absl::Status CheckEvidenceAuthority(const v1::Evidence& e, const std::string& sender,
                                    v1::Role sender_role);

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_EVIDENCE_AUTHORITY_H_
