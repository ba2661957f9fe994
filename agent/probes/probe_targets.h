#ifndef KERBSIDE_AGENT_PROBES_PROBE_TARGETS_H_
#define KERBSIDE_AGENT_PROBES_PROBE_TARGETS_H_

// What the probes aim at and how they run: the part of the probes the configuration needs.
// Portable (no sockets, no Kerberos library), so the agent's configuration builds on every
// platform, whichever probe implementation that platform has.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "kerbside/v1/agent.pb.h"

namespace kerbside::agent::probes {

struct HostPort {
  std::string host;
  int port = 0;
};
// "dc01", "dc01:1088", "10.1.1.10:88", "[fe80::1]:88", "fe80::1" (a bare IPv6 address).
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text, int default_port);
// "dc01:88", "[fe80::1]:88".
std::string FormatHostPort(const std::string& host, int port);

struct KdcTarget {
  std::string name;  // as configured or from the inventory ("dc01.contoso.com")
  std::string host;  // what to connect to (name or address)
  int port = 88;
  int kpasswd_port = 464;
};

struct PeerTarget {
  std::string name;  // FQDN (or short name) as ExchangeAuth names the peer: SMTPSVC/<name>
  std::string host;  // where to connect; empty = name
};

struct ProbeTargets {
  std::vector<KdcTarget> kdcs;
  std::vector<PeerTarget> peers;
};

struct ProbeRunnerOptions {
  std::string host;       // this host's NetBIOS name, for the report
  std::string ehlo_name;  // this host's FQDN
  std::string realm;
  std::vector<int> smtp_ports = {25, 2525};
  std::string keytab;          // empty: no ticket probe, no SMTP authentication
  std::string host_principal;  // empty: the keytab's first principal
  std::string kdc_probe_client = "kerbside-probe";  // the AS-REQ's client name
  absl::Duration attempt_timeout = absl::Seconds(3);
  int concurrency = 4;
  bool kpasswd = true;  // also probe port 464
};

// SMTPSVC/<short name> and SMTPSVC/<fqdn> for a peer ("ex02.contoso.com"); one for a short
// name.
std::vector<std::string> SmtpServiceNames(const std::string& peer);

struct ServiceToProbe {
  std::string peer;
  std::string service;  // "SMTPSVC/ex02"
};

// The configured targets plus the collector's inventory: its DCs become KDCs, its Exchange
// servers other than `self` (NetBIOS name) become peers. Configured entries win; names are
// compared case-insensitively; an inventory host is reached at its first IP when it has one.
ProbeTargets MergeTargets(const ProbeTargets& configured, const v1::Inventory& inventory,
                          const std::string& self);

}  // namespace kerbside::agent::probes

#endif  // KERBSIDE_AGENT_PROBES_PROBE_TARGETS_H_
