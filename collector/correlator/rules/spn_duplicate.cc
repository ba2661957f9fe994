// KB 979174 cause 3 (duplicate): an SMTPSVC/T or SMTP/T SPN is also registered on another
// account, so the KDC encrypts the ticket for the wrong key and T cannot decrypt it
// (KRB_AP_ERR_MODIFIED). Duplicates of other service classes (HTTP/, host/) do not matter here.
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/correlator/rules/rule.h"
#include "common/events/event_ids.h"
#include "common/kerberos/krb_codes.h"

namespace kerbside::correlator {
namespace {

// "SMTPSVC/ex02.contoso.com@CONTOSO.COM" -> "SMTPSVC/ex02.contoso.com".
std::string StripRealm(const std::string& principal) {
  return principal.substr(0, principal.rfind('@'));
}

// What the SPN searches say about T's SMTP SPNs.
struct Holders {
  // SPN (as written) -> other accounts holding it (empty: the other one is not named).
  std::map<std::string, std::set<std::string>> duplicates;
  std::vector<EvidenceNote> direct, corroboration;
  bool direct_fresh = false;
  bool looked = false;    // some search that could have found one ran
  int target_groups = 0;  // setspn -X groups about T's SPNs

  // A search's holders of T's SPNs (lower spn -> accounts): a duplicate where another account
  // than T holds one. `where` names the search ("setspn -Q SMTPSVC/* on DC01").
  void AddSearch(const FleetIndex& index, const std::string& t, const v1::Evidence& e,
                 const std::map<std::string, std::set<std::string>>& holders,
                 const std::string& where) {
    for (const auto& [spn, accounts] : holders) {
      std::set<std::string> others;
      for (const std::string& dn : accounts) {
        if (ShortName(dn) != t) others.insert(dn);
      }
      if (others.empty()) continue;
      duplicates[spn].insert(others.begin(), others.end());
      direct_fresh |= !index.IsStale(e);
      direct.push_back(
          index.Note(e, absl::StrCat(where, ": ", spn, " on ", absl::StrJoin(accounts, " and "))));
    }
  }
};

// setspn -X: groups of accounts sharing an SPN.
void ReadDuplicateListings(const FleetIndex& index, const std::string& t, Holders& h) {
  const std::string& fqdn = index.Fqdn(t);
  for (const v1::Evidence* e : index.About(t, v1::Evidence::kSpnDuplicates)) {
    for (const auto& group : e->spn_duplicates().groups()) {
      if (!IsTargetSmtpSpn(group.spn(), t, fqdn)) continue;
      ++h.target_groups;
      std::set<std::string> others;
      for (const std::string& dn : group.account_dns()) {
        if (ShortName(dn) != t) others.insert(dn);
      }
      if (others.empty()) continue;
      h.duplicates[group.spn()].insert(others.begin(), others.end());
      h.direct_fresh |= !index.IsStale(*e);
      h.direct.push_back(index.Note(
          *e, absl::StrCat("setspn -X on ", e->host(), ": ", group.spn(), " is registered on ",
                           absl::StrJoin(group.account_dns(), " and "))));
    }
  }
}

// setspn -Q searches, and a DC agent's directory read (computer-accounts.json: every account
// with an SMTPSVC/ or SMTP/ SPN as that DC serves it, setspn -Q SMTPSVC/* on each DC).
void ReadSearches(const FleetIndex& index, const std::string& t, Holders& h) {
  const std::string& fqdn = index.Fqdn(t);
  for (const v1::Evidence* e : index.About(t, v1::Evidence::kSpnQuery)) {
    const v1::SpnQuery& q = e->spn_query();
    std::map<std::string, std::set<std::string>> holders;  // lower spn -> accounts
    for (const auto& account : q.accounts()) {
      for (const std::string& spn : account.spns()) {
        if (IsTargetSmtpSpn(spn, t, fqdn)) holders[absl::AsciiStrToLower(spn)].insert(account.dn());
      }
    }
    h.AddSearch(index, t, *e, holders, absl::StrCat("setspn -Q ", q.pattern(), " on ", e->host()));
  }
  for (const v1::Evidence* e : index.About(t, v1::Evidence::kComputerAccounts)) {
    const model::HostEvidence* dc = index.Host(e->host());
    if (dc == nullptr || dc->identity.role() != v1::ROLE_DC) continue;
    h.looked = true;
    std::map<std::string, std::set<std::string>> holders;  // lower spn -> accounts
    for (const v1::ComputerAccount& a : e->computer_accounts().accounts()) {
      for (const std::string& spn : a.spns()) {
        if (IsTargetSmtpSpn(spn, t, fqdn)) {
          holders[absl::AsciiStrToLower(spn)].insert(a.dn().empty() ? a.sam_account_name()
                                                                    : a.dn());
        }
      }
    }
    h.AddSearch(index, t, *e, holders, absl::StrCat("the directory on ", e->host()));
  }
}

// The KDC itself complains: KDC event 11 names the duplicated SPN (not the other account).
void ReadKdcComplaints(const FleetIndex& index, const std::string& t, Holders& h) {
  const std::string& fqdn = index.Fqdn(t);
  for (const auto& [ev, rec] : index.EventsAbout(t)) {
    const v1::Evidence& e = *ev;
    const v1::EventRecord& r = *rec;
    if (r.event_id() != events::kKdcDuplicateAccount) continue;
    auto spn = r.facts().find("duplicate_spn");
    if (spn == r.facts().end() || !IsTargetSmtpSpn(spn->second, t, fqdn)) continue;
    h.looked = true;
    h.direct_fresh |= !index.IsStale(e);
    h.duplicates[spn->second];
    h.direct.push_back(index.Note(
        e, absl::StrCat("KDC event 11 on ", e.host(), ": multiple accounts hold ", spn->second)));
  }
}

// KRB_AP_ERR_MODIFIED on `hosts` (the senders and the target).
void ReadApModified(const FleetIndex& index, const std::set<std::string>& hosts, Holders& h) {
  const std::string modified = HexCode(kerberos::kKrbApErrModified);
  for (const std::string& host : hosts) {
    ForEachEvent(index, host, {events::kKerberosApModified, events::kKerberosError},
                 [&](const v1::Evidence& e, const v1::EventRecord& r) {
                   auto code = r.facts().find("error_code");
                   if (code == r.facts().end() || code->second != modified) return;
                   if (h.corroboration.size() < 3) {
                     h.corroboration.push_back(
                         index.Note(e, absl::StrCat("KRB_AP_ERR_MODIFIED (Kerberos event ",
                                                    r.event_id(), ") on ", host)));
                   }
                 });
  }
}

// Samba's KDC refuses an SPN that two accounts hold with KDC_ERR_S_PRINCIPAL_UNKNOWN (the lab,
// tests/lab/org_faults_test.sh; a Windows KDC logs event 11 for it): kerbside's ticket probe
// getting that answer for a duplicated SPN corroborates the duplicate.
void ReadRefusedDuplicates(const FleetIndex& index, const std::string& t, Holders& h) {
  for (const v1::Evidence* e : index.About(t, v1::Evidence::kProbes)) {
    for (const v1::TicketProbe& p : e->probes().tickets()) {
      if (p.krb_error_code() != kerberos::kKdcErrSPrincipalUnknown) continue;
      if (h.duplicates.count(absl::AsciiStrToLower(StripRealm(p.service_principal()))) == 0) {
        continue;
      }
      if (h.corroboration.size() < 3) {
        h.corroboration.push_back(
            index.Note(*e, absl::StrCat("ticket probe from ", e->host(), " for ",
                                        p.service_principal(), ": KDC_ERR_S_PRINCIPAL_UNKNOWN",
                                        p.kdc().empty() ? "" : " from ", p.kdc())));
      }
    }
  }
}

CauseResult DuplicateVerdict(const std::string& t, const Holders& h) {
  std::vector<std::string> fix, parts;
  for (const auto& [spn, others] : h.duplicates) {
    if (others.empty()) {
      fix.push_back(absl::StrCat("Find the other holder: setspn -Q ", spn,
                                 " (or setspn -X), then setspn -D ", spn, " <that account>"));
      parts.push_back(absl::StrCat(spn, " (second account not named)"));
      continue;
    }
    for (const std::string& dn : others) {
      fix.push_back(absl::StrCat("setspn -D ", spn, " ", ShortName(dn)));
    }
    parts.push_back(absl::StrCat(spn, " is also on ", JoinNames(others)));
  }
  fix.push_back(absl::StrCat("Make sure ", t, " keeps its own: setspn -L ", t));
  std::vector<EvidenceNote> evidence = h.direct;
  evidence.insert(evidence.end(), h.corroboration.begin(), h.corroboration.end());
  return Supported(kSpnDuplicate, Grade(true, h.direct_fresh, !h.corroboration.empty()), t,
                   absl::StrCat("duplicate SPN: ", absl::StrJoin(parts, "; ")), std::move(evidence),
                   std::move(fix));
}

class SpnDuplicateRule : public PerTargetRule {
 public:
  const char* cause() const override { return kSpnDuplicate; }

  // The group's senders' KRB_AP_ERR_MODIFIED count too.
  bool JudgesTargetAlone() const override { return false; }

  CauseResult ForTarget(const RuleContext& ctx, const std::string& t) const override {
    Holders h;
    h.looked = !ctx.index.All(v1::Evidence::kSpnDuplicates).empty() ||
               !ctx.index.All(v1::Evidence::kSpnQuery).empty();
    ReadDuplicateListings(ctx.index, t, h);
    ReadSearches(ctx.index, t, h);
    ReadKdcComplaints(ctx.index, t, h);
    std::set<std::string> hosts(ctx.group.senders.begin(), ctx.group.senders.end());
    hosts.insert(t);
    ReadApModified(ctx.index, hosts, h);
    if (!h.duplicates.empty()) {
      ReadRefusedDuplicates(ctx.index, t, h);
      return DuplicateVerdict(t, h);
    }
    if (!h.corroboration.empty()) {
      const std::string& fqdn = ctx.index.Fqdn(t);
      return Supported(
          kSpnDuplicate, Confidence::kPossible, t,
          absl::StrCat("KRB_AP_ERR_MODIFIED on ", JoinNames(hosts),
                       ": a ticket was encrypted for another account's key (duplicate SPN, DNS "
                       "pointing at another server, or a stale machine password)"),
          h.corroboration,
          {absl::StrCat("setspn -X -F and setspn -Q SMTPSVC/", t, " to find a duplicate"),
           absl::StrCat("Check DNS: the A record of ", fqdn.empty() ? t : fqdn, " must point at ",
                        t)});
    }
    const int other_duplicate_groups = ctx.index.DuplicateGroupCount() - h.target_groups;
    if (h.looked) {
      return RuledOut(kSpnDuplicate,
                      absl::StrCat("no SMTPSVC/ or SMTP/ SPN of ", t, " is on another account",
                                   other_duplicate_groups > 0
                                       ? absl::StrCat(" (", other_duplicate_groups,
                                                      " duplicate(s) of other SPNs ignored)")
                                       : ""));
    }
    return NotChecked(kSpnDuplicate, "no duplicate SPN search (setspn-x.txt or setspn-q-*.txt)");
  }
};

}  // namespace

const Rule* SpnDuplicateRuleInstance() {
  static const SpnDuplicateRule rule;
  return &rule;
}

}  // namespace kerbside::correlator
