#ifndef KERBSIDE_AGENT_CONFIG_H_
#define KERBSIDE_AGENT_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/grpc_tls.h"
#include "kerbside/v1/agent.pb.h"

namespace kerbside::agent {

// The agent's settings as written in its config file or flags (all text), before validation.
struct AgentFlags {
  std::string collector = "127.0.0.1:7443";
  std::string ca, cert, key;
  bool plaintext = false;
  std::string netbios_name, fqdn, role, site, domain;
  std::vector<std::string> ips;
  bool pdc_emulator = false;
  std::string heartbeat_interval = "15s";
  std::string backoff_initial = "1s";
  std::string backoff_max = "60s";
  std::string log_level = "info";
};

struct AgentConfig {
  std::string collector;
  TlsFiles tls;
  bool plaintext = false;
  v1::HostIdentity identity;
  absl::Duration heartbeat_interval;  // until the collector's hello ack says otherwise
  absl::Duration backoff_initial;
  absl::Duration backoff_max;
  std::string log_level;
};

// Checks every setting and names the first bad one (by its config key) in the error.
absl::StatusOr<AgentConfig> ValidateAgentFlags(const AgentFlags& flags);

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_CONFIG_H_
