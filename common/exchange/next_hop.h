#ifndef KERBSIDE_COMMON_EXCHANGE_NEXT_HOP_H_
#define KERBSIDE_COMMON_EXCHANGE_NEXT_HOP_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace kerbside::exchange {

// What a delivery queue's NextHopDomain names, read together with its DeliveryType (DESIGN.md
// §3). Sources, for each form, in next_hop.cc and the table test.
enum class NextHopForm {
  kHost,              // one server: an intra-org FQDN, an expansion server, a shadow's primary
  kHostList,          // smart hosts: "smarthost01.contoso.com,[10.10.10.100]"
  kHubsOfOwnSite,     // 2007/2010 SmtpRelayWithinAdSite: the other hubs of the sender's site
  kAdSite,            // SmtpRelayToRemoteAdSite: the hub (transport) servers of that site
  kDeliveryGroup,     // 2013+ SmtpRelayToMailboxDeliveryGroup: "site:<SITE>; version:<N>"
  kDag,               // 2013+ SmtpRelayToDag: the DAG's members
  kMailboxDatabase,   // 2013+ SmtpDeliveryToMailbox: the server with the active copy
  kConnectorSources,  // 2013+ SmtpRelayToConnectorSourceServers: a Send connector's sources
  kEdge,              // SmtpRelayWithinAdSiteToEdge: subscribed Edge servers
  kExternal,          // DnsConnectorDelivery: a remote SMTP domain's MX hosts
  kNotAServer,        // Submission, Unreachable, Heartbeat, Foreign/Delivery Agent connectors
};

struct NextHop {
  NextHopForm form = NextHopForm::kHost;
  std::string written;             // NextHopDomain as Get-Queue shows it
  std::string delivery_type;       // as Get-Queue shows it ("" when the file has none)
  std::vector<std::string> hosts;  // kHost, kHostList: names or addresses, brackets removed
  std::string site;                // kAdSite, kDeliveryGroup
  std::string dag;                 // kDag
  int major_version = 0;           // kHubsOfOwnSite, kDeliveryGroup: 8, 14, 15; 0 unknown
};

// Pure. An empty or unknown DeliveryType is inferred from the NextHopDomain's shape ("hub
// version 14", "site:...; version:15") and otherwise taken as a host name.
NextHop ParseNextHop(absl::string_view next_hop_domain, absl::string_view delivery_type);

// Exchange's major version from what an admin or a cmdlet writes: "15.2.1118.7",
// "Version 15.1 (Build 2507.6)", "14", "Exchange 2010", "2019". 0 when it cannot tell.
int ExchangeMajorVersion(absl::string_view text);

// What one Exchange server of the fleet is known to be. Empty or zero: unknown, never a mismatch.
struct ExchangeServerFacts {
  std::string name;  // the fleet's key (upper-case NetBIOS name)
  std::string site;
  int major_version = 0;
  std::string dag;
  std::vector<std::string> roles;  // "Mailbox", "HubTransport", "Edge", ... as Exchange names them
};

// The servers a queue could be delivering to, and why.
struct NextHopCandidates {
  std::vector<std::string> hosts;  // fleet keys, sorted; never the sender
  // The set in words: "the other Exchange 2010 hub transport servers of site HQ (EX01's site)".
  std::string basis;
  // When no server is known to match, the servers whose facts are unknown (no site,
  // exchange_version or dag in their host.json or hello) are the candidates, named here with
  // the fact: "EX05 (exchange_version)".
  std::vector<std::string> unknown_facts;
  std::vector<std::string> unknown_hosts;  // scratch while resolving; empty on return
  // No candidate: what is missing or why the form names no server of the fleet.
  std::string why_none;
};

// Candidates for the server forms (hubs of own site, AD site, delivery group, DAG, mailbox
// database, Edge); other forms get no candidates and a reason. `fleet` holds every Exchange
// server the collector or bundle knows, the sender included.
NextHopCandidates CandidatesFor(const NextHop& hop, const ExchangeServerFacts& sender,
                                const std::vector<ExchangeServerFacts>& fleet);

// "Exchange 2010" for 14, "Exchange 2013 or later" for 15, "Exchange 2007" for 8.
std::string VersionName(int major_version);

}  // namespace kerbside::exchange

#endif  // KERBSIDE_COMMON_EXCHANGE_NEXT_HOP_H_
