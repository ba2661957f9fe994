#include "agent/config.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/probes/probe_targets.h"
#include "common/exchange/ip_range.h"
#include "common/identity.h"
#include "common/status_macros.h"

namespace kerbside::agent {
namespace {

absl::Status Bad(absl::string_view key, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(key, ": ", why));
}

absl::StatusOr<absl::Duration> ParsePositive(absl::string_view key, const std::string& text) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d <= absl::ZeroDuration()) {
    return Bad(key, absl::StrCat("'", text, "' is not a positive duration such as 15s or 2m"));
  }
  return d;
}

// A literal address exactly as written (no spaces; the identity keeps the text).
bool IsIpAddress(const std::string& s) {
  return absl::StripAsciiWhitespace(s) == s && exchange::ParseIpAddress(s).has_value();
}

// The Samba DC source reads the directory of the DC it runs on, with a password that must not
// cross the wire in clear: TLS URIs only, and the password file must be readable now.
absl::Status ValidateSambaFlags(const AgentFlags& f, AgentConfig* c) {
  // Both directory sources (Samba's and Windows') read these servers' accounts.
  for (const std::string& s : f.exchange_servers) {
    if (s.empty() || s.size() > 15 || s.find_first_of(" ()*\\$.,=") != std::string::npos) {
      return Bad("exchange_server", absl::StrCat("'", s, "' is not a NetBIOS name such as EX01"));
    }
    c->exchange_servers.push_back(absl::AsciiStrToUpper(s));
  }
  if (f.samba_ldap_uri.empty()) {
    for (const auto& [key, value] :
         {std::pair{"samba_bind_dn", &f.samba_bind_dn},
          std::pair{"samba_bind_password_file", &f.samba_bind_password_file}}) {
      if (!value->empty()) return Bad(key, "needs samba_ldap_uri");
    }
    return absl::OkStatus();
  }
  const std::string uri = absl::AsciiStrToLower(f.samba_ldap_uri);
  if (!absl::StartsWith(uri, "ldaps://") && !absl::StartsWith(uri, "ldap://")) {
    return Bad("samba_ldap_uri",
               absl::StrCat("'", f.samba_ldap_uri, "' is not ldaps://HOST or ldap://HOST"));
  }
  if (c->identity.role() != v1::ROLE_DC) {
    return Bad("samba_ldap_uri", "the Samba DC source runs on a domain controller (role dc)");
  }
  if (f.samba_bind_dn.empty()) return Bad("samba_bind_dn", "required with samba_ldap_uri");
  if (f.samba_bind_password_file.empty()) {
    return Bad("samba_bind_password_file", "required with samba_ldap_uri");
  }
  if (auto pw = ReadFileToString(f.samba_bind_password_file); !pw.ok()) {
    return Bad("samba_bind_password_file", pw.status().message());
  }
  if (!f.samba_ldap_ca.empty()) {
    if (auto ca = ReadFileToString(f.samba_ldap_ca); !ca.ok()) {
      return Bad("samba_ldap_ca", ca.status().message());
    }
  }
  c->samba_ldap_uri = f.samba_ldap_uri;
  c->samba_ldap_ca = f.samba_ldap_ca;
  c->samba_bind_dn = f.samba_bind_dn;
  c->samba_bind_password_file = f.samba_bind_password_file;
  c->samba_base_dn = f.samba_base_dn;
  if (c->samba_base_dn.empty()) {
    for (absl::string_view label : absl::StrSplit(c->identity.domain(), '.', absl::SkipEmpty())) {
      absl::StrAppend(&c->samba_base_dn, c->samba_base_dn.empty() ? "" : ",", "DC=", label);
    }
  }
  if (f.samba_showrepl) {
    c->samba_showrepl_command = {f.samba_tool, "drs", "showrepl", "--json", "-P"};
    if (!f.samba_smb_conf.empty()) {
      c->samba_showrepl_command.push_back("-s");
      c->samba_showrepl_command.push_back(f.samba_smb_conf);
    }
  }
  auto interval = ParsePositive("samba_interval", f.samba_interval);
  if (!interval.ok()) return interval.status();
  auto timeout = ParsePositive("samba_timeout", f.samba_timeout);
  if (!timeout.ok()) return timeout.status();
  if (*timeout >= *interval) return Bad("samba_timeout", "must be shorter than samba_interval");
  c->samba_interval = *interval;
  c->samba_timeout = *timeout;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AgentConfig> ValidateAgentFlags(const AgentFlags& f, bool need_collector) {
  AgentConfig c;
  if (need_collector && (f.collector.empty() || f.collector.find(':') == std::string::npos)) {
    return Bad("collector", absl::StrCat("'", f.collector, "' is not host:port"));
  }
  c.collector = f.collector;
  c.plaintext = f.plaintext;
  const bool enroll = !f.enroll_template.empty();
  if (enroll) {
    if (!f.cert.empty() || !f.key.empty()) {
      return Bad(f.cert.empty() ? "key" : "cert",
                 "set either cert and key, or enroll_template (the agent's own enrolled key)");
    }
    if (f.enroll_ca.empty()) {
      return Bad("enroll_ca", "required with enroll_template: the CA as HOST\\CA name");
    }
    if (f.enroll_command.empty()) {
      return Bad("enroll_command", "required with enroll_template on this platform");
    }
    if (f.enroll_dir.empty()) return Bad("enroll_dir", "required with enroll_template");
    if (f.plaintext) return Bad("enroll_template", "makes no sense with plaintext");
  } else {
    for (const auto& [key, value] :
         {std::pair<const char*, const std::string*>{"enroll_ca", &f.enroll_ca},
          {"enroll_command", &f.enroll_command}}) {
      if (!value->empty()) return Bad(key, "set without enroll_template");
    }
  }
  if (need_collector && !f.plaintext) {
    if (f.ca.empty()) return Bad("ca", "required (mutual TLS is the default)");
    if (!enroll && f.cert.empty()) return Bad("cert", "required (mutual TLS is the default)");
    if (!enroll && f.key.empty()) return Bad("key", "required (mutual TLS is the default)");
  }
  c.tls = TlsFiles{f.ca, f.cert, f.key};
  if (enroll) {
    c.enrollment = EnrollmentConfig{f.enroll_template, f.enroll_ca, f.enroll_command, f.enroll_dir};
  }

  // NetBIOS computer names: at most 15 characters, letters, digits and hyphens.
  if (f.netbios_name.empty() || f.netbios_name.size() > 15) {
    return Bad("netbios_name", "required, 1 to 15 characters");
  }
  for (char ch : f.netbios_name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && ch != '-') {
      return Bad("netbios_name",
                 absl::StrCat("'", f.netbios_name, "' may hold only letters, digits and '-'"));
    }
  }
  const std::string fqdn = NormalizeHostName(f.fqdn);
  if (fqdn.find('.') == std::string::npos) {
    return Bad("fqdn", absl::StrCat("'", f.fqdn, "' is not a fully qualified name"));
  }
  if (fqdn.substr(0, fqdn.find('.')) != absl::AsciiStrToLower(f.netbios_name)) {
    return Bad("fqdn", absl::StrCat("'", f.fqdn, "' does not start with netbios_name '",
                                    f.netbios_name, "'"));
  }
  v1::Role role;
  if (f.role == "exchange") {
    role = v1::ROLE_EXCHANGE;
  } else if (f.role == "dc") {
    role = v1::ROLE_DC;
  } else {
    return Bad("role", absl::StrCat("'", f.role, "' is not exchange or dc"));
  }
  if (f.pdc_emulator && role != v1::ROLE_DC) {
    return Bad("pdc_emulator", "only a domain controller can hold the PDC emulator role");
  }
  for (const std::string& ip : f.ips) {
    if (!IsIpAddress(ip)) return Bad("ip", absl::StrCat("'", ip, "' is not an IP address"));
  }
  c.identity.set_netbios_name(absl::AsciiStrToUpper(f.netbios_name));
  c.identity.set_fqdn(fqdn);
  c.identity.set_role(role);
  c.identity.set_site(f.site);
  c.identity.set_domain(f.domain.empty() ? fqdn.substr(fqdn.find('.') + 1)
                                         : NormalizeHostName(f.domain));
  for (const std::string& ip : f.ips) c.identity.add_ips(ip);
  c.identity.set_pdc_emulator(f.pdc_emulator);
  if (role != v1::ROLE_EXCHANGE &&
      (!f.exchange_version.empty() || !f.dag.empty() || !f.server_roles.empty())) {
    return Bad(!f.exchange_version.empty() ? "exchange_version"
               : !f.dag.empty()            ? "dag"
                                           : "server_role",
               "only an Exchange server has an Exchange version, DAG or server roles");
  }
  if (f.server_roles.size() > 8) return Bad("server_role", "at most 8 roles");
  c.identity.set_exchange_version(f.exchange_version);
  c.identity.set_dag(f.dag);
  for (const std::string& r : f.server_roles) c.identity.add_server_roles(r);
  c.identity.set_agent_version(KERBSIDE_VERSION);

  auto hb = ParsePositive("heartbeat_interval", f.heartbeat_interval);
  if (!hb.ok()) return hb.status();
  auto bi = ParsePositive("backoff_initial", f.backoff_initial);
  if (!bi.ok()) return bi.status();
  auto bm = ParsePositive("backoff_max", f.backoff_max);
  if (!bm.ok()) return bm.status();
  if (*bm < *bi) return Bad("backoff_max", "must not be shorter than backoff_initial");
  c.heartbeat_interval = *hb;
  c.backoff_initial = *bi;
  c.backoff_max = *bm;
  c.log_level = f.log_level;
  c.spool_dir = f.spool_dir;
  if (!absl::SimpleAtoi(f.spool_max_bytes, &c.spool_max_bytes) || c.spool_max_bytes < (1u << 20) ||
      c.spool_max_bytes > (uint64_t{16} << 30)) {
    return Bad("spool_max_bytes",
               absl::StrCat("'", f.spool_max_bytes, "' is not a byte count from 1 MiB to 16 GiB"));
  }
  if (f.host_tools != "auto" && f.host_tools != "on" && f.host_tools != "off") {
    return Bad("host_tools", absl::StrCat("'", f.host_tools, "' is not auto, on or off"));
  }
  c.host_tools = f.host_tools != "off";
  c.host_tools_required = f.host_tools == "on";
  auto tools_interval = ParsePositive("host_tools_interval", f.host_tools_interval);
  if (!tools_interval.ok()) return tools_interval.status();
  auto tools_timeout = ParsePositive("host_tools_timeout", f.host_tools_timeout);
  if (!tools_timeout.ok()) return tools_timeout.status();
  if (*tools_timeout >= *tools_interval) {
    return Bad("host_tools_timeout", "must be shorter than host_tools_interval");
  }
  c.host_tools_interval = *tools_interval;
  c.host_tools_timeout = *tools_timeout;
  c.host_folder = f.host_folder;
  auto folder_interval = ParsePositive("host_folder_interval", f.host_folder_interval);
  if (!folder_interval.ok()) return folder_interval.status();
  c.host_folder_interval = *folder_interval;
  if (f.event_log != "auto" && f.event_log != "on" && f.event_log != "off") {
    return Bad("event_log", absl::StrCat("'", f.event_log, "' is not auto, on or off"));
  }
  c.event_log = f.event_log != "off";
  c.event_log_required = f.event_log == "on";
  auto event_interval = ParsePositive("event_log_interval", f.event_log_interval);
  if (!event_interval.ok()) return event_interval.status();
  c.event_log_interval = *event_interval;
  auto lookback = ParsePositive("event_log_lookback", f.event_log_lookback);
  if (!lookback.ok()) return lookback.status();
  if (*lookback > absl::Hours(24 * 31)) {
    return Bad("event_log_lookback", "at most 31 days (744h)");
  }
  c.event_log_lookback = *lookback;
  if (!absl::SimpleAtoi(f.event_log_max_events, &c.event_log_max_events) ||
      c.event_log_max_events < 1 || c.event_log_max_events > 100000) {
    return Bad("event_log_max_events",
               absl::StrCat("'", f.event_log_max_events, "' is not a count from 1 to 100000"));
  }
  c.event_log_bookmark = f.event_log_bookmark;
  if (f.directory != "auto" && f.directory != "on" && f.directory != "off") {
    return Bad("directory", absl::StrCat("'", f.directory, "' is not auto, on or off"));
  }
  c.directory = f.directory != "off";
  c.directory_required = f.directory == "on";
  if (c.directory_required && c.identity.role() != v1::ROLE_DC) {
    return Bad("directory", "the directory source runs on a domain controller (role dc)");
  }
  c.directory_ldap_uri = f.directory_ldap_uri.empty() ? absl::StrCat("ldap://", c.identity.fqdn())
                                                      : f.directory_ldap_uri;
  {
    const std::string uri = absl::AsciiStrToLower(c.directory_ldap_uri);
    if (!absl::StartsWith(uri, "ldap://") && !absl::StartsWith(uri, "ldaps://")) {
      return Bad("directory_ldap_uri", absl::StrCat("'", c.directory_ldap_uri,
                                                    "' is not ldap://HOST[:PORT] or ldaps://HOST"));
    }
  }
  for (absl::string_view label : absl::StrSplit(c.identity.domain(), '.', absl::SkipEmpty())) {
    absl::StrAppend(&c.directory_base_dn, c.directory_base_dn.empty() ? "" : ",", "DC=", label);
  }
  auto directory_interval = ParsePositive("directory_interval", f.directory_interval);
  if (!directory_interval.ok()) return directory_interval.status();
  c.directory_interval = *directory_interval;
  auto directory_timeout = ParsePositive("directory_timeout", f.directory_timeout);
  if (!directory_timeout.ok()) return directory_timeout.status();
  c.directory_timeout = *directory_timeout;
  RETURN_IF_ERROR(ValidateSambaFlags(f, &c));
  auto probes = ValidateProbeFlags(f, /*require_targets=*/false);
  if (!probes.ok()) return probes.status();
  c.probes = *std::move(probes);
  return c;
}

absl::StatusOr<ProbeConfig> ValidateProbeFlags(const AgentFlags& f, bool require_targets) {
  ProbeConfig p;
  probes::ProbeRunnerOptions& r = p.runner;
  if (f.realm.find_first_of(" \t@/") != std::string::npos) {
    return Bad("realm", absl::StrCat("'", f.realm, "' is not a realm name such as CONTOSO.COM"));
  }
  if (f.realm.empty() && (require_targets || !f.kdcs.empty() || !f.keytab.empty())) {
    return Bad("realm", "required to probe KDCs (e.g. CONTOSO.COM)");
  }
  r.realm = f.realm;
  for (const std::string& k : f.kdcs) {
    auto hp = probes::ParseHostPort(k, 88);
    if (!hp.ok()) return Bad("kdc", hp.status().message());
    p.targets.kdcs.push_back(probes::KdcTarget{hp->host, hp->host, hp->port});
  }
  for (const std::string& peer : f.peers) {
    const size_t eq = peer.find('=');
    probes::PeerTarget t;
    t.name = NormalizeHostName(peer.substr(0, eq));
    t.host = eq == std::string::npos ? t.name : peer.substr(eq + 1);
    if (t.name.empty() || t.host.empty() || t.name.find_first_of(" /@:") != std::string::npos) {
      return Bad("peer", absl::StrCat("'", peer, "' is not name or name=host"));
    }
    p.targets.peers.push_back(std::move(t));
  }
  if (require_targets && p.targets.kdcs.empty() && p.targets.peers.empty()) {
    return Bad("kdc", "no kdc and no peer configured: nothing to probe");
  }
  r.smtp_ports.clear();
  for (absl::string_view part : absl::StrSplit(f.smtp_ports, ',', absl::SkipWhitespace())) {
    int port = 0;
    if (!absl::SimpleAtoi(part, &port) || port < 1 || port > 65535) {
      return Bad("smtp_ports", absl::StrCat("'", f.smtp_ports, "' is not a list such as 25,2525"));
    }
    r.smtp_ports.push_back(port);
  }
  if (!f.host_principal.empty() && f.keytab.empty()) {
    return Bad("host_principal", "needs keytab");
  }
  r.keytab = f.keytab;
  r.host_principal = f.host_principal;
  r.kdc_probe_client = f.kdc_probe_client;
  if (r.kdc_probe_client.empty()) return Bad("kdc_probe_client", "must not be empty");
  auto interval = ParsePositive("probe_interval", f.probe_interval);
  if (!interval.ok()) return interval.status();
  p.interval = *interval;
  auto timeout = ParsePositive("probe_attempt_timeout", f.probe_attempt_timeout);
  if (!timeout.ok()) return timeout.status();
  if (*timeout > absl::Minutes(1)) {
    return Bad("probe_attempt_timeout", "at most 1m: a dead host must not stall a round");
  }
  r.attempt_timeout = *timeout;
  if (!absl::SimpleAtoi(f.probe_concurrency, &r.concurrency) || r.concurrency < 1 ||
      r.concurrency > 64) {
    return Bad("probe_concurrency",
               absl::StrCat("'", f.probe_concurrency, "' is not a number from 1 to 64"));
  }
  r.kpasswd = f.probe_kpasswd;
  r.host = absl::AsciiStrToUpper(f.netbios_name);
  r.ehlo_name = NormalizeHostName(f.fqdn);
  return p;
}

}  // namespace kerbside::agent
