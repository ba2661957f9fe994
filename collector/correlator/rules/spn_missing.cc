// KB 979174 cause 3 (missing): the target's computer account lacks SMTPSVC/T or SMTPSVC/T.fqdn,
// so the sender's KDC cannot issue a ticket for it (KDC_ERR_S_PRINCIPAL_UNKNOWN).
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/correlator/rules/rule.h"
#include "common/events/event_ids.h"
#include "common/kerberos/krb_codes.h"

namespace kerbside::correlator {
namespace {

// Every view of T's SPNs and every answer of a KDC about them.
struct SpnViews {
  std::vector<std::string> required;  // SMTPSVC/T and SMTPSVC/T.fqdn
  // A DC's listing is that DC's view of the account; a listing in another host's folder (the
  // collection script runs setspn -L everywhere) answered from an unknown DC, so it counts as a
  // weaker view, never as a DC disagreeing (issue 12: a host does not speak for the directory).
  int views = 0, views_lacking = 0, other_views = 0, other_lacking = 0;
  std::vector<std::string> showing;          // hosts whose view has every required SPN
  std::set<std::string> missing_everywhere;  // required SPNs no view has
  int64_t principal_unknown = 0;             // the KDC's refusals
  std::vector<EvidenceNote> direct, corroboration;
  bool direct_fresh = false;

  // The required SPNs a view lacks; the ones it has are not missing everywhere.
  std::vector<std::string> LackingIn(const google::protobuf::RepeatedPtrField<std::string>& spns) {
    std::set<std::string> have;
    for (const std::string& spn : spns) have.insert(absl::AsciiStrToLower(spn));
    std::vector<std::string> lacking;
    for (const std::string& r : required) {
      if (have.count(absl::AsciiStrToLower(r)) == 0) {
        lacking.push_back(r);
      } else {
        missing_everywhere.erase(r);
      }
    }
    return lacking;
  }
  void Direct(const FleetIndex& index, const v1::Evidence& e, std::string fact) {
    direct_fresh |= !index.IsStale(e);
    direct.push_back(index.Note(e, std::move(fact)));
  }
};

// setspn -L T, from DCs and from other hosts.
void ReadListings(const FleetIndex& index, const std::string& t, SpnViews& v) {
  for (const v1::Evidence* e : index.About(t, v1::Evidence::kSpnListing)) {
    const v1::SpnListing& l = e->spn_listing();
    const std::string account = ShortName(!l.account().empty()    ? l.account()
                                          : !e->subject().empty() ? e->subject()
                                                                  : l.account_dn());
    if (account != t && ShortName(l.account_dn()) != t) continue;
    const model::HostEvidence* h = index.Host(e->host());
    const bool from_dc = h != nullptr && h->identity.role() == v1::ROLE_DC;
    ++(from_dc ? v.views : v.other_views);
    const std::vector<std::string> lacking = v.LackingIn(l.spns());
    if (lacking.empty()) {
      v.showing.push_back(from_dc ? e->host() : absl::StrCat(e->host(), " (not a DC)"));
      continue;
    }
    ++(from_dc ? v.views_lacking : v.other_lacking);
    v.Direct(index, *e,
             absl::StrCat("setspn -L ", t, " on ", e->host(),
                          from_dc ? "" : " (not a DC: which DC answered is unknown)", " lists ",
                          l.spns_size(), " SPNs and lacks ", absl::StrJoin(lacking, ", ")));
  }
}

// A DC agent's directory read (computer-accounts.json): the account as that DC serves it.
void ReadDirectory(const FleetIndex& index, const std::string& t, SpnViews& v) {
  for (const v1::Evidence* e : index.About(t, v1::Evidence::kComputerAccounts)) {
    const model::HostEvidence* h = index.Host(e->host());
    if (h == nullptr || h->identity.role() != v1::ROLE_DC) continue;
    for (const v1::ComputerAccount& a : e->computer_accounts().accounts()) {
      if (ShortName(a.sam_account_name()) != t) continue;
      ++v.views;
      const std::vector<std::string> lacking = v.LackingIn(a.spns());
      if (lacking.empty()) {
        v.showing.push_back(e->host());
        continue;
      }
      ++v.views_lacking;
      v.Direct(index, *e,
               absl::StrCat("the directory on ", e->host(), ": ", a.sam_account_name(), " holds ",
                            a.spns_size(), " SPNs and lacks ", absl::StrJoin(lacking, ", ")));
    }
  }
}

// setspn -Q SMTPSVC/T: "No such SPN found."
void ReadQueries(const FleetIndex& index, const std::string& t, SpnViews& v) {
  for (const v1::Evidence* e : index.About(t, v1::Evidence::kSpnQuery)) {
    const v1::SpnQuery& q = e->spn_query();
    for (const std::string& r : v.required) {
      if (absl::EqualsIgnoreCase(q.pattern(), r) && !q.found()) {
        ++v.views;
        ++v.views_lacking;
        v.Direct(index, *e,
                 absl::StrCat("setspn -Q ", r, " on ", e->host(), ": No such SPN found."));
      }
    }
  }
}

// The KDC's own answer: kerbside's ticket probe, or a 4769 failing with 0x7; Kerberos client
// event 3 corroborates.
void ReadKdcAnswers(const FleetIndex& index, const std::string& t, SpnViews& v) {
  const std::string& fqdn = index.Fqdn(t);
  for (const v1::Evidence* e : index.About(t, v1::Evidence::kProbes)) {
    for (const v1::TicketProbe& p : e->probes().tickets()) {
      if (p.krb_error_code() != kerberos::kKdcErrSPrincipalUnknown) continue;
      if (!IsTargetSmtpSpn(p.service_principal(), t, fqdn)) continue;
      ++v.principal_unknown;
      v.Direct(
          index, *e,
          absl::StrCat("ticket probe from ", e->host(), " for ", p.service_principal(),
                       ": KDC_ERR_S_PRINCIPAL_UNKNOWN", p.kdc().empty() ? "" : " from " + p.kdc()));
    }
  }
  const std::string unknown = HexCode(kerberos::kKdcErrSPrincipalUnknown);
  for (const auto& [ev, rec] : index.EventsAbout(t)) {
    const v1::Evidence& e = *ev;
    const v1::EventRecord& r = *rec;
    if (r.event_id() != events::kServiceTicketRequest && r.event_id() != events::kKerberosError) {
      continue;
    }
    const bool security = r.event_id() == events::kServiceTicketRequest;
    auto code = r.facts().find(security ? "status" : "error_code");
    auto name = r.facts().find(security ? "service_name" : "target_name");
    if (code == r.facts().end() || code->second != unknown || name == r.facts().end()) continue;
    if (!IsTargetSmtpSpn(name->second, t, fqdn)) continue;
    if (security) {
      v.principal_unknown += index.Occurrences(r);
      v.direct_fresh |= !index.IsStale(e);
      if (v.direct.size() < 8) {
        v.direct.push_back(index.Note(
            e, absl::StrCat("event 4769 on ", e.host(), ": ", name->second, " failed with 0x7")));
      }
    } else if (v.corroboration.size() < 3) {
      v.corroboration.push_back(
          index.Note(e, absl::StrCat("Kerberos event 3 on ", e.host(),
                                     ": KDC_ERR_S_PRINCIPAL_UNKNOWN for ", name->second)));
    }
  }
}

// The listings lack the SPNs, or the KDC refuses them.
CauseResult MissingVerdict(const std::string& t, const SpnViews& v, bool listing_lacks) {
  std::vector<std::string> lacking(v.missing_everywhere.begin(), v.missing_everywhere.end());
  if (lacking.empty()) lacking = v.required;
  std::vector<std::string> fix;
  for (const std::string& spn : lacking) fix.push_back(absl::StrCat("setspn -S ", spn, " ", t));
  fix.push_back(
      "Wait for AD replication (or repadmin /syncall /AdeP), then on the senders: klist purge "
      "-li 0x3e7 and Retry-Queue");
  std::vector<EvidenceNote> evidence = v.direct;
  evidence.insert(evidence.end(), v.corroboration.begin(), v.corroboration.end());
  const bool corroborated = (listing_lacks && v.principal_unknown > 0) || !v.corroboration.empty();
  // Every DC serves the SPNs, yet the KDC refuses them: the refusal has another cause (an SPN
  // that two accounts hold is refused the same way), so the KDC's answer alone is a lead.
  const bool dcs_show_them = v.views > 0 && v.views_lacking == 0;
  // Only listings from hosts that are not DCs, and no KDC answer: a lead, not a finding.
  const bool only_other_hosts = v.principal_unknown == 0 && v.views == 0;
  const Confidence grade = only_other_hosts || dcs_show_them
                               ? Confidence::kPossible
                               : Grade(true, v.direct_fresh, corroborated);
  std::string summary = absl::StrCat(
      t, "'s computer account lacks ", absl::StrJoin(lacking, " and "),
      v.principal_unknown > 0 ? absl::StrCat("; the KDC answered KDC_ERR_S_PRINCIPAL_UNKNOWN ",
                                             v.principal_unknown, " time(s)")
                              : "");
  if (dcs_show_them) {
    absl::StrAppend(&summary, " — but every DC's view (", absl::StrJoin(v.showing, ", "),
                    ") shows them, so something else makes the KDC refuse them");
  } else if (v.principal_unknown > 0 && !v.showing.empty()) {
    absl::StrAppend(&summary, " (the KDC's answer outranks the listing from ",
                    absl::StrJoin(v.showing, ", "), " that shows them)");
  }
  if (only_other_hosts) {
    absl::StrAppend(&summary, " (only in listings from hosts that are not DCs)");
  }
  return Supported(kSpnMissing, grade, t, std::move(summary), std::move(evidence), std::move(fix));
}

class SpnMissingRule : public PerTargetRule {
 public:
  const char* cause() const override { return kSpnMissing; }

  // The target's account and the fleet's DCs only.
  bool JudgesTargetAlone() const override { return true; }

  CauseResult ForTarget(const RuleContext& ctx, const std::string& t) const override {
    SpnViews v;
    v.required = {absl::StrCat("SMTPSVC/", t)};
    if (const std::string& fqdn = ctx.index.Fqdn(t); !fqdn.empty()) {
      v.required.push_back(absl::StrCat("SMTPSVC/", fqdn));
    }
    v.missing_everywhere = {v.required.begin(), v.required.end()};
    ReadListings(ctx.index, t, v);
    ReadDirectory(ctx.index, t, v);
    ReadQueries(ctx.index, t, v);
    ReadKdcAnswers(ctx.index, t, v);

    // The KDC's own answer outranks every listing: a listing showing the SPN never rules out a
    // "principal unknown" from the KDC.
    if (v.principal_unknown == 0 && v.views > 0 && v.views_lacking > 0 &&
        v.views_lacking < v.views) {
      return RuledOut(kSpnMissing, absl::StrCat("the DCs disagree about ", t, "'s SPNs (",
                                                v.views_lacking, " of ", v.views,
                                                " views lack them): a replication problem, "
                                                "not a missing SPN"));
    }
    // With DC views, they decide; without, the other hosts' listings, if they agree.
    const bool listing_lacks = v.views > 0 ? v.views_lacking == v.views
                                           : v.other_views > 0 && v.other_lacking == v.other_views;
    if (listing_lacks || v.principal_unknown > 0) return MissingVerdict(t, v, listing_lacks);
    if (!v.corroboration.empty()) {
      return Supported(
          kSpnMissing, Confidence::kPossible, t,
          absl::StrCat("Kerberos clients report KDC_ERR_S_PRINCIPAL_UNKNOWN for ", t,
                       "'s SMTPSVC SPN; its SPNs were not collected"),
          v.corroboration,
          {absl::StrCat("Check: setspn -L ", t), absl::StrCat("setspn -S SMTPSVC/", t, " ", t)});
    }
    if (v.views > 0 || v.other_views > 0) {
      return RuledOut(
          kSpnMissing,
          absl::StrCat(t, "'s account has ", absl::StrJoin(v.required, " and "), " (",
                       v.views > 0
                           ? absl::StrCat(v.views, " DC view(s)")
                           : absl::StrCat(v.other_views, " listing(s) from hosts that are not DCs"),
                       ")"));
    }
    return NotChecked(kSpnMissing,
                      absl::StrCat("no SPN listing of ", t, " (setspn-l-", t, ".txt from a DC)"));
  }
};

}  // namespace

const Rule* SpnMissingRuleInstance() {
  static const SpnMissingRule rule;
  return &rule;
}

}  // namespace kerbside::correlator
