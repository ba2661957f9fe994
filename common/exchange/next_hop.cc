#include "common/exchange/next_hop.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

// Where the forms come from (Microsoft's documentation; the table test cites each example):
// - Exchange 2013 "Queues" and Exchange 2016/2019 "Queues and messages in queues", section
//   NextHopSolutionKey: the DeliveryType values and what NextHopDomain holds for each
//   ("Site:<ADSiteName>;Version:<ExchangeVersion>", a DAG name, a mailbox database name, a
//   connector name, an expansion server's FQDN, a smart host list, an AD site name).
//   https://learn.microsoft.com/exchange/mail-flow/queues/queues
// - Exchange 2013/2016 "Mail routing": who is in a routable DAG, a mailbox delivery group ("a
//   collection of Exchange servers of the same version located in one Active Directory site"),
//   connector source servers, a server list.
//   https://learn.microsoft.com/exchange/mail-flow/mail-routing
// - Exchange 2007/2010 Suspend-Queue/Resume-Queue: the 2007/2010 DeliveryType values, with
//   SmtpRelayWithinAdSite for relay between hub transport servers of one AD site. The queue's
//   name for it, "hub version 8" (Exchange 2007) or "hub version 14" (Exchange 2010), is what
//   Exchange Management Shell shows; no Microsoft page spells it, so it is also inferred here
//   from its shape when the DeliveryType is missing.

namespace kerbside::exchange {
namespace {

std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(s); }

bool SameName(absl::string_view a, absl::string_view b) { return absl::EqualsIgnoreCase(a, b); }

// "site:hq; version:15" (Exchange writes the site lower-cased) or "Site:HQ;Version:15".
void ParseDeliveryGroup(absl::string_view text, NextHop& hop) {
  for (absl::string_view part : absl::StrSplit(text, ';', absl::SkipWhitespace())) {
    part = absl::StripAsciiWhitespace(part);
    const size_t colon = part.find(':');
    if (colon == absl::string_view::npos) continue;
    const std::string key = Lower(absl::StripAsciiWhitespace(part.substr(0, colon)));
    const absl::string_view value = absl::StripAsciiWhitespace(part.substr(colon + 1));
    if (key == "site") hop.site = std::string(value);
    if (key == "version") hop.major_version = ExchangeMajorVersion(value);
  }
}

std::vector<std::string> SplitHosts(absl::string_view text) {
  std::vector<std::string> hosts;
  for (absl::string_view h : absl::StrSplit(text, absl::ByAnyChar(",;"), absl::SkipWhitespace())) {
    h = absl::StripAsciiWhitespace(h);
    if (absl::ConsumePrefix(&h, "[")) absl::ConsumeSuffix(&h, "]");
    if (!h.empty()) hosts.emplace_back(h);
  }
  return hosts;
}

// Types whose next hop no Exchange server authenticates to over SMTP with Kerberos: MAPI and
// foreign/agent connectors, Exchange 2003 routing groups (SmtpRelayToTiRg, a routing group name),
// the Submission/Unreachable/Poison queues (Undefined, Unreachable), and the cloud types.
bool IsNotAServerType(absl::string_view type) {
  static constexpr absl::string_view kTypes[] = {"undefined",
                                                 "unreachable",
                                                 "mapidelivery",
                                                 "smtprelaytotirg",
                                                 "nonsmtpgatewaydelivery",
                                                 "deliveryagent",
                                                 "heartbeat",
                                                 "smtprelaytoremoteforest",
                                                 "smtpdeliverytoexo",
                                                 "httpdeliverytomailbox",
                                                 "httpdeliverytoexo",
                                                 "delay",
                                                 "smtpsubmissiontoeop",
                                                 "smtpsubmissiontoexo",
                                                 "httpdeliverytoapp"};
  return std::find(std::begin(kTypes), std::end(kTypes), type) != std::end(kTypes);
}

bool ContainsIgnoreCase(absl::string_view haystack, absl::string_view needle) {
  return absl::StrContains(absl::AsciiStrToLower(haystack), absl::AsciiStrToLower(needle));
}

bool HasRole(const ExchangeServerFacts& f, absl::string_view role) {
  return std::any_of(f.roles.begin(), f.roles.end(),
                     [&](const std::string& r) { return ContainsIgnoreCase(r, role); });
}

// An Edge server is outside the domain: no queue but the Edge one goes to it.
bool OnlyEdge(const ExchangeServerFacts& f) {
  return !f.roles.empty() && std::all_of(f.roles.begin(), f.roles.end(), [](const std::string& r) {
    return ContainsIgnoreCase(r, "edge");
  });
}

// One requirement on a candidate: equal, different, or unknown (taken in, and said).
enum class Match { kYes, kNo, kUnknown };
Match SiteMatch(const ExchangeServerFacts& f, absl::string_view site) {
  if (site.empty() || f.site.empty()) return Match::kUnknown;
  return SameName(f.site, site) ? Match::kYes : Match::kNo;
}
Match VersionMatch(const ExchangeServerFacts& f, int major) {
  if (major == 0 || f.major_version == 0) return Match::kUnknown;
  return f.major_version == major ? Match::kYes : Match::kNo;
}
Match DagMatch(const ExchangeServerFacts& f, absl::string_view dag) {
  if (dag.empty() || f.dag.empty()) return Match::kUnknown;
  return SameName(f.dag, dag) ? Match::kYes : Match::kNo;
}

struct Requirement {
  Match match;
  const char* fact;  // what was unknown: "site", "exchange_version", "dag"
};

void Consider(const ExchangeServerFacts& f, std::initializer_list<Requirement> reqs,
              NextHopCandidates& out) {
  std::vector<std::string> unknown;
  for (const Requirement& r : reqs) {
    if (r.match == Match::kNo) return;
    if (r.match == Match::kUnknown) unknown.push_back(r.fact);
  }
  if (unknown.empty()) {
    out.hosts.push_back(f.name);
  } else {
    out.unknown_facts.push_back(absl::StrCat(f.name, " (", absl::StrJoin(unknown, ", "), ")"));
    out.unknown_hosts.push_back(f.name);
  }
}

}  // namespace

int ExchangeMajorVersion(absl::string_view text) {
  std::string s = Lower(absl::StripAsciiWhitespace(text));
  absl::string_view v = s;
  absl::ConsumePrefix(&v, "microsoft ");
  absl::ConsumePrefix(&v, "exchange server ");
  absl::ConsumePrefix(&v, "exchange ");
  absl::ConsumePrefix(&v, "version ");
  v = absl::StripAsciiWhitespace(v);
  const size_t end = v.find_first_not_of("0123456789");
  int n = 0;
  if (!absl::SimpleAtoi(v.substr(0, end), &n)) return 0;
  switch (n) {  // product years, as admins write them
    case 2007:
      return 8;
    case 2010:
      return 14;
    case 2013:
    case 2016:
    case 2019:
      return 15;
    default:
      break;
  }
  return n >= 6 && n <= 30 ? n : 0;
}

std::string VersionName(int major_version) {
  switch (major_version) {
    case 8:
      return "Exchange 2007";
    case 14:
      return "Exchange 2010";
    case 15:
      return "Exchange 2013 or later";
    case 0:
      return "Exchange";
    default:
      return absl::StrCat("Exchange version ", major_version);
  }
}

NextHop ParseNextHop(absl::string_view next_hop_domain, absl::string_view delivery_type) {
  NextHop hop;
  hop.written = std::string(absl::StripAsciiWhitespace(next_hop_domain));
  hop.delivery_type = std::string(absl::StripAsciiWhitespace(delivery_type));
  const std::string type = Lower(hop.delivery_type);
  const std::string w = Lower(hop.written);
  auto hub_version = [&] {
    hop.form = NextHopForm::kHubsOfOwnSite;
    absl::string_view rest = w;
    if (absl::ConsumePrefix(&rest, "hub version")) hop.major_version = ExchangeMajorVersion(rest);
  };
  if (type == "smtprelaywithinadsite") {
    hub_version();
  } else if (type == "smtprelaytoremoteadsite" || type == "smtprelaytoremoteactivedirectorysite") {
    hop.form = NextHopForm::kAdSite;
    hop.site = hop.written;
  } else if (type == "smtprelaytomailboxdeliverygroup" && absl::StartsWith(w, "site:")) {
    hop.form = NextHopForm::kDeliveryGroup;
    ParseDeliveryGroup(hop.written, hop);
  } else if (type == "smtprelaytodag") {
    hop.form = NextHopForm::kDag;
    hop.dag = hop.written;
  } else if (type == "smtpdeliverytomailbox") {
    hop.form = NextHopForm::kMailboxDatabase;
  } else if (type == "smtprelaytoconnectorsourceservers") {
    hop.form = NextHopForm::kConnectorSources;
  } else if (type == "smtprelaywithinadsitetoedge") {
    hop.form = NextHopForm::kEdge;
  } else if (type == "smarthostconnectordelivery") {
    hop.form = NextHopForm::kHostList;
    hop.hosts = SplitHosts(hop.written);
  } else if (type == "dnsconnectordelivery") {
    hop.form = NextHopForm::kExternal;
  } else if (type == "smtprelaytoservers" || type == "shadowredundancy") {
    hop.form = NextHopForm::kHost;
    hop.hosts = SplitHosts(hop.written);
  } else if (IsNotAServerType(type)) {
    hop.form = NextHopForm::kNotAServer;
  } else if (absl::StartsWith(w, "hub version")) {
    hub_version();
  } else if (absl::StartsWith(w, "site:")) {
    hop.form = NextHopForm::kDeliveryGroup;
    ParseDeliveryGroup(hop.written, hop);
  } else if (absl::StartsWith(w, "edgesync - ")) {
    hop.form = NextHopForm::kEdge;
  } else if (w == "submission" || w == "unreachable domain" || w == "poison message") {
    hop.form = NextHopForm::kNotAServer;
  } else {
    hop.form = NextHopForm::kHost;
    hop.hosts = SplitHosts(hop.written);
  }
  return hop;
}

namespace {

// Which servers a next hop of `hop`'s form can be, in words: the diagnosis says it.
std::string BasisOf(const NextHop& hop, const ExchangeServerFacts& sender) {
  const std::string version = VersionName(hop.major_version);
  switch (hop.form) {
    case NextHopForm::kHubsOfOwnSite:
      return absl::StrCat("the other ", version, " hub transport servers of ",
                          sender.site.empty() ? absl::StrCat(sender.name, "'s AD site (not known)")
                                              : absl::StrCat(sender.name, "'s site ", sender.site));
    case NextHopForm::kAdSite:
      return absl::StrCat("the transport servers of AD site ", hop.site);
    case NextHopForm::kDeliveryGroup:
      return absl::StrCat("the ", version, " servers of site ",
                          hop.site.empty() ? "(not written)" : hop.site,
                          " (a mailbox delivery group)");
    case NextHopForm::kDag:
      return absl::StrCat("the members of DAG ", hop.dag);
    case NextHopForm::kMailboxDatabase:
      // The active copy is on a member of the sender's DAG, or without a DAG on a server of its
      // site (Mail routing, "Delivery groups"); the sender itself delivers without SMTP.
      return !sender.dag.empty()
                 ? absl::StrCat("the members of ", sender.name, "'s DAG ", sender.dag,
                                " (one holds the active copy of ", hop.written, ")")
                 : absl::StrCat("the servers of ", sender.name, "'s site",
                                sender.site.empty() ? "" : " " + sender.site,
                                " (one holds mailbox database ", hop.written, ")");
    case NextHopForm::kEdge:
      return "the Edge Transport servers subscribed to the sender's site";
    default:
      return "";
  }
}

// Why a next hop of a form that names no fleet server has no candidates; empty for the others.
std::string WhyNoServer(const NextHop& hop) {
  switch (hop.form) {
    case NextHopForm::kConnectorSources:
      return absl::StrCat("the source servers of Send connector '", hop.written,
                          "' are not in the evidence (Get-SendConnector)");
    case NextHopForm::kExternal:
      return absl::StrCat("'", hop.written,
                          "' is a remote SMTP domain (DNS delivery), outside the fleet");
    case NextHopForm::kNotAServer:
      return absl::StrCat("'", hop.written, "' (", hop.delivery_type,
                          ") is not a server that Exchange authenticates to over SMTP");
    case NextHopForm::kHost:
    case NextHopForm::kHostList:
      return absl::StrCat("'", hop.written, "' names no host of the fleet");
    default:
      return "";
  }
}

// Each server of the fleet (not the sender, not an Edge-only server) judged against the facts
// the form of `hop` requires.
void ConsiderFleet(const NextHop& hop, const ExchangeServerFacts& sender,
                   const std::vector<ExchangeServerFacts>& fleet, NextHopCandidates& out) {
  for (const ExchangeServerFacts& f : fleet) {
    if (f.name == sender.name || OnlyEdge(f)) continue;
    switch (hop.form) {
      case NextHopForm::kHubsOfOwnSite:
        if (!f.roles.empty() && !HasRole(f, "hub")) continue;
        Consider(f,
                 {{SiteMatch(f, sender.site), "site"},
                  {VersionMatch(f, hop.major_version), "exchange_version"}},
                 out);
        break;
      case NextHopForm::kAdSite:
        Consider(f, {{SiteMatch(f, hop.site), "site"}}, out);
        break;
      case NextHopForm::kDeliveryGroup:
        Consider(f,
                 {{SiteMatch(f, hop.site), "site"},
                  {VersionMatch(f, hop.major_version), "exchange_version"}},
                 out);
        break;
      case NextHopForm::kDag:
        Consider(f, {{DagMatch(f, hop.dag), "dag"}}, out);
        break;
      case NextHopForm::kMailboxDatabase:
        if (!sender.dag.empty()) {
          Consider(f, {{DagMatch(f, sender.dag), "dag"}}, out);
        } else {
          Consider(f, {{SiteMatch(f, sender.site), "site"}}, out);
        }
        break;
      default:
        return;
    }
  }
}

}  // namespace

NextHopCandidates CandidatesFor(const NextHop& hop, const ExchangeServerFacts& sender,
                                const std::vector<ExchangeServerFacts>& fleet) {
  NextHopCandidates out;
  out.basis = BasisOf(hop, sender);
  out.why_none = WhyNoServer(hop);
  if (hop.form == NextHopForm::kEdge) {
    for (const ExchangeServerFacts& f : fleet) {
      if (f.name != sender.name && HasRole(f, "edge")) out.hosts.push_back(f.name);
    }
    if (out.hosts.empty()) {
      out.why_none =
          "no Edge Transport server in the fleet (Edge servers authenticate with their EdgeSync "
          "certificates, not Kerberos)";
    }
  } else {
    ConsiderFleet(hop, sender, fleet, out);
  }
  // Servers known to match come first; a server whose facts are unknown is a candidate only when
  // none is known to match (unknown is never a mismatch, but it is weaker than a match).
  if (out.hosts.empty()) {
    out.hosts = std::move(out.unknown_hosts);
  } else {
    out.unknown_facts.clear();
  }
  out.unknown_hosts.clear();
  std::sort(out.hosts.begin(), out.hosts.end());
  out.hosts.erase(std::unique(out.hosts.begin(), out.hosts.end()), out.hosts.end());
  if (out.hosts.empty() && out.why_none.empty()) {
    out.why_none = absl::StrCat("no server of the fleet is one of ", out.basis);
  }
  return out;
}

}  // namespace kerbside::exchange
