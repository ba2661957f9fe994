#ifndef KERBSIDE_AGENT_SOURCES_PROBE_SOURCE_H_
#define KERBSIDE_AGENT_SOURCES_PROBE_SOURCE_H_

#include <functional>
#include <string>

#include "agent/config.h"
#include "agent/sources/source.h"

namespace kerbside::agent {

// kerbside's own probes (agent/probes) as a source: every probe_interval, the KDCs, tickets and
// SMTP peers of the configuration plus the collector's inventory, as one ProbeResults item.
// `run` is the platform's probe round: probes::RunProbes on Linux (libkrb5 with the keytab), the
// SSPI round on Windows (agent/sources/platform_sources_win.cc).
class ProbeSource : public Source {
 public:
  using Runner = std::function<v1::ProbeResults(const probes::ProbeRunnerOptions&,
                                                const probes::ProbeTargets&, const Clock&)>;
  ProbeSource(ProbeConfig config, std::function<v1::Inventory()> inventory, const Clock* clock,
              Runner run)
      : config_(std::move(config)),
        inventory_(std::move(inventory)),
        clock_(clock),
        run_(std::move(run)) {}
  std::string id() const override { return "probes"; }
  absl::Duration interval() const override { return config_.interval; }
  v1::EvidenceBatch Collect(absl::Time now) override;

 private:
  ProbeConfig config_;
  std::function<v1::Inventory()> inventory_;
  const Clock* clock_;
  Runner run_;
};

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_SOURCES_PROBE_SOURCE_H_
