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

class SpnDuplicateRule : public PerTargetRule {
 public:
  const char* cause() const override { return kSpnDuplicate; }

  CauseResult ForTarget(const RuleContext& ctx, const std::string& t) const override {
    const std::string fqdn = ctx.index.Fqdn(t);
    // SPN (as written) -> other accounts holding it.
    std::map<std::string, std::set<std::string>> duplicates;
    std::vector<EvidenceNote> direct, corroboration;
    bool direct_fresh = false;
    bool looked = !ctx.index.All(v1::Evidence::kSpnDuplicates).empty() ||
                  !ctx.index.All(v1::Evidence::kSpnQuery).empty();
    int target_groups = 0;

    for (const v1::Evidence* e : ctx.index.About(t, v1::Evidence::kSpnDuplicates)) {
      for (const auto& group : e->spn_duplicates().groups()) {
        if (!IsTargetSmtpSpn(group.spn(), t, fqdn)) continue;
        ++target_groups;
        std::set<std::string> others;
        for (const std::string& dn : group.account_dns()) {
          if (ShortName(dn) != t) others.insert(dn);
        }
        if (others.empty()) continue;
        duplicates[group.spn()].insert(others.begin(), others.end());
        direct_fresh |= !ctx.index.IsStale(*e);
        direct.push_back(ctx.index.Note(
            *e, absl::StrCat("setspn -X on ", e->host(), ": ", group.spn(), " is registered on ",
                             absl::StrJoin(group.account_dns(), " and "))));
      }
    }
    // An SPN search's holders of T's SPNs (lower spn -> accounts): a duplicate where another
    // account than T holds one. `where` names the search ("setspn -Q SMTPSVC/* on DC01").
    auto add_holders = [&](const v1::Evidence& e,
                           const std::map<std::string, std::set<std::string>>& holders,
                           const std::string& where) {
      for (const auto& [spn, accounts] : holders) {
        std::set<std::string> others;
        for (const std::string& dn : accounts) {
          if (ShortName(dn) != t) others.insert(dn);
        }
        if (others.empty()) continue;
        duplicates[spn].insert(others.begin(), others.end());
        direct_fresh |= !ctx.index.IsStale(e);
        direct.push_back(ctx.index.Note(
            e, absl::StrCat(where, ": ", spn, " on ", absl::StrJoin(accounts, " and "))));
      }
    };
    for (const v1::Evidence* e : ctx.index.About(t, v1::Evidence::kSpnQuery)) {
      const v1::SpnQuery& q = e->spn_query();
      std::map<std::string, std::set<std::string>> holders;  // lower spn -> accounts
      for (const auto& account : q.accounts()) {
        for (const std::string& spn : account.spns()) {
          if (IsTargetSmtpSpn(spn, t, fqdn))
            holders[absl::AsciiStrToLower(spn)].insert(account.dn());
        }
      }
      add_holders(*e, holders, absl::StrCat("setspn -Q ", q.pattern(), " on ", e->host()));
    }
    // A DC agent's directory read (computer-accounts.json) holds every account with an SMTPSVC/
    // or SMTP/ SPN as that DC serves it: setspn -Q SMTPSVC/* on each DC.
    for (const v1::Evidence* e : ctx.index.About(t, v1::Evidence::kComputerAccounts)) {
      const model::HostEvidence* h = ctx.index.Host(e->host());
      if (h == nullptr || h->identity.role() != v1::ROLE_DC) continue;
      looked = true;
      std::map<std::string, std::set<std::string>> holders;  // lower spn -> accounts
      for (const v1::ComputerAccount& a : e->computer_accounts().accounts()) {
        for (const std::string& spn : a.spns()) {
          if (IsTargetSmtpSpn(spn, t, fqdn)) {
            holders[absl::AsciiStrToLower(spn)].insert(a.dn().empty() ? a.sam_account_name()
                                                                      : a.dn());
          }
        }
      }
      add_holders(*e, holders, absl::StrCat("the directory on ", e->host()));
    }
    // The KDC itself complains: KDC event 11 names the duplicated SPN.
    for (const auto& [ev, rec] : ctx.index.EventsAbout(t)) {
      const v1::Evidence& e = *ev;
      const v1::EventRecord& r = *rec;
      if (r.event_id() != 11) continue;
      auto spn = r.facts().find("duplicate_spn");
      if (spn == r.facts().end() || !IsTargetSmtpSpn(spn->second, t, fqdn)) continue;
      looked = true;
      direct_fresh |= !ctx.index.IsStale(e);
      duplicates[spn->second];  // the other account is not named by event 11
      direct.push_back(ctx.index.Note(
          e, absl::StrCat("KDC event 11 on ", e.host(), ": multiple accounts hold ", spn->second)));
    }
    // Corroboration: KRB_AP_ERR_MODIFIED on a sender or the target.
    const std::string modified = HexCode(kerberos::kKrbApErrModified);
    std::set<std::string> hosts(ctx.group.senders.begin(), ctx.group.senders.end());
    hosts.insert(t);
    for (const std::string& h : hosts) {
      ForEachEvent(ctx.index, h, {events::kKerberosApModified, events::kKerberosError},
                   [&](const v1::Evidence& e, const v1::EventRecord& r) {
                     auto code = r.facts().find("error_code");
                     if (code == r.facts().end() || code->second != modified) return;
                     if (corroboration.size() < 3) {
                       corroboration.push_back(
                           ctx.index.Note(e, absl::StrCat("KRB_AP_ERR_MODIFIED (Kerberos event ",
                                                          r.event_id(), ") on ", h)));
                     }
                   });
    }

    if (!duplicates.empty()) {
      // Samba's KDC refuses an SPN that two accounts hold with KDC_ERR_S_PRINCIPAL_UNKNOWN (the
      // lab, tests/lab/org_faults_test.sh; a Windows KDC logs event 11 for it): kerbside's
      // ticket probe getting that answer for a duplicated SPN corroborates the duplicate.
      for (const v1::Evidence* e : ctx.index.About(t, v1::Evidence::kProbes)) {
        for (const v1::TicketProbe& p : e->probes().tickets()) {
          if (p.krb_error_code() != kerberos::kKdcErrSPrincipalUnknown) continue;
          if (duplicates.count(absl::AsciiStrToLower(StripRealm(p.service_principal()))) == 0) {
            continue;
          }
          if (corroboration.size() < 3) {
            corroboration.push_back(ctx.index.Note(
                *e, absl::StrCat("ticket probe from ", e->host(), " for ", p.service_principal(),
                                 ": KDC_ERR_S_PRINCIPAL_UNKNOWN", p.kdc().empty() ? "" : " from ",
                                 p.kdc())));
          }
        }
      }
      std::vector<std::string> fix, parts;
      for (const auto& [spn, others] : duplicates) {
        if (others.empty()) {
          fix.push_back(absl::StrCat("Find the other holder: setspn -Q ", spn,
                                     " (or setspn -X), "
                                     "then setspn -D ",
                                     spn, " <that account>"));
          parts.push_back(absl::StrCat(spn, " (second account not named)"));
          continue;
        }
        for (const std::string& dn : others) {
          fix.push_back(absl::StrCat("setspn -D ", spn, " ", ShortName(dn)));
        }
        parts.push_back(absl::StrCat(spn, " is also on ", JoinNames(others)));
      }
      fix.push_back(absl::StrCat("Make sure ", t, " keeps its own: setspn -L ", t));
      std::vector<EvidenceNote> evidence = direct;
      evidence.insert(evidence.end(), corroboration.begin(), corroboration.end());
      return Supported(kSpnDuplicate, Grade(true, direct_fresh, !corroboration.empty()), t,
                       absl::StrCat("duplicate SPN: ", absl::StrJoin(parts, "; ")),
                       std::move(evidence), std::move(fix));
    }
    if (!corroboration.empty()) {
      return Supported(
          kSpnDuplicate, Confidence::kPossible, t,
          absl::StrCat("KRB_AP_ERR_MODIFIED on ", JoinNames(hosts),
                       ": a ticket was encrypted for another account's key (duplicate SPN, DNS "
                       "pointing at another server, or a stale machine password)"),
          corroboration,
          {absl::StrCat("setspn -X -F and setspn -Q SMTPSVC/", t, " to find a duplicate"),
           absl::StrCat("Check DNS: the A record of ", fqdn.empty() ? t : fqdn, " must point at ",
                        t)});
    }
    const int other_duplicate_groups = ctx.index.DuplicateGroupCount() - target_groups;
    if (looked) {
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
