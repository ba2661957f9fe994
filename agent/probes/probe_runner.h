#ifndef KERBSIDE_AGENT_PROBES_PROBE_RUNNER_H_
#define KERBSIDE_AGENT_PROBES_PROBE_RUNNER_H_

// Runs every probe once for a list of DCs and peers: KDC probes first (UDP and TCP on 88 and
// 464 per DC), then service tickets and SMTP (which only use KDCs that answered, so a dead
// KDC never costs libkrb5's own ~27 s). Bounded concurrency, a hard deadline per attempt: a
// dead host costs one timeout.

#include <string>
#include <vector>

#include "absl/random/bit_gen_ref.h"
#include "absl/time/time.h"
#include "agent/probes/kdc_probe.h"
#include "agent/probes/probe_targets.h"
#include "agent/probes/smtp_probe.h"
#include "common/clock.h"
#include "kerbside/v1/agent.pb.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::agent::probes {

v1::ProbeResults RunProbes(const ProbeRunnerOptions& options, const ProbeTargets& targets,
                           const Clock& clock);

// The wait before the next round: interval scaled by a uniform factor in
// [1 - jitter, 1 + jitter] so that a fleet's agents do not probe the DCs in step.
absl::Duration NextProbeDelay(absl::Duration interval, double jitter, absl::BitGenRef gen);

}  // namespace kerbside::agent::probes

#endif  // KERBSIDE_AGENT_PROBES_PROBE_RUNNER_H_
