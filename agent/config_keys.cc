#include "agent/config_keys.h"

namespace kerbside::agent {
namespace {

using K = ConfigKeyKind;
using F = AgentFlags;

const ConfigKey kKeys[] = {
    {"collector", K::kText, &F::collector, "collector address host:port"},
    {"ca", K::kText, &F::ca, "fleet CA certificate (PEM)"},
    {"cert", K::kText, &F::cert, "this host's certificate (PEM)"},
    {"key", K::kText, &F::key, "this host's private key (PEM)"},
    {"enroll_template", K::kText, &F::enroll_template,
     "AD CS template to enroll this host's own key with, instead of cert and key"},
    {"enroll_ca", K::kText, &F::enroll_ca, "the enterprise CA for enroll_template, HOST\\CA name"},
    {"enroll_command", K::kText, &F::enroll_command,
     "the enrollment tool (default: certreq.exe on Windows)"},
    {"enroll_dir", K::kText, &F::enroll_dir,
     "where the enrolled key and certificate are kept (default: the data folder's tls)"},
    {"plaintext", K::kFlag, &F::plaintext, "no TLS (loopback demos only)"},
    {"netbios_name", K::kText, &F::netbios_name, "this host's NetBIOS name, e.g. EX01"},
    {"fqdn", K::kText, &F::fqdn, "this host's DNS name, e.g. ex01.contoso.com"},
    {"role", K::kText, &F::role, "exchange or dc"},
    {"site", K::kText, &F::site, "AD site"},
    {"domain", K::kText, &F::domain, "AD DNS domain (default: from the FQDN)"},
    {"ip", K::kList, &F::ips, "an IP address of this host (repeat)"},
    {"pdc_emulator", K::kFlag, &F::pdc_emulator, "this DC holds the PDC emulator role"},
    {"exchange_version", K::kText, &F::exchange_version,
     "this Exchange server's version, e.g. 15.2.1118.7 (next-hop resolution)"},
    {"dag", K::kText, &F::dag, "the database availability group this server is a member of"},
    {"server_role", K::kList, &F::server_roles,
     "an Exchange server role of this host: Mailbox, HubTransport, Edge, ... (repeat)"},
    {"heartbeat_interval", K::kText, &F::heartbeat_interval, "heartbeat period, e.g. 15s"},
    {"backoff_initial", K::kText, &F::backoff_initial, "first reconnection delay"},
    {"backoff_max", K::kText, &F::backoff_max, "longest reconnection delay"},
    {"log_level", K::kText, &F::log_level, "trace|debug|info|warn|error"},
    {"spool_dir", K::kText, &F::spool_dir,
     "keep unacknowledged evidence here across restarts (default: memory; Windows: "
     "%ProgramData%\\Kerbside\\spool)"},
    {"spool_max_bytes", K::kText, &F::spool_max_bytes,
     "at most this many bytes of unacknowledged evidence; the oldest go first"},
    {"host_tools", K::kText, &F::host_tools,
     "run w32tm, repadmin, setspn, Get-Queue here: auto (Windows), on, off"},
    {"host_tools_interval", K::kText, &F::host_tools_interval, "how often to run them"},
    {"host_tools_timeout", K::kText, &F::host_tools_timeout, "deadline of one tool run"},
    {"host_folder", K::kText, &F::host_folder,
     "read this host's evidence from a folder in the bundle layout"},
    {"host_folder_interval", K::kText, &F::host_folder_interval, "how often to re-read it"},
    {"event_log", K::kText, &F::event_log,
     "read the Windows event log (the events the rules use): auto (Windows), on, off"},
    {"event_log_interval", K::kText, &F::event_log_interval, "how often to read new events"},
    {"event_log_lookback", K::kText, &F::event_log_lookback,
     "how far back a first read goes (at most 744h)"},
    {"event_log_max_events", K::kText, &F::event_log_max_events,
     "at most this many events in one batch (the rest in the next)"},
    {"event_log_bookmark", K::kText, &F::event_log_bookmark,
     "where the event log bookmark is kept (default: the data directory)"},
    {"directory", K::kText, &F::directory,
     "read this DC's directory (SPNs, kvno, PDC emulator) as the machine account: auto (a "
     "Windows DC), on, off"},
    {"directory_ldap_uri", K::kText, &F::directory_ldap_uri,
     "the DC to read: ldap://HOST[:PORT] or ldaps://HOST (default ldap://<fqdn>, this DC)"},
    {"directory_interval", K::kText, &F::directory_interval, "how often to read the directory"},
    {"directory_timeout", K::kText, &F::directory_timeout, "deadline of one directory read"},
    {"samba_ldap_uri", K::kText, &F::samba_ldap_uri,
     "read this DC's directory: ldaps://HOST or ldap://HOST (StartTLS)"},
    {"samba_ldap_ca", K::kText, &F::samba_ldap_ca, "CA of the DC's LDAP certificate (PEM)"},
    {"samba_bind_dn", K::kText, &F::samba_bind_dn, "account for the simple bind (DN or UPN)"},
    {"samba_bind_password_file", K::kText, &F::samba_bind_password_file,
     "file holding that account's password"},
    {"samba_base_dn", K::kText, &F::samba_base_dn, "default: from --domain"},
    {"exchange_server", K::kList, &F::exchange_servers,
     "NetBIOS name of an Exchange server whose account to read (repeat)"},
    {"samba_showrepl", K::kBoolean, &F::samba_showrepl,
     "also read replication with samba-tool drs showrepl --json (true|false)"},
    {"samba_tool", K::kText, &F::samba_tool, "samba-tool to run"},
    {"samba_smb_conf", K::kText, &F::samba_smb_conf, "smb.conf for samba-tool -s"},
    {"samba_interval", K::kText, &F::samba_interval, "how often to read the directory"},
    {"samba_timeout", K::kText, &F::samba_timeout, "deadline of one directory read"},
    {"realm", K::kText, &F::realm, "Kerberos realm, e.g. CONTOSO.COM"},
    {"kdc", K::kList, &F::kdcs, "a domain controller to probe, host[:port] (repeat)"},
    {"peer", K::kList, &F::peers, "an Exchange peer to probe, name[=host] (repeat)"},
    {"smtp_ports", K::kText, &F::smtp_ports, "SMTP ports to probe"},
    {"keytab", K::kText, &F::keytab, "this host's keytab (tickets and GSSAPI probes)"},
    {"host_principal", K::kText, &F::host_principal, "default: the keytab's first principal"},
    {"kdc_probe_client", K::kText, &F::kdc_probe_client, "client name of the AS-REQ probe"},
    {"probe_interval", K::kText, &F::probe_interval, "time between probe rounds"},
    {"probe_attempt_timeout", K::kText, &F::probe_attempt_timeout, "deadline of one attempt"},
    {"probe_concurrency", K::kText, &F::probe_concurrency, "attempts in flight, 1 to 64"},
    {"probe_kpasswd", K::kBoolean, &F::probe_kpasswd, "also probe port 464 (true|false)"},
};

}  // namespace

absl::Span<const ConfigKey> AgentConfigKeys() { return kKeys; }

const ConfigKey* FindConfigKey(absl::string_view name) {
  for (const ConfigKey& k : kKeys) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

}  // namespace kerbside::agent
