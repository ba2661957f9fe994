// KB 979174 step 6 / KB 979175: the receive connector on T that takes S's connection does not
// offer Exchange Server authentication — often a custom relay connector whose RemoteIPRanges
// cover S's address and so win over "Default T". Exchange picks, among T's enabled connectors
// bound to the port S reached, the one whose matching RemoteIPRanges entry is the most specific
// (DESIGN.md §3).
#include <algorithm>

#include "absl/numeric/int128.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/correlator/rules/rule.h"
#include "common/exchange/ip_range.h"
#include "common/exchange/next_hop.h"
#include "common/exchange/receive_connector.h"

namespace kerbside::correlator {
namespace {

std::vector<std::string> Ips(const google::protobuf::RepeatedPtrField<std::string>& ips) {
  return {ips.begin(), ips.end()};
}

bool Names1035AConnectorBesidesDefault(const FailingPair& pair) {
  for (const std::string& c : pair.connectors_in_1035) {
    if (!absl::StartsWithIgnoreCase(c, "Default ")) return true;
  }
  return false;
}

// Without T's connectors: what the queues' 5.7.3 and T's 1035s allow.
CauseResult WithoutConnectors(const FailingPair& pair, int not_offered) {
  const std::string& s = pair.sender;
  const std::string& t = pair.target;
  if (not_offered == 0 && !Names1035AConnectorBesidesDefault(pair)) {
    return NotChecked(kConnectorAuth, absl::StrCat("no receive connectors of ", t,
                                                   " (get-receiveconnector.json or .txt)"));
  }
  return Supported(
      kConnectorAuth, Confidence::kPossible, t,
      absl::StrCat(
          not_offered > 0
              ? absl::StrCat("'451 5.7.3 Cannot achieve Exchange Server authentication' in ", s,
                             "'s queue")
              : absl::StrCat("event 1035 on ", t),
          "; ", t, "'s receive connectors were not collected"),
      pair.events,
      {absl::StrCat("On ", t,
                    ": Get-ReceiveConnector | fl Identity,Bindings,RemoteIPRanges,AuthMechanism,"
                    "PermissionGroups")});
}

// The connector of T that takes S's connection: the first port S reached (or that Exchange
// uses between servers) with a connector whose RemoteIPRanges cover S.
exchange::ConnectorChoice ConnectorTaking(const FleetIndex& index, const FailingPair& pair,
                                          const v1::Evidence& connectors, std::vector<int>& ports) {
  const model::HostEvidence* sh = index.Host(pair.sender);
  const model::HostEvidence* th = index.Host(pair.target);
  ports.assign(pair.ports.begin(), pair.ports.end());
  if (ports.empty()) {
    // Exchange 2007/2010 hubs take server-to-server mail on 25 ("Default <T>"); 2013+ on 2525
    // (the Transport service behind the Front End), else 25 (DESIGN.md §3).
    const int major =
        th == nullptr ? 0 : exchange::ExchangeMajorVersion(th->identity.exchange_version());
    ports = (major == 8 || major == 14) ? std::vector<int>{25} : std::vector<int>{2525, 25};
  }
  const std::vector<std::string> target_ips =
      th == nullptr ? std::vector<std::string>{} : Ips(th->identity.ips());
  exchange::ConnectorChoice chosen;
  for (int port : ports) {
    chosen = exchange::PickReceiveConnector(connectors.receive_connectors(), port, target_ips,
                                            Ips(sh->identity.ips()));
    if (chosen.connector != nullptr) break;
  }
  return chosen;
}

std::vector<std::string> ConnectorFix(const exchange::ConnectorChoice& chosen,
                                      const std::string& label, const std::string& s) {
  const std::string restore = absl::StrCat(
      "Set-ReceiveConnector \"", label,
      "\" -AuthMechanism \"Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer\" "
      "-PermissionGroups \"ExchangeUsers, ExchangeServers, ExchangeLegacyServers\"");
  if (absl::StartsWithIgnoreCase(chosen.connector->name(), "Default ")) {
    return {absl::StrCat("Restore Exchange Server authentication: ", restore)};
  }
  return {absl::StrCat("Narrow the custom connector so it no longer covers the Exchange servers: "
                       "Set-ReceiveConnector \"",
                       label, "\" -RemoteIPRanges <its ranges without ", chosen.remote_ip,
                       ">  (entry ", chosen.range->text(), " covers ", s, ")"),
          absl::StrCat("Or, if it must accept ", s, ": ", restore)};
}

CauseResult ConnectorVerdict(const FleetIndex& index, const FailingPair& pair,
                             const v1::Evidence& ev, const exchange::ConnectorChoice& chosen,
                             int not_offered) {
  const std::string& s = pair.sender;
  const std::string& t = pair.target;
  const v1::ReceiveConnector& c = *chosen.connector;
  const bool auth_ok = exchange::HasConnectorFlag(c.auth_mechanism(), "ExchangeServer");
  const bool perm_ok = exchange::HasConnectorFlag(c.permission_groups(), "ExchangeServers");
  const std::string label = c.identity().empty() ? c.name() : c.identity();
  if (auth_ok && perm_ok) {
    return RuledOut(kConnectorAuth,
                    absl::StrCat(s, " (", chosen.remote_ip, ") lands on '", label, "' (port ",
                                 chosen.port, ", range ", chosen.range->text(),
                                 "), which offers Exchange Server authentication"));
  }
  std::vector<std::string> lacks;
  if (!auth_ok) lacks.push_back("ExchangeServer in AuthMechanism");
  if (!perm_ok) lacks.push_back("ExchangeServers in PermissionGroups");
  std::vector<EvidenceNote> evidence = {
      index.Note(ev, absl::StrCat("'", label, "' on ", t, " takes ", s, "'s connections to port ",
                                  chosen.port, " (its RemoteIPRanges entry ", chosen.range->text(),
                                  " is the most specific match for ", chosen.remote_ip,
                                  ") and lacks ", absl::StrJoin(lacks, " and ")))};
  evidence.insert(evidence.end(), pair.events.begin(), pair.events.end());
  // Corroborated by the queues' 5.7.3, or by a 1035 naming this connector.
  const bool corroborated =
      not_offered > 0 || std::any_of(pair.connectors_in_1035.begin(), pair.connectors_in_1035.end(),
                                     [&](const std::string& named) {
                                       return absl::EqualsIgnoreCase(named, c.name()) ||
                                              absl::EqualsIgnoreCase(named, label);
                                     });
  return Supported(kConnectorAuth, Grade(true, !index.IsStale(ev), corroborated), t,
                   absl::StrCat("receive connector '", label, "' on ", t, " takes ", s,
                                "'s mail and lacks ", absl::StrJoin(lacks, " and ")),
                   std::move(evidence), ConnectorFix(chosen, label, s));
}

class ConnectorAuthRule : public Rule {
 public:
  const char* cause() const override { return kConnectorAuth; }

  CauseResult Evaluate(const RuleContext& ctx) const override {
    std::vector<CauseResult> results;
    for (const FailingPair* p : ctx.group.pairs) {
      if (p->target_known) results.push_back(ForPair(ctx.index, *p));
    }
    return StrongestOf(kConnectorAuth, std::move(results));
  }

 private:
  static CauseResult ForPair(const FleetIndex& index, const FailingPair& pair) {
    int not_offered = 0;
    for (const v1::LastError* le : pair.last_errors) {
      if (le->failure_class() == v1::LastError::EXCHANGE_AUTH_NOT_OFFERED) ++not_offered;
    }
    const auto connector_sets = index.Of(pair.target, v1::Evidence::kReceiveConnectors);
    if (connector_sets.empty()) return WithoutConnectors(pair, not_offered);
    const model::HostEvidence* sh = index.Host(pair.sender);
    if (sh == nullptr || sh->identity.ips().empty()) {
      return NotChecked(kConnectorAuth,
                        absl::StrCat(pair.sender, "'s IP addresses are unknown (host.json)"));
    }
    const v1::Evidence& ev = *connector_sets.back();
    std::vector<int> ports;
    const exchange::ConnectorChoice chosen = ConnectorTaking(index, pair, ev, ports);
    if (chosen.connector == nullptr) {
      return RuledOut(kConnectorAuth,
                      absl::StrCat("no enabled connector of ", pair.target, " on port ",
                                   absl::StrJoin(ports, "/"), " accepts ", pair.sender,
                                   "; the failure is not a connector's authentication"));
    }
    return ConnectorVerdict(index, pair, ev, chosen, not_offered);
  }
};

}  // namespace

const Rule* ConnectorAuthRuleInstance() {
  static const ConnectorAuthRule rule;
  return &rule;
}

}  // namespace kerbside::correlator
