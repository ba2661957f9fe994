// KB 979174 cause 4: the sender (or the target) cannot reach its DCs on TCP/UDP 88 while those
// DCs are up. Windows sends most tickets of an Exchange server over TCP (its PAC exceeds the
// UDP limit), so a blocked TCP 88 alone breaks ExchangeAuth.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/correlator/rules/rule.h"
#include "common/events/event_ids.h"

namespace kerbside::correlator {
namespace {

// A port that refused or stayed silent. A TCP probe whose handshake completed reached the KDC:
// the port is open and the KDC was slow (seen in the lab when a DC was busy), which is not
// this cause.
bool Failed(const v1::KdcProbe& p) {
  if (p.transport() == v1::KdcProbe::TCP && p.connected()) return false;
  return p.outcome() == v1::KdcProbe::REFUSED || p.outcome() == v1::KdcProbe::TIMED_OUT;
}

std::string OutcomeName(const v1::KdcProbe& p) {
  switch (p.outcome()) {
    case v1::KdcProbe::REFUSED:
      return "refused";
    case v1::KdcProbe::TIMED_OUT:
      return "timed out";
    case v1::KdcProbe::ANSWERED:
      return "answered";
    default:
      return "error";
  }
}

// "TCP and UDP 88, TCP 464": the ports that failed toward any of `dcs`, by port, TCP first.
std::string FailedPorts(
    const std::set<std::string>& dcs,
    const std::map<std::string, std::map<int, std::set<std::string>>>& failed_ports) {
  std::map<int, std::set<std::string>> ports;
  for (const std::string& dc : dcs) {
    auto it = failed_ports.find(dc);
    if (it == failed_ports.end()) continue;
    for (const auto& [port, transports] : it->second) {
      ports[port].insert(transports.begin(), transports.end());
    }
  }
  std::vector<std::string> parts;
  for (const auto& [port, transports] : ports) {
    // std::set orders "TCP" before "UDP".
    parts.push_back(absl::StrCat(absl::StrJoin(transports, " and "), " ", port));
  }
  return absl::StrJoin(parts, ", ");
}

// What one host's KDC probes say.
struct HostProbes {
  bool probed = false;
  bool fresh = false;         // some failing TCP probe is not stale evidence
  bool others_reach = false;  // another host's probes got an answer from a DC this one cannot reach
  std::set<std::string> blocked_dcs;                         // TCP 88 (or its KDC port) failed
  std::map<std::string, std::vector<std::string>> failures;  // dc -> "TCP 88 refused"
  std::map<std::string, const v1::Evidence*> source;         // dc -> the probes file
  // dc -> port -> the transports that failed ("TCP", "UDP")
  std::map<std::string, std::map<int, std::set<std::string>>> failed_ports;
};

HostProbes ReadProbes(const FleetIndex& index, const std::string& h) {
  HostProbes out;
  for (const v1::Evidence* e : index.Of(h, v1::Evidence::kProbes)) {
    for (const v1::KdcProbe& p : e->probes().kdc()) {
      out.probed = true;
      const std::string dc = index.Resolve(p.kdc()).value_or(p.kdc());
      if (!Failed(p)) continue;
      const bool tcp = p.transport() == v1::KdcProbe::TCP;
      // Every failed port is said in the summary (issue 16: "on TCP 88" when UDP and TCP, 88
      // and 464 were all blocked); only TCP 88 decides the cause.
      out.failed_ports[dc][p.port()].insert(tcp ? "TCP" : "UDP");
      // kpasswd (464) matters for password changes, not for ExchangeAuth's tickets.
      if (p.service() == v1::KdcProbe::KPASSWD || p.port() == 464) continue;
      // TCP failing is enough to break ExchangeAuth; UDP alone failing is not.
      out.failures[dc].push_back(
          absl::StrCat(tcp ? "TCP " : "UDP ", p.port(), " ", OutcomeName(p)));
      out.source.emplace(dc, e);
      if (!tcp) continue;
      out.blocked_dcs.insert(dc);
      out.fresh |= !index.IsStale(*e);
      if (index.AnsweringKdcs().count(dc)) out.others_reach = true;
    }
  }
  return out;
}

// The verdict for host `h` when its probes failed, or NETLOGON found no DC; nullopt otherwise.
std::optional<CauseResult> HostVerdict(const FleetIndex& index, const std::string& h,
                                       const HostProbes& probes) {
  std::vector<EvidenceNote> direct, corroboration;
  for (const std::string& dc : probes.blocked_dcs) {
    direct.push_back(
        index.Note(*probes.source.at(dc),
                   absl::StrCat(h, " -> ", dc, ": ", absl::StrJoin(probes.failures.at(dc), ", "))));
    if (index.AnsweringKdcs().count(dc)) {
      corroboration.push_back({"", "kerbside probes of other hosts",
                               absl::StrCat("other hosts reach ", dc, " on 88"), std::nullopt,
                               std::nullopt, false});
    }
  }
  int no_logon_servers = 0;
  ForEachEvent(
      index, h, {events::kNetlogonNoDc}, [&](const v1::Evidence& e, const v1::EventRecord&) {
        if (no_logon_servers++ == 0) {
          corroboration.push_back(
              index.Note(e, absl::StrCat("NETLOGON 5719 on ", h, ": no logon server available")));
        }
      });
  if (!probes.blocked_dcs.empty()) {
    std::vector<std::string> fix;
    for (const std::string& dc : probes.blocked_dcs) {
      fix.push_back(absl::StrCat("Open TCP and UDP 88 (Kerberos) and 464 (kpasswd) from ", h,
                                 " to ", dc, " in every firewall between them"));
      fix.push_back(absl::StrCat("Verify on ", h, ": Test-NetConnection ", dc, " -Port 88"));
    }
    std::vector<EvidenceNote> evidence = direct;
    evidence.insert(evidence.end(), corroboration.begin(), corroboration.end());
    return Supported(
        kKerberosPortsBlocked,
        Grade(true, probes.fresh, probes.others_reach || no_logon_servers > 0), h,
        absl::StrCat(h, " cannot reach its KDC", probes.blocked_dcs.size() > 1 ? "s " : " ",
                     JoinNames(probes.blocked_dcs), " on ",
                     FailedPorts(probes.blocked_dcs, probes.failed_ports),
                     probes.others_reach ? " while other hosts can" : ""),
        std::move(evidence), std::move(fix));
  }
  if (no_logon_servers > 0) {
    return Supported(
        kKerberosPortsBlocked, Confidence::kPossible, h,
        absl::StrCat("NETLOGON 5719 on ", h,
                     ": it found no DC; its ports to the DCs were not probed"),
        corroboration,
        {absl::StrCat("On ", h, ": Test-NetConnection <DC> -Port 88; nltest /dsgetdc:<domain>")});
  }
  return std::nullopt;
}

class KerberosPortsBlockedRule : public Rule {
 public:
  const char* cause() const override { return kKerberosPortsBlocked; }

  // Each sender and target judged on its own probes; the most confident verdict wins.
  CauseResult Evaluate(const RuleContext& ctx) const override {
    std::set<std::string> hosts(ctx.group.senders.begin(), ctx.group.senders.end());
    hosts.insert(ctx.group.targets.begin(), ctx.group.targets.end());
    std::optional<CauseResult> best;
    std::set<std::string> unprobed;
    std::vector<std::string> reachable;
    for (const std::string& h : hosts) {
      const HostProbes probes = ReadProbes(ctx.index, h);
      if (std::optional<CauseResult> r = HostVerdict(ctx.index, h, probes)) {
        if (!best || r->confidence > best->confidence) best = std::move(r);
      } else if (!probes.probed) {
        unprobed.insert(h);
      } else {
        reachable.push_back(h);
      }
    }
    if (best) return *best;
    if (!unprobed.empty() &&
        std::none_of(ctx.group.senders.begin(), ctx.group.senders.end(),
                     [&](const std::string& s) { return unprobed.count(s) == 0; })) {
      return NotChecked(kKerberosPortsBlocked,
                        absl::StrCat("no KDC probe from ", JoinNames(unprobed),
                                     " (probes.json or a live agent)"));
    }
    return RuledOut(
        kKerberosPortsBlocked,
        absl::StrCat(
            absl::StrJoin(reachable, ", "), " reach their KDCs on TCP 88",
            unprobed.empty() ? "" : absl::StrCat(" (", JoinNames(unprobed), " not probed)")));
  }
};

}  // namespace

const Rule* KerberosPortsBlockedRuleInstance() {
  static const KerberosPortsBlockedRule rule;
  return &rule;
}

}  // namespace kerbside::correlator
