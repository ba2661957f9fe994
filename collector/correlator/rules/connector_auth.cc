// KB 979174 step 6 / KB 979175: the receive connector on T that takes S's connection does not
// offer Exchange Server authentication — often a custom relay connector whose RemoteIPRanges
// cover S's address and so win over "Default T". Exchange picks, among T's enabled connectors
// bound to the port S reached, the one whose matching RemoteIPRanges entry is the most specific
// (DESIGN.md §3).
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

class ConnectorAuthRule : public Rule {
 public:
  const char* cause() const override { return kConnectorAuth; }

  CauseResult Evaluate(const RuleContext& ctx) const override {
    std::vector<CauseResult> results;
    for (const FailingPair* p : ctx.group.pairs) {
      if (p->target_known) results.push_back(ForPair(ctx, *p));
    }
    return StrongestOf(kConnectorAuth, results);
  }

 private:
  CauseResult ForPair(const RuleContext& ctx, const FailingPair& pair) const {
    const FleetIndex& index = ctx.index;
    const std::string& s = pair.sender;
    const std::string& t = pair.target;
    int not_offered = 0;
    for (const v1::LastError* le : pair.last_errors) {
      if (le->failure_class() == v1::LastError::EXCHANGE_AUTH_NOT_OFFERED) ++not_offered;
    }
    const auto& connector_sets = index.Of(t, v1::Evidence::kReceiveConnectors);
    const model::HostEvidence* sh = index.Host(s);
    if (connector_sets.empty()) {
      if (not_offered > 0 || HasNonDefault(pair, t)) {
        return Supported(kConnectorAuth, Confidence::kPossible, t,
                         absl::StrCat(not_offered > 0 ? "'451 5.7.3 Cannot achieve Exchange Server "
                                                        "authentication' in "
                                                      : "event 1035 on ",
                                      not_offered > 0 ? absl::StrCat(s, "'s queue") : t, "; ", t,
                                      "'s receive connectors were not collected"),
                         pair.events,
                         {absl::StrCat("On ", t,
                                       ": Get-ReceiveConnector | fl Identity,Bindings,"
                                       "RemoteIPRanges,AuthMechanism,PermissionGroups")});
      }
      return NotChecked(kConnectorAuth, absl::StrCat("no receive connectors of ", t,
                                                     " (get-receiveconnector.json or .txt)"));
    }
    if (sh == nullptr || sh->identity.ips().empty()) {
      return NotChecked(kConnectorAuth, absl::StrCat(s, "'s IP addresses are unknown (host.json)"));
    }
    const v1::Evidence& ev = *connector_sets.back();
    const model::HostEvidence* th = index.Host(t);
    std::vector<int> ports(pair.ports.begin(), pair.ports.end());
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
      chosen = exchange::PickReceiveConnector(ev.receive_connectors(), port, target_ips,
                                              Ips(sh->identity.ips()));
      if (chosen.connector != nullptr) break;
    }
    if (chosen.connector == nullptr) {
      return RuledOut(
          kConnectorAuth,
          absl::StrCat("no enabled connector of ", t, " on port ", absl::StrJoin(ports, "/"),
                       " accepts ", s, "; the failure is not a connector's authentication"));
    }
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
    std::vector<EvidenceNote> evidence = {index.Note(
        ev, absl::StrCat("'", label, "' on ", t, " takes ", s, "'s connections to port ",
                         chosen.port, " (its RemoteIPRanges entry ", chosen.range->text(),
                         " is the most specific match for ", chosen.remote_ip, ") and lacks ",
                         absl::StrJoin(lacks, " and ")))};
    bool corroborated = not_offered > 0;
    for (const std::string& named : pair.connectors_in_1035) {
      if (absl::EqualsIgnoreCase(named, c.name()) || absl::EqualsIgnoreCase(named, label)) {
        corroborated = true;
      }
    }
    evidence.insert(evidence.end(), pair.events.begin(), pair.events.end());
    const bool is_default = absl::StartsWithIgnoreCase(c.name(), "Default ");
    std::vector<std::string> fix;
    if (!is_default) {
      fix.push_back(
          absl::StrCat("Narrow the custom connector so it no longer covers the Exchange servers: "
                       "Set-ReceiveConnector \"",
                       label, "\" -RemoteIPRanges <its ranges without ", chosen.remote_ip,
                       ">  (entry ", chosen.range->text(), " covers ", s, ")"));
      fix.push_back(absl::StrCat("Or, if it must accept ", s, ": Set-ReceiveConnector \"", label,
                                 "\" -AuthMechanism \"Tls, Integrated, BasicAuth, "
                                 "BasicAuthRequireTLS, ExchangeServer\" -PermissionGroups "
                                 "\"ExchangeUsers, ExchangeServers, ExchangeLegacyServers\""));
    } else {
      fix.push_back(absl::StrCat("Restore Exchange Server authentication: Set-ReceiveConnector \"",
                                 label,
                                 "\" -AuthMechanism \"Tls, Integrated, BasicAuth, "
                                 "BasicAuthRequireTLS, ExchangeServer\" -PermissionGroups "
                                 "\"ExchangeUsers, ExchangeServers, ExchangeLegacyServers\""));
    }
    return Supported(kConnectorAuth, Grade(true, !index.IsStale(ev), corroborated), t,
                     absl::StrCat("receive connector '", label, "' on ", t, " takes ", s,
                                  "'s mail and lacks ", absl::StrJoin(lacks, " and ")),
                     std::move(evidence), std::move(fix));
  }

  static bool HasNonDefault(const FailingPair& pair, const std::string& t) {
    for (const std::string& c : pair.connectors_in_1035) {
      if (!absl::StartsWithIgnoreCase(c, "Default ")) return true;
    }
    (void)t;
    return false;
  }
};

}  // namespace

const Rule* ConnectorAuthRuleInstance() {
  static const ConnectorAuthRule rule;
  return &rule;
}

}  // namespace kerbside::correlator
