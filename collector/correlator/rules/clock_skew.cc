// KB 979174 cause 1: a clock on one Kerberos leg is off by more than the max skew. The sender's
// TGS request fails when S and its KDC disagree; the target rejects the authenticator when S and
// T disagree. Each host is judged against its reference (the PDC emulator when known, else its
// authenticating DC, else the fleet median), so the host that is off is named, not just the pair.
#include <map>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/correlator/rules/rule.h"
#include "common/duration_format.h"
#include "common/events/event_ids.h"
#include "common/kerberos/krb_codes.h"

namespace kerbside::correlator {
namespace {

class ClockSkewRule : public Rule {
 public:
  const char* cause() const override { return kClockSkew; }

  CauseResult Evaluate(const RuleContext& ctx) const override {
    const FailureGroup& g = ctx.group;
    std::set<std::string> involved(g.senders.begin(), g.senders.end());
    involved.insert(g.targets.begin(), g.targets.end());
    for (const std::string& s : g.senders) {
      for (const std::string& kdc : KdcsOf(ctx.index, s)) involved.insert(kdc);
    }
    // The DCs the senders and targets take their time (and tickets) from: a DC that is off
    // drags its members with it.
    std::map<std::string, std::string> time_source;
    for (const std::string& h : std::set<std::string>(involved)) {
      if (auto dc = AuthenticatingDc(ctx.index, h); dc && *dc != h) {
        time_source[h] = *dc;
        involved.insert(*dc);
      }
    }

    // Hosts off against the reference, and hosts not measured at all.
    std::map<std::string, HostClock> off;
    std::set<std::string> unmeasured;
    std::vector<std::string> within;
    for (const std::string& h : involved) {
      std::optional<HostClock> c = ctx.clocks.ToReference(h);
      if (!c) {
        if (g.senders.count(h) || g.targets.count(h)) unmeasured.insert(h);
        continue;
      }
      if (absl::AbsDuration(c->offset) > ctx.max_clock_skew) {
        off[h] = *c;
      } else if (h != c->reference_host) {
        within.push_back(absl::StrCat(h, " ", FormatSignedDuration(c->offset)));
      }
    }

    // Corroboration: KRB_AP_ERR_SKEW anywhere in the fleet's Kerberos events, SSPI's TimeSkew in
    // the senders' LastError, and a broken time service on the host that is off.
    std::map<std::string, int64_t> skew_errors_by_host;
    std::vector<EvidenceNote> corroboration;
    const std::string skew = HexCode(kerberos::kKrbApErrSkew);
    // Events on the involved hosts, and DC events naming them (client or service).
    std::set<std::pair<const v1::Evidence*, const v1::EventRecord*>> seen;
    auto consider = [&](const v1::Evidence& e, const v1::EventRecord& r) {
      const bool audit = events::IsOneOf(r.event_id(), events::kKdcAuditEvents);
      if ((!audit && !events::IsOneOf(r.event_id(), events::kKerberosClientEvents)) ||
          !seen.insert({&e, &r}).second) {
        return;
      }
      auto status = r.facts().find(audit ? "status" : "error_code");
      if (status == r.facts().end() || status->second != skew) return;
      const bool first = skew_errors_by_host[e.host()] == 0;
      skew_errors_by_host[e.host()] += ctx.index.Occurrences(r);
      if (first) {
        corroboration.push_back(ctx.index.Note(
            e, absl::StrCat("KRB_AP_ERR_SKEW (0x25) in event ", r.event_id(), " on ", e.host())));
      }
    };
    for (const std::string& h : involved) {
      // A DC on the path only as a KDC or time source, with its clock within the limit: its
      // events about this group's hosts are found through those hosts (EventsAbout). Reading
      // all of a busy DC's events for every group made correlation grow with the square of the
      // fleet (issue 17: 20,000 hosts took 1 s).
      if (!g.senders.count(h) && !g.targets.count(h) && !off.count(h)) continue;
      for (const auto& [e, r] : ctx.index.EventsAbout(h)) consider(*e, *r);
      for (const v1::Evidence* e : ctx.index.Of(h, v1::Evidence::kEvents)) {
        for (const v1::EventRecord& r : e->events().events()) consider(*e, r);
      }
    }
    // Distinct queues: one whose next hop could be several servers is in each candidate's pair.
    std::set<const v1::LastError*> time_skew_errors;
    for (const FailingPair* p : g.pairs) {
      for (const v1::LastError* le : p->last_errors) {
        if (absl::EqualsIgnoreCase(le->security_status(), "TimeSkew")) time_skew_errors.insert(le);
      }
    }
    const size_t time_skew_status = time_skew_errors.size();
    if (time_skew_status > 0) {
      corroboration.push_back({"", "",
                               absl::StrCat(time_skew_status,
                                            " queue LastError(s) say 'Security status "
                                            "TimeSkew'"),
                               std::nullopt, std::nullopt, false});
    }
    for (const auto& [h, c] : off) {
      for (const v1::Evidence* e : ctx.index.Of(h, v1::Evidence::kW32TmStatus)) {
        if (e->w32tm_status().unsynchronized()) {
          corroboration.push_back(
              ctx.index.Note(*e, absl::StrCat(h, "'s time service is not synchronised (Source: ",
                                              e->w32tm_status().source(), ")")));
        }
      }
      ForEachEvent(ctx.index, h,
                   {events::kTimeServiceEvents.begin(), events::kTimeServiceEvents.end()},
                   [&](const v1::Evidence& e, const v1::EventRecord& r) {
                     if (!absl::StrContains(r.provider(), "Time")) return;
                     corroboration.push_back(ctx.index.Note(
                         e, absl::StrCat("W32Time event ", r.event_id(), " on ", h)));
                   });
    }
    int64_t skew_errors = 0;
    std::string skew_host;
    for (const auto& [h, n] : skew_errors_by_host) {
      skew_errors += n;
      if (skew_host.empty() || n > skew_errors_by_host[skew_host]) skew_host = h;
    }

    const std::string limit = FormatShortDuration(ctx.max_clock_skew);
    if (!off.empty()) {
      // Blame the host furthest off; name every other host over the limit too. A member that
      // is off the same way as the DC it syncs from follows that DC: the DC is the one to fix.
      auto worst = off.begin();
      for (auto it = off.begin(); it != off.end(); ++it) {
        if (absl::AbsDuration(it->second.offset) > absl::AbsDuration(worst->second.offset)) {
          worst = it;
        }
      }
      if (auto src = time_source.find(worst->first); src != time_source.end()) {
        auto dc = off.find(src->second);
        // Follows: off with it, within the limit of it (45m off beside a DC 6m off is its own).
        auto gap = ctx.clocks.Between(worst->first, src->second);
        if (dc != off.end() && gap && absl::AbsDuration(gap->offset) <= ctx.max_clock_skew) {
          worst = dc;
        }
      }
      const std::string& blamed = worst->first;
      const HostClock& c = worst->second;
      std::string summary =
          absl::StrCat(blamed, " is ", FormatShortDuration(c.offset),
                       c.offset > absl::ZeroDuration() ? " ahead of " : " behind ",
                       c.reference_label, " (limit ", limit, ")");
      for (const auto& [h, other] : off) {
        if (h != blamed) {
          auto src = time_source.find(h);
          auto gap = ctx.clocks.Between(h, blamed);
          const bool follows = src != time_source.end() && src->second == blamed && gap &&
                               absl::AbsDuration(gap->offset) <= ctx.max_clock_skew;
          absl::StrAppend(&summary, "; ", h, " is ", FormatSignedDuration(other.offset), " too",
                          follows ? absl::StrCat(" (it syncs from ", blamed, ")") : "");
        }
      }
      if (c.stale) {
        absl::StrAppend(&summary, "; the reading is stale (",
                        c.evidence.empty() || !c.evidence.front().age
                            ? std::string("age unknown")
                            : FormatAge(*c.evidence.front().age),
                        ")");
      }
      const Confidence confidence =
          Grade(true, !c.stale, skew_errors > 0 || time_skew_status > 0 || !corroboration.empty());
      const char* verb = confidence == Confidence::kConfirmed ? "confirmed by" : "also seen:";
      if (skew_errors > 0) {
        absl::StrAppend(&summary, "; ", verb, " ", skew_errors, " KRB_AP_ERR_SKEW on ", skew_host);
      } else if (time_skew_status > 0) {
        absl::StrAppend(&summary, "; ", verb, " 'Security status TimeSkew' in the queues");
      }
      std::vector<EvidenceNote> evidence = c.evidence;
      evidence.insert(evidence.end(), corroboration.begin(), corroboration.end());
      std::vector<std::string> fix = {
          absl::StrCat("On ", blamed, ": w32tm /resync /rediscover"),
          absl::StrCat("On ", blamed,
                       ": w32tm /query /status — Source must be a domain "
                       "controller, not 'Local CMOS Clock' or 'Free-running System Clock'; if "
                       "not, w32tm /config /syncfromflags:domhier /update, then net stop w32time "
                       "&& net start w32time"),
      };
      if (blamed == ctx.index.PdcEmulator() || ctx.clocks.reference().empty()) {
        fix.push_back(
            absl::StrCat("If ", blamed,
                         " is the PDC emulator of the forest root: give it a reliable source: "
                         "w32tm /config /manualpeerlist:\"<ntp server>,0x8\" /syncfromflags:manual "
                         "/reliable:yes /update"));
      }
      std::vector<std::string> followers;
      for (const auto& [h, other] : off) {
        auto src = time_source.find(h);
        auto gap = ctx.clocks.Between(h, blamed);
        if (h != blamed && src != time_source.end() && src->second == blamed && gap &&
            absl::AbsDuration(gap->offset) <= ctx.max_clock_skew) {
          followers.push_back(h);
        }
      }
      if (!followers.empty()) {
        fix.push_back(
            absl::StrCat("Once ", blamed, " is right, on ", absl::StrJoin(followers, ", "),
                         followers.size() == 1 ? " (which syncs from it)" : " (which sync from it)",
                         ": w32tm /resync"));
      }
      fix.push_back(absl::StrCat("Then retry the queues: Retry-Queue -Identity <queue> on ",
                                 JoinNames(g.senders)));
      return Supported(kClockSkew, confidence, blamed, std::move(summary), std::move(evidence),
                       std::move(fix));
    }
    // Every host within the limit of its reference can still be too far from another one on a
    // Kerberos leg: the sender from the target (which checks the authenticator's time) or from
    // its KDC (the TGS exchange), e.g. -3m and +3m against the reference, 6m apart.
    struct Leg {
      std::string a, b;
      HostClock apart;  // a against b, positive = a ahead
    };
    std::optional<Leg> widest;
    auto leg = [&](const std::string& a, const std::string& b) {
      if (a == b) return;
      std::optional<HostClock> c = ctx.clocks.Between(a, b);
      if (!c || absl::AbsDuration(c->offset) <= ctx.max_clock_skew) return;
      if (!widest || absl::AbsDuration(c->offset) > absl::AbsDuration(widest->apart.offset)) {
        widest = Leg{a, b, *c};
      }
    };
    for (const FailingPair* p : g.pairs) {
      if (p->target_known) leg(p->sender, p->target);
      for (const std::string& kdc : KdcsOf(ctx.index, p->sender)) leg(p->sender, kdc);
    }
    if (widest) {
      const absl::Duration a_off = ctx.clocks.ToReference(widest->a)->offset;
      const absl::Duration b_off = ctx.clocks.ToReference(widest->b)->offset;
      // Blame the one further from the reference; both want a look.
      const bool blame_a = absl::AbsDuration(a_off) >= absl::AbsDuration(b_off);
      const std::string& blamed = blame_a ? widest->a : widest->b;
      const std::string& other = blame_a ? widest->b : widest->a;
      std::string summary =
          absl::StrCat(widest->a, " and ", widest->b, " are ",
                       FormatShortDuration(absl::AbsDuration(widest->apart.offset)), " apart (",
                       widest->a, " ", FormatSignedDuration(a_off), ", ", widest->b, " ",
                       FormatSignedDuration(b_off), " against ", ctx.clocks.ReferenceLabel(),
                       "), more than the limit ", limit, " though each is within it");
      if (skew_errors > 0) {
        absl::StrAppend(&summary, "; ", skew_errors, " KRB_AP_ERR_SKEW on ", skew_host);
      }
      std::vector<EvidenceNote> evidence = widest->apart.evidence;
      evidence.insert(evidence.end(), corroboration.begin(), corroboration.end());
      return Supported(
          kClockSkew,
          Grade(true, !widest->apart.stale,
                skew_errors > 0 || time_skew_status > 0 || !corroboration.empty()),
          blamed, std::move(summary), std::move(evidence),
          {absl::StrCat("On ", blamed, " and ", other,
                        ": w32tm /query /status — both must sync from the domain hierarchy "
                        "(Source: a DC); then w32tm /resync /rediscover on each"),
           absl::StrCat("Then retry the queues: Retry-Queue -Identity <queue> on ",
                        JoinNames(g.senders))});
    }
    if (unmeasured.empty() && (skew_errors > 0 || time_skew_status > 0)) {
      // The clocks agree now, but the KDC or the target said otherwise: a clock that was fixed
      // since, or one that jumps. Not ruled out.
      return Supported(
          kClockSkew, Confidence::kPossible, skew_errors > 0 ? skew_host : *g.targets.begin(),
          absl::StrCat(
              skew_errors > 0 ? absl::StrCat(skew_errors, " KRB_AP_ERR_SKEW on ", skew_host)
                              : std::string("'Security status TimeSkew' in the queues"),
              ", yet every measured clock is within ", limit, " of ", ctx.clocks.ReferenceLabel(),
              ": a clock that was set right since, or one that jumps"),
          corroboration,
          {"w32tm /query /status and the System log's Time-Service events on the hosts "
           "involved: look for a clock that steps (events 1, 35, 37, 50)",
           absl::StrCat("Then retry the queues: Retry-Queue -Identity <queue> on ",
                        JoinNames(g.senders))});
    }
    if (unmeasured.empty()) {
      return RuledOut(
          kClockSkew,
          absl::StrCat("every clock on the path is within ", limit, " of ",
                       ctx.clocks.ReferenceLabel(),
                       within.empty() ? "" : absl::StrCat(" (", absl::StrJoin(within, ", "), ")")));
    }
    if (skew_errors > 0 || time_skew_status > 0) {
      const std::string blamed = *unmeasured.begin();
      return Supported(
          kClockSkew, Confidence::kPossible, blamed,
          absl::StrCat(skew_errors > 0
                           ? absl::StrCat(skew_errors, " KRB_AP_ERR_SKEW on ", skew_host)
                           : std::string("'Security status TimeSkew' in the queues"),
                       " point to a clock off by more than ", limit, "; no offset measured for ",
                       JoinNames(unmeasured)),
          corroboration,
          {absl::StrCat("Measure: w32tm /stripchart /computer:<PDC emulator> /samples:5 "
                        "/dataonly on ",
                        JoinNames(unmeasured)),
           absl::StrCat("On the host that is off: w32tm /resync /rediscover")});
    }
    return NotChecked(kClockSkew,
                      absl::StrCat("no clock reading for ", JoinNames(unmeasured),
                                   " (w32tm-stripchart-<DC>.txt, probes.json or a live agent)"));
  }
};

}  // namespace

const Rule* ClockSkewRuleInstance() {
  static const ClockSkewRule rule;
  return &rule;
}

}  // namespace kerbside::correlator
