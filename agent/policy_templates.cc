#include "agent/policy_templates.h"

#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/config_keys.h"
#include "pugixml.hpp"

namespace kerbside::agent {
namespace {

constexpr PolicyCategory kCategories[] = {
    {"KerbsideCategory_Connection", "Collector connection",
     "Serves every step of KB 979174: the collector judges steps 1 to 6 from what this agent "
     "sends, and measures this server's clock itself (step 1)."},
    {"KerbsideCategory_Role", "Role",
     "Serves KB 979174 as a whole: which rules apply to this server (Exchange server or DC) and "
     "which servers a queue can be delivering to."},
    {"KerbsideCategory_HostTools", "Windows tools (w32tm, setspn, repadmin, Get-Queue)",
     "Serves KB 979174 steps 1 (w32tm: clocks), 2 (repadmin: replication), 3 (setspn: SPNs) "
     "and the stuck queues themselves (Get-Queue)."},
    {"KerbsideCategory_EventLog", "Event log",
     "Serves KB 979174 steps 1 to 4 and 6 through the events that corroborate each cause."},
    {"KerbsideCategory_Directory", "Directory (domain controllers)",
     "Serves KB 979174 steps 2 (DCs that disagree about an account) and 3 (SPNs), and the PDC "
     "emulator every clock is compared with (step 1)."},
    {"KerbsideCategory_Probes", "Kerberos and SMTP probes",
     "Serves KB 979174 steps 4 (ports 88 and 464 to the DCs), 1 (the KDC's clock), 2 and 3 "
     "(service tickets for SMTPSVC/<peer>) and 6 (the peer's receive connector)."},
    {"KerbsideCategory_Agent", "Agent",
     "Serves every step of KB 979174 by keeping evidence while the collector is unreachable."},
};

// Explanations say what the setting does and which step of KB 979174 ("454 4.7.0 Temporary
// authentication failure") it serves, so an AD admin sees why it is there.
constexpr PolicySetting kSettings[] = {
    {"collector", "KerbsideCategory_Connection",
     "The kerbside collector this agent streams its evidence to, as host:port (for example "
     "kerbside.contoso.com:7443). The agent only dials out; nothing connects to it. Every KB "
     "979174 step is judged by the collector from what the agents send."},
    {"ca", "KerbsideCategory_Connection",
     "Path of the fleet CA certificate (PEM) the collector's certificate must chain to. "
     "Environment variables such as %ProgramData% are expanded."},
    {"cert", "KerbsideCategory_Connection",
     "Path of this server's client certificate (PEM). Per-host private keys must not travel "
     "through SYSVOL: point this at a file the machine enrolled or was given locally. The "
     "collector binds the certificate to the host name and the role."},
    {"key", "KerbsideCategory_Connection",
     "Path of the private key of this server's client certificate (PEM), readable only by "
     "SYSTEM and Administrators."},
    {"enroll_template", "KerbsideCategory_Connection",
     "Instead of cert and key: the AD CS certificate template (name) through which the agent "
     "has its own key certified. The agent makes the key on the server (it never leaves it, "
     "nor travels through SYSVOL), submits the request with certreq as the computer account, "
     "keeps key and certificate in its data folder (SYSTEM and Administrators only) and renews "
     "two thirds into the certificate's lifetime. Grant Enroll on the template to the servers "
     "of one role only (Exchange Servers, or Domain Controllers): the collector maps the "
     "template to that role. Serves every KB 979174 step: without a certificate no evidence "
     "reaches the collector."},
    {"enroll_ca", "KerbsideCategory_Connection",
     "The enterprise CA for enroll_template, as HOST\\CA name (certutil -config), for example "
     "ca01.contoso.com\\Contoso Issuing CA."},
    {"enroll_dir", "KerbsideCategory_Connection",
     "Where the enrolled key and certificate are kept (default "
     "%ProgramData%\\Kerbside\\tls)."},
    {"heartbeat_interval", "KerbsideCategory_Connection",
     "How often the agent says it is alive when it has nothing else to send, e.g. 15s. The "
     "collector closes a stream silent for four intervals."},
    {"backoff_initial", "KerbsideCategory_Connection",
     "First delay before reconnecting to an unreachable collector, e.g. 1s."},
    {"backoff_max", "KerbsideCategory_Connection",
     "Longest delay between reconnections, e.g. 60s."},
    {"role", "KerbsideCategory_Role",
     "exchange on Exchange servers, dc on domain controllers. Link this policy to the OU of "
     "each kind. The collector believes a role only when the host's certificate grants it."},
    {"site", "KerbsideCategory_Role",
     "The AD site of the servers this policy applies to. It resolves queues whose next hop is "
     "a site or 'hub version 14' (KB 979174: which server the sender authenticated to)."},
    {"host_tools", "KerbsideCategory_HostTools",
     "Run w32tm, setspn, repadmin and Get-Queue on this server: auto (on Windows), on or off. "
     "They give the clock offsets of KB 979174 step 1, the SPNs of step 3, the replication "
     "status of step 2 and the stuck queues themselves."},
    {"host_tools_interval", "KerbsideCategory_HostTools", "How often to run the tools, e.g. 60s."},
    {"host_tools_timeout", "KerbsideCategory_HostTools", "Deadline of one tool run, e.g. 30s."},
    {"event_log", "KerbsideCategory_EventLog",
     "Read the events the rules use: auto (on Windows), on or off. Exchange 1035 (inbound "
     "ExchangeAuth failed), Kerberos client errors (KRB_AP_ERR_SKEW for step 1, "
     "KRB_AP_ERR_MODIFIED for steps 2 and 3), KDC 4768/4769/4771 failures and event 11 on DCs, "
     "Directory Service replication failures (step 2), NETLOGON 5719 (step 4)."},
    {"event_log_interval", "KerbsideCategory_EventLog", "How often to read new events, e.g. 30s."},
    {"event_log_lookback", "KerbsideCategory_EventLog",
     "How far back the first read goes, e.g. 24h (at most 744h)."},
    {"event_log_max_events", "KerbsideCategory_EventLog",
     "At most this many events in one batch; the rest follow in the next."},
    {"event_log_bookmark", "KerbsideCategory_EventLog",
     "Where the event log bookmark is kept (default: the agent's data folder)."},
    {"directory", "KerbsideCategory_Directory",
     "On domain controllers, read the Exchange servers' accounts (SPNs, key version) and the "
     "PDC emulator from this DC's directory as the machine account: auto (a Windows DC), on or "
     "off. Two DCs that disagree about an account are KB 979174 step 2 (replication); a "
     "missing SMTPSVC SPN is step 3."},
    {"directory_ldap_uri", "KerbsideCategory_Directory",
     "The DC to read, ldap://HOST or ldaps://HOST (default: this DC)."},
    {"directory_interval", "KerbsideCategory_Directory",
     "How often to read the directory, e.g. 60s."},
    {"directory_timeout", "KerbsideCategory_Directory",
     "Deadline of one directory read, e.g. 20s."},
    {"exchange_server", "KerbsideCategory_Directory",
     "NetBIOS names of the Exchange servers whose computer accounts the DCs read (one per "
     "line). KB 979174 step 3: setspn -L on each of them."},
    {"realm", "KerbsideCategory_Probes", "The Kerberos realm, e.g. CONTOSO.COM."},
    {"kdc", "KerbsideCategory_Probes",
     "Domain controllers to probe, host or host:port, one per line. KB 979174 step 4: can this "
     "server reach its DCs on TCP and UDP 88 (and 464)?"},
    {"peer", "KerbsideCategory_Probes",
     "Exchange servers to probe, name or name=host, one per line: a service ticket for "
     "SMTPSVC/<peer> (steps 2 and 3) and an SMTP X-EXPS GSSAPI login (step 6)."},
    {"smtp_ports", "KerbsideCategory_Probes", "SMTP ports to probe on the peers, e.g. 2525,25."},
    {"kdc_probe_client", "KerbsideCategory_Probes",
     "Client name of the AS-REQ probe (a name that does not exist, so the KDC answers with an "
     "error and its clock)."},
    {"probe_interval", "KerbsideCategory_Probes", "Time between probe rounds, e.g. 60s."},
    {"probe_attempt_timeout", "KerbsideCategory_Probes", "Deadline of one probe attempt, e.g. 2s."},
    {"probe_concurrency", "KerbsideCategory_Probes", "Attempts in flight, 1 to 64."},
    {"probe_kpasswd", "KerbsideCategory_Probes",
     "Also probe port 464 (kpasswd), which KB 979174 step 4 lists with port 88."},
    {"log_level", "KerbsideCategory_Agent", "trace, debug, info, warn or error."},
    {"spool_dir", "KerbsideCategory_Agent",
     "Where evidence waits while the collector is unreachable (default "
     "%ProgramData%\\Kerbside\\spool)."},
    {"spool_max_bytes", "KerbsideCategory_Agent",
     "At most this many bytes of evidence wait; the oldest go first."},
};

// Paths are written as REG_EXPAND_SZ so %ProgramData% and the like work.
bool IsPath(absl::string_view key) {
  return key == "ca" || key == "cert" || key == "key" || key == "enroll_dir" ||
         key == "spool_dir" || key == "event_log_bookmark";
}

std::string Serialize(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

constexpr char kNamespace[] = "http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions";

}  // namespace

absl::Span<const PolicySetting> PolicySettings() { return kSettings; }
absl::Span<const PolicyCategory> PolicyCategories() { return kCategories; }

absl::StatusOr<PolicyTemplateFiles> RenderPolicyTemplates() {
  pugi::xml_document admx, adml;
  for (pugi::xml_document* d : {&admx, &adml}) {
    pugi::xml_node decl = d->append_child(pugi::node_declaration);
    decl.append_attribute("version") = "1.0";
    decl.append_attribute("encoding") = "utf-8";
  }
  pugi::xml_node defs = admx.append_child("policyDefinitions");
  defs.append_attribute("xmlns:xsd") = "http://www.w3.org/2001/XMLSchema";
  defs.append_attribute("xmlns:xsi") = "http://www.w3.org/2001/XMLSchema-instance";
  defs.append_attribute("revision") = "1.0";
  defs.append_attribute("schemaVersion") = "1.0";
  defs.append_attribute("xmlns") = kNamespace;
  pugi::xml_node ns = defs.append_child("policyNamespaces");
  pugi::xml_node target = ns.append_child("target");
  target.append_attribute("prefix") = "kerbside";
  target.append_attribute("namespace") = "Kerbside.Policies.Agent";
  pugi::xml_node using_windows = ns.append_child("using");
  using_windows.append_attribute("prefix") = "windows";
  using_windows.append_attribute("namespace") = "Microsoft.Policies.Windows";
  defs.append_child("resources").append_attribute("minRequiredRevision") = "1.0";
  pugi::xml_node supported = defs.append_child("supportedOn").append_child("definitions");
  pugi::xml_node def = supported.append_child("definition");
  def.append_attribute("name") = "SUPPORTED_KerbsideAgent";
  def.append_attribute("displayName") = "$(string.SUPPORTED_KerbsideAgent)";

  pugi::xml_node res = adml.append_child("policyDefinitionResources");
  res.append_attribute("xmlns:xsd") = "http://www.w3.org/2001/XMLSchema";
  res.append_attribute("xmlns:xsi") = "http://www.w3.org/2001/XMLSchema-instance";
  res.append_attribute("revision") = "1.0";
  res.append_attribute("schemaVersion") = "1.0";
  res.append_attribute("xmlns") = kNamespace;
  res.append_child("displayName").text() = "kerbside agent";
  res.append_child("description").text() =
      "Settings of kerbside-agent, which diagnoses Exchange mail stuck with \"454 4.7.0 "
      "Temporary authentication failure\" (KB 979174).";
  pugi::xml_node resources = res.append_child("resources");
  pugi::xml_node strings = resources.append_child("stringTable");
  pugi::xml_node presentations = resources.append_child("presentationTable");
  auto add_string = [&](const std::string& id, const std::string& text) {
    pugi::xml_node s = strings.append_child("string");
    s.append_attribute("id") = id.c_str();
    s.text() = text.c_str();
  };
  add_string("SUPPORTED_KerbsideAgent", "kerbside-agent 0.1 or later");

  pugi::xml_node categories = defs.append_child("categories");
  pugi::xml_node root = categories.append_child("category");
  root.append_attribute("name") = "Kerbside";
  root.append_attribute("displayName") = "$(string.Kerbside)";
  add_string("Kerbside", "kerbside");
  for (const PolicyCategory& c : kCategories) {
    pugi::xml_node cat = categories.append_child("category");
    cat.append_attribute("name") = c.name;
    cat.append_attribute("displayName") = absl::StrCat("$(string.", c.name, ")").c_str();
    cat.append_child("parentCategory").append_attribute("ref") = "Kerbside";
    add_string(c.name, c.display);
  }

  pugi::xml_node policies = defs.append_child("policies");
  for (const PolicySetting& s : kSettings) {
    const ConfigKey* key = FindConfigKey(s.key);
    if (key == nullptr) {
      return absl::InternalError(absl::StrCat("policy '", s.key, "' is no config key"));
    }
    bool category_known = false;
    for (const PolicyCategory& c : kCategories)
      category_known |= absl::string_view(c.name) == s.category;
    if (!category_known) {
      return absl::InternalError(
          absl::StrCat("policy '", s.key, "': no category '", s.category, "'"));
    }
    const std::string name = absl::StrCat("Kerbside_", s.key);
    pugi::xml_node p = policies.append_child("policy");
    p.append_attribute("name") = name.c_str();
    p.append_attribute("class") = "Machine";
    p.append_attribute("displayName") = absl::StrCat("$(string.", name, ")").c_str();
    p.append_attribute("explainText") = absl::StrCat("$(string.", name, "_Explain)").c_str();
    p.append_attribute("key") = kPolicyRegistryKey;
    p.append_child("parentCategory").append_attribute("ref") = s.category;
    p.append_child("supportedOn").append_attribute("ref") = "SUPPORTED_KerbsideAgent";
    add_string(name, key->help);
    const PolicyCategory* category = nullptr;
    for (const PolicyCategory& c : kCategories) {
      if (absl::string_view(c.name) == s.category) category = &c;
    }
    add_string(
        name + "_Explain",
        absl::StrCat(s.explain, "\n\n", category->serves, "\n\nRegistry value: HKLM\\",
                     kPolicyRegistryKey, "\\", s.key, " (the agent's '", s.key, "' setting)."));
    if (key->kind == ConfigKeyKind::kFlag || key->kind == ConfigKeyKind::kBoolean) {
      // A switch is the policy itself: Enabled writes 1, Disabled 0, Not configured nothing.
      p.append_attribute("valueName") = s.key;
      p.append_child("enabledValue").append_child("decimal").append_attribute("value") = 1;
      p.append_child("disabledValue").append_child("decimal").append_attribute("value") = 0;
      continue;
    }
    p.append_attribute("presentation") = absl::StrCat("$(presentation.", name, ")").c_str();
    pugi::xml_node elements = p.append_child("elements");
    pugi::xml_node presentation = presentations.append_child("presentation");
    presentation.append_attribute("id") = name.c_str();
    if (key->kind == ConfigKeyKind::kList) {
      pugi::xml_node e = elements.append_child("multiText");
      e.append_attribute("id") = s.key;
      e.append_attribute("valueName") = s.key;
      e.append_attribute("required") = "true";
      pugi::xml_node box = presentation.append_child("multiTextBox");
      box.append_attribute("refId") = s.key;
      box.text() = key->help;
    } else {
      pugi::xml_node e = elements.append_child("text");
      e.append_attribute("id") = s.key;
      e.append_attribute("valueName") = s.key;
      e.append_attribute("required") = "true";
      if (IsPath(s.key)) e.append_attribute("expandable") = "true";
      pugi::xml_node box = presentation.append_child("textBox");
      box.append_attribute("refId") = s.key;
      box.append_child("label").text() = key->help;
    }
  }
  return PolicyTemplateFiles{Serialize(admx), Serialize(adml)};
}

}  // namespace kerbside::agent
