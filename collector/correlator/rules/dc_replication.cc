// KB 979174 cause 2: the sender's KDC holds a stale copy of the target's computer account (old
// key version or SPNs) because replication between DCs fails. Direct evidence is DCs that
// disagree about the account; failing replication of the account's own naming context (not
// DNS zones or the configuration partition) corroborates it.
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "collector/correlator/rules/rule.h"
#include "common/events/event_ids.h"

namespace kerbside::correlator {
namespace {

std::string DomainNc(const std::string& dns_domain) {
  if (dns_domain.empty()) return "";
  std::vector<std::string> parts;
  for (absl::string_view label : absl::StrSplit(dns_domain, '.')) {
    parts.push_back(absl::StrCat("dc=", absl::AsciiStrToLower(label)));
  }
  return absl::StrJoin(parts, ",");
}

// What repadmin's Last Failure Status means (FORMATS.md).
std::string StatusMeaning(int64_t status) {
  switch (status) {
    case 1722:
      return "1722 RPC server unavailable: the DC cannot reach its partner (firewall, DNS, or "
             "the partner is down)";
    case 1256:
      return "1256 remote system not available (usually secondary to a 1722)";
    case 8524:
      return "8524 DNS lookup failure: the partner's CNAME/A record does not resolve";
    case 8453:
      return "8453 replication access denied";
    case 8606:
      return "8606 insufficient attributes: lingering objects";
    case 8614:
      return "8614 tombstone lifetime exceeded: the DC is quarantined";
    case 1908:
      return "1908 could not find the domain controller";
    case 1396:
      return "1396 target account name incorrect";
    case 5:
      return "5 access denied";
    case -2146893022:
      return "-2146893022 (0x80090322) target principal name is incorrect (stale machine "
             "password or wrong host behind the name)";
    case -2146893020:
      return "-2146893020 (0x80090324) clock skew between the DCs";
    case 121:
      return "121 semaphore timeout: the partner does not answer";
    case 2:
      return "2 file not found: the connection was refused";
    default:
      return absl::StrCat(status);
  }
}

struct View {
  std::string dc;
  std::set<std::string> spns;  // lower case
  int64_t kvno = -1;
  const v1::Evidence* evidence;
};

// The failing links of naming context `nc`, read once per correlation (FleetMemo).
const FleetMemo::ReplicationFailures& FailuresOf(const RuleContext& ctx, const std::string& nc) {
  auto [it, added] = ctx.memo->replication_by_nc.try_emplace(nc);
  FleetMemo::ReplicationFailures& out = it->second;
  if (!added) return out;
  const FleetIndex& index = ctx.index;
  for (const auto& [e, lp] : index.FailingLinks(nc)) {
    const v1::ReplicationLink& l = *lp;
    const std::string dest =
        index.Resolve(ShortName(l.destination_dsa())).value_or(ShortName(l.destination_dsa()));
    out.stale_dcs.insert(dest);
    const std::string meaning = StatusMeaning(l.last_failure_status());
    out.meanings.push_back(absl::StrCat(dest, " from ", ShortName(l.source_dsa()), ": ", meaning));
    if (out.notes.size() < 6) {
      out.notes.push_back(index.Note(
          *e, absl::StrCat(dest, " has failed to replicate ", l.naming_context(), " from ",
                           ShortName(l.source_dsa()), " ", l.consecutive_failures(),
                           " times (last status ", meaning, ")")));
    }
  }
  return out;
}

// When the target's domain is unknown: the NC that looks like a domain (only DC= parts).
std::string DomainNcOfLinks(const v1::ReplicationStatus& r) {
  for (const v1::ReplicationLink& l : r.links()) {
    const std::string nc = NormalizeDn(l.naming_context());
    bool only_dc = !nc.empty();
    for (absl::string_view part : absl::StrSplit(nc, ',')) {
      if (!absl::StartsWith(part, "dc=")) only_dc = false;
    }
    if (only_dc) return nc;
  }
  return "";
}

// Each DC's copy of `t`'s account: setspn listings from DCs and the DC agents' directory reads.
std::vector<View> AccountViews(const FleetIndex& index, const std::string& t) {
  std::vector<View> views;
  for (const v1::Evidence* e : index.About(t, v1::Evidence::kSpnListing)) {
    const model::HostEvidence* h = index.Host(e->host());
    if (h == nullptr || h->identity.role() != v1::ROLE_DC) continue;
    const v1::SpnListing& l = e->spn_listing();
    if (ShortName(l.account_dn()) != t && ShortName(l.account()) != t &&
        ShortName(e->subject()) != t) {
      continue;
    }
    View v{e->host(), {}, -1, e};
    for (const std::string& s : l.spns()) v.spns.insert(absl::AsciiStrToLower(s));
    views.push_back(std::move(v));
  }
  for (const v1::Evidence* e : index.About(t, v1::Evidence::kComputerAccounts)) {
    for (const v1::ComputerAccount& a : e->computer_accounts().accounts()) {
      if (ShortName(a.sam_account_name()) != t) continue;
      View v{index.Resolve(a.read_from_dc()).value_or(e->host()), {}, a.key_version_number(), e};
      for (const std::string& s : a.spns()) v.spns.insert(absl::AsciiStrToLower(s));
      views.push_back(std::move(v));
    }
  }
  return views;
}

// DCs whose copy of the account is behind: the direct evidence.
struct StaleCopies {
  std::set<std::string> dcs;
  std::vector<EvidenceNote> notes;
  bool fresh = false;  // some of it is not stale evidence
};

// Each view against the richest one (the DC that has seen the latest change holds the most SPNs
// and the highest kvno).
void CompareViews(const FleetIndex& index, const std::string& t, const std::vector<View>& views,
                  StaleCopies& out) {
  if (views.size() < 2) return;
  const View* best = &views.front();
  for (const View& v : views) {
    if (v.kvno > best->kvno || (v.kvno == best->kvno && v.spns.size() > best->spns.size())) {
      best = &v;
    }
  }
  for (const View& v : views) {
    if (v.dc == best->dc) continue;
    std::vector<std::string> lacking;
    for (const std::string& s : best->spns) {
      if (v.spns.count(s) == 0) lacking.push_back(s);
    }
    const bool kvno_differs = v.kvno >= 0 && best->kvno >= 0 && v.kvno != best->kvno;
    if (lacking.empty() && !kvno_differs) continue;
    out.dcs.insert(v.dc);
    out.fresh |= !index.IsStale(*v.evidence);
    out.notes.push_back(index.Note(
        *v.evidence,
        absl::StrCat(
            v.dc, "'s copy of ", t, " differs from ", best->dc, "'s",
            lacking.empty() ? "" : absl::StrCat(": lacks ", absl::StrJoin(lacking, ", ")),
            kvno_differs ? absl::StrCat(" (kvno ", v.kvno, " vs ", best->kvno, ")") : "")));
  }
}

// The kvno of the tickets each KDC issued for SMTPSVC/T (kerbside's ticket probes): a KDC behind
// the others holds an old key.
void CompareTicketKvnos(const FleetIndex& index, const std::string& t, StaleCopies& out) {
  std::map<std::string, std::pair<int, const v1::Evidence*>> ticket_kvno;
  for (const v1::Evidence* e : index.About(t, v1::Evidence::kProbes)) {
    for (const v1::TicketProbe& p : e->probes().tickets()) {
      if (!p.ok() || !IsTargetSmtpSpn(p.service_principal(), t, index.Fqdn(t))) continue;
      ticket_kvno[index.Resolve(p.kdc()).value_or(p.kdc())] = {p.kvno(), e};
    }
  }
  if (ticket_kvno.size() < 2) return;
  int max_kvno = 0;
  for (const auto& [kdc, kv] : ticket_kvno) max_kvno = std::max(max_kvno, kv.first);
  for (const auto& [kdc, kv] : ticket_kvno) {
    if (kv.first == max_kvno) continue;
    out.dcs.insert(kdc);
    out.fresh |= !index.IsStale(*kv.second);
    out.notes.push_back(
        index.Note(*kv.second, absl::StrCat(kdc, " issues tickets for SMTPSVC/", t, " with kvno ",
                                            kv.first, " while others use ", max_kvno)));
  }
}

// Replication of the naming context that holds `t`'s account: the corroboration. The same for
// every target of one domain, so read once per correlation and naming context (FleetMemo): each
// target building its own copy of the notes was a visible share of judging (issue 17).
const FleetMemo::AccountReplication& ReplicationOf(const RuleContext& ctx, const std::string& t) {
  const FleetIndex& index = ctx.index;
  const model::HostEvidence* th = index.Host(t);
  std::string nc = DomainNc(th != nullptr ? th->identity.domain() : "");
  const bool data = index.HasReplicationData();
  if (nc.empty() && data) {
    nc = DomainNcOfLinks(index.All(v1::Evidence::kReplication).front()->replication());
  }
  auto [it, added] = ctx.memo->replication_of_nc.try_emplace(nc);
  FleetMemo::AccountReplication& r = it->second;
  if (!added) return r;
  r.nc = std::move(nc);
  r.data = data;
  r.links = index.LinkCount(r.nc);
  r.failing_links = static_cast<int>(index.FailingLinks(r.nc).size());
  r.unrelated_failures = index.FailingLinkCount() - r.failing_links;
  r.failures = &FailuresOf(ctx, r.nc);
  for (const EvidenceNote& n : r.failures->notes) {
    if (r.corroboration.size() < 6) r.corroboration.push_back(n);
  }
  for (uint32_t id : events::kReplicationFailureEvents) {
    for (const auto& [e, ev] : index.EventsWithId(id)) {
      if (r.corroboration.size() >= 8) break;
      const model::HostEvidence* h = index.Host(e->host());
      if (h == nullptr || h->identity.role() != v1::ROLE_DC) continue;
      r.corroboration.push_back(index.Note(
          *e, absl::StrCat("Directory Service event ", ev->event_id(), " on ", e->host())));
    }
  }
  return r;
}

std::vector<std::string> ReplicationFix(const std::string& dc,
                                        const std::vector<std::string>& meanings) {
  std::vector<std::string> steps = {
      absl::StrCat("repadmin /showrepl ", dc, " — read the Last Failure Status"),
      absl::StrCat("repadmin /syncall ", dc, " /AdeP"),
  };
  // The first few links: a domain-wide outage fails hundreds, and the fix is the same.
  constexpr size_t kShown = 5;
  for (size_t i = 0; i < meanings.size() && i < kShown; ++i) {
    steps.push_back(absl::StrCat("Fix: ", meanings[i]));
  }
  if (meanings.size() > kShown) {
    steps.push_back(absl::StrCat("And ", meanings.size() - kShown,
                                 " more failing link(s): repadmin /replsummary lists them"));
  }
  steps.push_back("Then on the senders: klist purge -li 0x3e7 and Retry-Queue");
  return steps;
}

class DcReplicationRule : public PerTargetRule {
 public:
  const char* cause() const override { return kDcReplication; }

  // Gather the DCs' copies of T's account (and the kvno of tickets each KDC issues) and the
  // replication of the naming context holding it; judge a stale copy first, failing
  // replication alone next.
  // The target's account and the fleet's DCs only.
  bool JudgesTargetAlone() const override { return true; }

  CauseResult ForTarget(const RuleContext& ctx, const std::string& t) const override {
    const std::vector<View> views = AccountViews(ctx.index, t);
    StaleCopies stale;
    CompareViews(ctx.index, t, views, stale);
    CompareTicketKvnos(ctx.index, t, stale);
    const FleetMemo::AccountReplication& repl = ReplicationOf(ctx, t);
    // The DCs whose copy is stale: this account's, and the destinations of the naming
    // context's failing links (the same for every target: merged only when this one adds any,
    // since a domain-wide outage names hundreds of DCs).
    const std::set<std::string>& link_dcs = repl.failures->stale_dcs;
    std::set<std::string> merged;
    if (!stale.dcs.empty()) {
      merged = stale.dcs;
      merged.insert(link_dcs.begin(), link_dcs.end());
    }
    const std::set<std::string>& stale_dcs = stale.dcs.empty() ? link_dcs : merged;
    const std::string blamed = stale_dcs.empty() ? "" : *stale_dcs.begin();
    if (!stale.notes.empty()) {
      std::vector<EvidenceNote> evidence = stale.notes;
      evidence.insert(evidence.end(), repl.corroboration.begin(), repl.corroboration.end());
      return Supported(
          kDcReplication, Grade(true, stale.fresh, !repl.corroboration.empty()), blamed,
          absl::StrCat(JoinNames(stale_dcs), " hold", stale_dcs.size() == 1 ? "s" : "",
                       " a stale copy of ", t, "'s account",
                       repl.failing_links > 0
                           ? absl::StrCat("; ", repl.failing_links, " replication link(s) of ",
                                          repl.nc, " failing")
                           : ""),
          std::move(evidence), ReplicationFix(blamed, repl.failures->meanings));
    }
    if (repl.failing_links > 0) {
      return Supported(
          kDcReplication, Confidence::kPossible, blamed,
          absl::StrCat("replication of ", repl.nc, " (which holds ", t, "'s account) fails on ",
                       repl.failing_links, " link(s) into ", JoinNames(stale_dcs),
                       "; the DCs' copies of the account were not compared"),
          repl.corroboration, ReplicationFix(blamed, repl.failures->meanings));
    }
    if (views.size() >= 2 || repl.data) {
      return RuledOut(
          kDcReplication,
          absl::StrCat(
              views.size() >= 2
                  ? absl::StrCat(views.size(), " DCs agree about ", t, "'s account")
                  : absl::StrCat("replication of ", repl.nc.empty() ? "the domain" : repl.nc,
                                 " is healthy on ", repl.links, " link(s)"),
              repl.unrelated_failures > 0
                  ? absl::StrCat(" (", repl.unrelated_failures,
                                 " failing link(s) in other naming contexts do not hold the "
                                 "account)")
                  : ""));
    }
    return NotChecked(kDcReplication, absl::StrCat("no DC evidence: neither DC copies of ", t,
                                                   "'s account (setspn-l-", t,
                                                   ".txt in two DC folders) nor replication status "
                                                   "(repadmin-showrepl.csv, drs-showrepl.json)"));
  }
};

}  // namespace

const Rule* DcReplicationRuleInstance() {
  static const DcReplicationRule rule;
  return &rule;
}

}  // namespace kerbside::correlator
