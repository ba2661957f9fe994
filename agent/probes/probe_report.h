#ifndef KERBSIDE_AGENT_PROBES_PROBE_REPORT_H_
#define KERBSIDE_AGENT_PROBES_PROBE_REPORT_H_

#include <string>

#include "kerbside/v1/evidence.pb.h"

namespace kerbside::agent::probes {

// The human-readable report of `kerbside-agent probe --once`: one line per probe, problems
// spelled out (refused, timed out, KDC errors, expired certificates, 454 replies).
std::string FormatProbeReport(const v1::ProbeResults& results);

}  // namespace kerbside::agent::probes

#endif  // KERBSIDE_AGENT_PROBES_PROBE_REPORT_H_
