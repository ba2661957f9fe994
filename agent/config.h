#ifndef KERBSIDE_AGENT_CONFIG_H_
#define KERBSIDE_AGENT_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/probes/probe_targets.h"
#include "common/grpc_tls.h"
#include "kerbside/v1/agent.pb.h"

namespace kerbside::agent {

// The agent's settings as written in its config file or flags (all text), before validation.
struct AgentFlags {
  std::string collector = "127.0.0.1:7443";
  std::string ca, cert, key;
  // Instead of cert and key: the agent's own key, certified by an AD CS enterprise CA through
  // this template (agent/enrollment/enrollment.h says why).
  std::string enroll_template, enroll_ca, enroll_command, enroll_dir;
  bool plaintext = false;
  std::string netbios_name, fqdn, role, site, domain;
  std::vector<std::string> ips;
  bool pdc_emulator = false;
  std::string exchange_version;
  std::string dag;
  std::vector<std::string> server_roles;
  std::string heartbeat_interval = "15s";
  std::string backoff_initial = "1s";
  std::string backoff_max = "60s";
  std::string log_level = "info";
  // Probes (`kerbside-agent probe --once`; the stream will run them every probe_interval).
  std::string realm;               // Kerberos realm, e.g. CONTOSO.COM
  std::vector<std::string> kdcs;   // key "kdc": host[:port] (port 88 by default), repeated
  std::vector<std::string> peers;  // key "peer": name[=host], repeated; name is SMTPSVC/<name>
  std::string smtp_ports = "25,2525";
  std::string keytab;          // this host's keytab; empty: no ticket or GSSAPI probe
  std::string host_principal;  // empty: the keytab's first principal
  std::string kdc_probe_client = "kerbside-probe";  // client name of the credential-less AS-REQ
  std::string probe_interval = "5m";
  std::string probe_attempt_timeout = "3s";
  std::string probe_concurrency = "4";
  bool probe_kpasswd = true;  // key "probe_kpasswd": also probe port 464
  // Evidence not yet acknowledged (agent/spool.h): a folder, or empty for memory only.
  std::string spool_dir;
  std::string spool_max_bytes = "67108864";  // 64 MiB
  // Sources.
  // The host's own tools (w32tm, repadmin, setspn, Get-Queue): auto (on where the platform has
  // them: Windows), on, off.
  std::string host_tools = "auto";
  std::string host_tools_interval = "60s";
  std::string host_tools_timeout = "30s";
  std::string host_folder;  // a folder in the bundle layout for this host; empty: off
  std::string host_folder_interval = "60s";
  // The Windows event log (agent/sources/event_log_source.h): auto (on where there is one), on,
  // off; how often it is read, how far back a first read goes, how many events one batch holds,
  // and where the bookmark is kept (empty: the data directory).
  std::string event_log = "auto";
  std::string event_log_interval = "10s";
  std::string event_log_lookback = "24h";
  std::string event_log_max_events = "2000";
  std::string event_log_bookmark;
  // A DC reading its own directory over LDAP with its machine account (Negotiate: Windows):
  // auto (on for a Windows DC), on, off; the LDAP URI (default ldap://<fqdn>, this DC), how often
  // and with what deadline.
  std::string directory = "auto";
  std::string directory_ldap_uri;
  std::string directory_interval = "60s";
  std::string directory_timeout = "20s";
  // The Samba AD DC source (a DC reading its own directory). On when samba_ldap_uri is set.
  std::string samba_ldap_uri;  // ldaps://dc1.contoso.com, or ldap://... (StartTLS required)
  std::string samba_ldap_ca;   // PEM CA of the DC's LDAP certificate; empty: system store
  std::string samba_bind_dn;   // a DN or UPN with read access to computer accounts
  std::string samba_bind_password_file;
  std::string samba_base_dn;                  // default: from domain ("DC=contoso,DC=com")
  std::vector<std::string> exchange_servers;  // key "exchange_server": NetBIOS names, repeated
  bool samba_showrepl = true;                 // also run samba-tool drs showrepl --json
  std::string samba_tool = "samba-tool";
  std::string samba_smb_conf;  // samba-tool -s FILE; empty: samba-tool's default
  std::string samba_interval = "60s";
  std::string samba_timeout = "20s";

  bool operator==(const AgentFlags&) const = default;
};

struct ProbeConfig {
  probes::ProbeRunnerOptions runner;
  probes::ProbeTargets targets;  // from config; the collector's inventory adds more later
  absl::Duration interval;
  double jitter = 0.1;  // +-10% of interval between rounds
};

// Certificate enrollment with an AD CS CA; template_name empty: off (cert and key are files).
struct EnrollmentConfig {
  std::string template_name;
  std::string ca;       // HOST\CA name, as certutil -config and certreq -config take it
  std::string command;  // certreq.exe on Windows
  std::string dir;      // key, request and certificate
};

struct AgentConfig {
  std::string collector;
  TlsFiles tls;  // with enrollment: cert and key are filled in when the certificate is enrolled
  EnrollmentConfig enrollment;
  bool plaintext = false;
  v1::HostIdentity identity;
  absl::Duration heartbeat_interval;  // until the collector's hello ack says otherwise
  absl::Duration backoff_initial;
  absl::Duration backoff_max;
  std::string log_level;
  std::string spool_dir;  // empty: in memory
  uint64_t spool_max_bytes = 64u << 20;
  ProbeConfig probes;
  bool host_tools = false;           // "auto" resolved by the registry against the platform's table
  bool host_tools_required = false;  // "on": a platform without the tools is an error
  absl::Duration host_tools_interval;
  absl::Duration host_tools_timeout;
  std::string host_folder;
  absl::Duration host_folder_interval;
  bool event_log = false;           // "auto" resolved by the registry against the platform
  bool event_log_required = false;  // "on": a platform without an event log is an error
  absl::Duration event_log_interval;
  absl::Duration event_log_lookback;
  size_t event_log_max_events = 2000;
  std::string event_log_bookmark;   // empty: the platform's data directory
  bool directory = false;           // "auto" resolved by the registry against platform and role
  bool directory_required = false;  // "on"
  std::string directory_ldap_uri;   // resolved: ldap://<fqdn> by default
  std::string directory_base_dn;    // the domain's DN, from domain
  absl::Duration directory_interval;
  absl::Duration directory_timeout;
  // Samba DC source; samba_ldap_uri empty: off.
  std::string samba_ldap_uri, samba_ldap_ca, samba_bind_dn, samba_bind_password_file;
  std::string samba_base_dn;
  std::vector<std::string> exchange_servers;        // upper-case NetBIOS names
  std::vector<std::string> samba_showrepl_command;  // empty: replication not read
  absl::Duration samba_interval;
  absl::Duration samba_timeout;
};

// Checks every setting and names the first bad one (by its config key) in the error. Without
// `need_collector` (`kerbside-agent collect --once`: nothing is sent), the collector address and
// the TLS files are not required.
absl::StatusOr<AgentConfig> ValidateAgentFlags(const AgentFlags& flags, bool need_collector = true);

// Checks the probe settings only (what `kerbside-agent probe` needs: no collector, no TLS).
// With `require_targets`, a realm and at least one kdc or peer are required.
absl::StatusOr<ProbeConfig> ValidateProbeFlags(const AgentFlags& flags, bool require_targets);

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_CONFIG_H_
