#include "agent/sources/probe_source.h"

#include <cstdio>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "agent/probes/probe_report.h"
#include "agent/sources/platform_sources.h"
#include "common/clock.h"
#include "common/json_text.h"
#include "common/probes/probes_json.h"
#include "common/proto_time.h"

namespace kerbside::agent {

v1::EvidenceBatch ProbeSource::Collect(absl::Time now) {
  v1::EvidenceBatch batch;
  batch.set_source(id());
  const probes::ProbeTargets targets =
      probes::MergeTargets(config_.targets, inventory_(), config_.runner.host);
  if (targets.kdcs.empty() && targets.peers.empty()) {
    // Nothing to probe yet (no kdc/peer configured, no inventory from the collector): say so
    // rather than report an empty, healthy-looking result.
    batch.mutable_health()->set_state(v1::SourceHealth::FAILING);
    batch.mutable_health()->set_reason(
        "no DC or peer to probe: configure kdc/peer or wait for "
        "the collector's inventory");
    return batch;
  }
  v1::Evidence* e = batch.add_items();
  e->set_host(config_.runner.host);
  e->set_source(id());
  e->set_origin("probes.json");
  *e->mutable_observed_host_time() = ToProto(now);
  *e->mutable_probes() = run_(config_.runner, targets, *clock_);
  int failed = 0;
  for (const v1::KdcProbe& k : e->probes().kdc()) {
    failed += k.outcome() == v1::KdcProbe::ERROR;
  }
  // Probes that find a blocked port did their job; only probes that could not run degrade.
  batch.mutable_health()->set_state(failed == 0 ? v1::SourceHealth::OK
                                                : v1::SourceHealth::DEGRADED);
  if (failed > 0) {
    batch.mutable_health()->set_reason(absl::StrCat(failed, " KDC probe(s) could not run"));
  }
  return batch;
}

std::unique_ptr<Source> MakeProbeSource(const AgentConfig& c, const SourceContext& ctx) {
  return std::make_unique<ProbeSource>(c.probes, ctx.inventory, ctx.clock, PlatformProbeRound());
}

int RunProbesOnce(const AgentFlags& flags, bool json) {
  auto config = ValidateProbeFlags(flags, /*require_targets=*/true);
  if (!config.ok()) {
    std::fprintf(stderr, "kerbside-agent: configuration: %s\n",
                 std::string(config.status().message()).c_str());
    return 2;
  }
  PrepareProbeEnvironment();  // before any thread starts
  const v1::ProbeResults results =
      PlatformProbeRound()(config->runner, config->targets, RealClock());
  if (json) {
    std::cout << JsonText(ProbeResultsToJson(results), 2) << "\n";
  } else {
    std::cout << probes::FormatProbeReport(results);
  }
  return 0;
}

}  // namespace kerbside::agent
