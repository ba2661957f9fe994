// KB 979174 cause 1: a clock on one Kerberos leg is off by more than the max skew. The sender's
// TGS request fails when S and its KDC disagree; the target rejects the authenticator when S and
// T disagree. Each host is judged against its reference (the PDC emulator when known, else its
// authenticating DC, else the fleet median), so the host that is off is named, not just the pair.
#include <map>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/correlator/rules/rule.h"
#include "common/duration_format.h"
#include "common/events/event_ids.h"
#include "common/kerberos/krb_codes.h"

namespace kerbside::correlator {
namespace {

// The hosts whose clocks matter to a group: its senders and targets, the senders' KDCs, and
// the DCs all of them take their time (and tickets) from: a DC that is off drags its members
// with it.
// Names view the group's sets and FleetMemo's entries (stable for the correlation); sorted
// vectors: a tree node per name was most of a group's allocations here (issue 17).
struct ClockPath {
  std::vector<absl::string_view> involved;                                   // sorted, each once
  std::vector<std::pair<absl::string_view, absl::string_view>> time_source;  // host -> its DC

  // The DC `host` syncs from, or nullptr.
  const absl::string_view* TimeSourceOf(absl::string_view host) const {
    auto it =
        std::lower_bound(time_source.begin(), time_source.end(), host,
                         [](const auto& entry, absl::string_view h) { return entry.first < h; });
    return it != time_source.end() && it->first == host ? &it->second : nullptr;
  }
};

void SortUnique(std::vector<absl::string_view>& names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
}

// Each involved host against its reference.
struct ClockReadings {
  std::map<std::string, HostClock> off;  // over the limit
  std::set<std::string> unmeasured;      // senders and targets without a reading
  // Hosts within the limit, and their offsets: said only in a ruled-out reason ("EX01 +1m2s"),
  // so formatted only then (most groups' verdicts name no such list).
  std::vector<std::pair<absl::string_view, absl::Duration>> within;
};

// KRB_AP_ERR_SKEW anywhere in the fleet's Kerberos events, SSPI's TimeSkew in the senders'
// LastError, and a broken time service on a host that is off.
struct SkewCorroboration {
  int64_t skew_errors = 0;
  std::string skew_host;        // the host with the most KRB_AP_ERR_SKEW
  size_t time_skew_status = 0;  // distinct queue LastErrors saying TimeSkew
  std::vector<EvidenceNote> notes;

  bool errors_seen() const { return skew_errors > 0 || time_skew_status > 0; }
  bool any() const { return errors_seen() || !notes.empty(); }
  // "3 KRB_AP_ERR_SKEW on EX02" or the queues' TimeSkew.
  std::string Said() const {
    return skew_errors > 0 ? absl::StrCat(skew_errors, " KRB_AP_ERR_SKEW on ", skew_host)
                           : std::string("'Security status TimeSkew' in the queues");
  }
};

// Two hosts on one Kerberos leg, each within the limit of the reference, too far apart.
struct Leg {
  std::string a, b;
  HostClock apart;  // a against b, positive = a ahead
};

ClockPath PathOf(const RuleContext& ctx) {
  const FailureGroup& g = ctx.group;
  ClockPath p;
  p.involved.reserve(2 * (g.senders.size() + g.targets.size()) + 4);
  p.involved.assign(g.senders.begin(), g.senders.end());
  p.involved.insert(p.involved.end(), g.targets.begin(), g.targets.end());
  for (const std::string& s : g.senders) {
    for (const std::string& kdc : KdcsOf(ctx, s)) p.involved.push_back(kdc);
  }
  SortUnique(p.involved);
  // In name order, so time_source is sorted too.
  for (size_t i = 0, n = p.involved.size(); i < n; ++i) {
    const absl::string_view h = p.involved[i];
    if (const std::optional<std::string>& dc = AuthenticatingDcOf(ctx, std::string(h));
        dc && *dc != h) {
      p.time_source.emplace_back(h, *dc);
      p.involved.push_back(*dc);
    }
  }
  SortUnique(p.involved);
  return p;
}

ClockReadings ReadClocks(const RuleContext& ctx, const ClockPath& path) {
  ClockReadings r;
  for (const absl::string_view name : path.involved) {
    const std::string h(name);
    const HostClock* c = ctx.clocks.ToReference(h);
    if (c == nullptr) {
      if (ctx.group.senders.count(h) || ctx.group.targets.count(h)) r.unmeasured.insert(h);
      continue;
    }
    if (absl::AbsDuration(c->offset) > ctx.max_clock_skew) {
      r.off[h] = *c;
    } else if (h != c->reference_host) {
      r.within.emplace_back(name, c->offset);
    }
  }
  return r;
}

// KRB_AP_ERR_SKEW in the events on the group's hosts and on the hosts that are off, and in DC
// events naming them (client or service).
void CountSkewErrors(const RuleContext& ctx, const ClockPath& path, const ClockReadings& clocks,
                     SkewCorroboration& out) {
  // Keys view the evidence's own host names; in name order, so ties go to the first name.
  std::map<absl::string_view, int64_t> by_host;
  static const std::string* const skew = new std::string(HexCode(kerberos::kKrbApErrSkew));
  // One table, not a node per event: every Kerberos event of the group's hosts passes here.
  absl::flat_hash_set<std::pair<const v1::Evidence*, const v1::EventRecord*>> seen;
  seen.reserve(16);  // one table for most groups, not one per growth step
  auto consider = [&](const v1::Evidence& e, const v1::EventRecord& r) {
    const bool audit = events::IsOneOf(r.event_id(), events::kKdcAuditEvents);
    if ((!audit && !events::IsOneOf(r.event_id(), events::kKerberosClientEvents)) ||
        !seen.insert({&e, &r}).second) {
      return;
    }
    auto status = r.facts().find(audit ? "status" : "error_code");
    if (status == r.facts().end() || status->second != *skew) return;
    const bool first = by_host[e.host()] == 0;
    by_host[e.host()] += ctx.index.Occurrences(r);
    if (first) {
      out.notes.push_back(ctx.index.Note(
          e, absl::StrCat("KRB_AP_ERR_SKEW (0x25) in event ", r.event_id(), " on ", e.host())));
    }
  };
  const FailureGroup& g = ctx.group;
  for (const absl::string_view name : path.involved) {
    const std::string h(name);
    // A DC on the path only as a KDC or time source, with its clock within the limit: its
    // events about this group's hosts are found through those hosts (EventsAbout). Reading all
    // of a busy DC's events for every group made correlation grow with the square of the fleet
    // (issue 17: 20,000 hosts took 1 s).
    if (!g.senders.count(h) && !g.targets.count(h) && !clocks.off.count(h)) continue;
    for (const auto& [e, r] : ctx.index.EventsAbout(h)) consider(*e, *r);
    for (const v1::Evidence* e : ctx.index.Of(h, v1::Evidence::kEvents)) {
      for (const v1::EventRecord& r : e->events().events()) consider(*e, r);
    }
  }
  int64_t most = 0;
  for (const auto& [h, n] : by_host) {
    out.skew_errors += n;
    if (n > most) {
      most = n;
      out.skew_host = std::string(h);
    }
  }
}

SkewCorroboration Corroborate(const RuleContext& ctx, const ClockPath& path,
                              const ClockReadings& clocks) {
  SkewCorroboration out;
  CountSkewErrors(ctx, path, clocks, out);
  // Distinct queues: one whose next hop could be several servers is in each candidate's pair.
  std::set<const v1::LastError*> time_skew_errors;
  for (const FailingPair* p : ctx.group.pairs) {
    for (const v1::LastError* le : p->last_errors) {
      if (absl::EqualsIgnoreCase(le->security_status(), "TimeSkew")) time_skew_errors.insert(le);
    }
  }
  out.time_skew_status = time_skew_errors.size();
  if (out.time_skew_status > 0) {
    out.notes.push_back(
        {"", "",
         absl::StrCat(out.time_skew_status, " queue LastError(s) say 'Security status TimeSkew'"),
         std::nullopt, std::nullopt, false});
  }
  for (const auto& [h, c] : clocks.off) {
    for (const v1::Evidence* e : ctx.index.Of(h, v1::Evidence::kW32TmStatus)) {
      if (e->w32tm_status().unsynchronized()) {
        out.notes.push_back(
            ctx.index.Note(*e, absl::StrCat(h, "'s time service is not synchronised (Source: ",
                                            e->w32tm_status().source(), ")")));
      }
    }
    ForEachEvent(ctx.index, h, events::kTimeServiceEvents,
                 [&](const v1::Evidence& e, const v1::EventRecord& r) {
                   if (!absl::StrContains(r.provider(), "Time")) return;
                   out.notes.push_back(
                       ctx.index.Note(e, absl::StrCat("W32Time event ", r.event_id(), " on ", h)));
                 });
  }
  return out;
}

// True when `h` syncs from `dc` and is within the limit of it: off because its DC is.
bool Follows(const RuleContext& ctx, const ClockPath& path, const std::string& h,
             const std::string& dc) {
  const absl::string_view* src = path.TimeSourceOf(h);
  if (src == nullptr || *src != dc) return false;
  auto gap = ctx.clocks.Between(h, dc);
  return gap && absl::AbsDuration(gap->offset) <= ctx.max_clock_skew;
}

// The host furthest off; a member off with the DC it syncs from (within the limit of it: 45m
// off beside a DC 6m off is its own) gives way to that DC, the one to fix.
std::string BlameOff(const RuleContext& ctx, const ClockPath& path, const ClockReadings& clocks) {
  auto worst = clocks.off.begin();
  for (auto it = clocks.off.begin(); it != clocks.off.end(); ++it) {
    if (absl::AbsDuration(it->second.offset) > absl::AbsDuration(worst->second.offset)) {
      worst = it;
    }
  }
  if (const absl::string_view* src = path.TimeSourceOf(worst->first); src != nullptr) {
    const std::string dc(*src);
    if (clocks.off.count(dc) && Follows(ctx, path, worst->first, dc)) return dc;
  }
  return worst->first;
}

std::vector<std::string> OffHostFix(const RuleContext& ctx, const std::string& blamed,
                                    const std::vector<std::string>& followers) {
  std::vector<std::string> fix = {
      absl::StrCat("On ", blamed, ": w32tm /resync /rediscover"),
      absl::StrCat("On ", blamed,
                   ": w32tm /query /status — Source must be a domain controller, not 'Local "
                   "CMOS Clock' or 'Free-running System Clock'; if not, w32tm /config "
                   "/syncfromflags:domhier /update, then net stop w32time && net start w32time"),
  };
  if (blamed == ctx.index.PdcEmulator() || ctx.clocks.reference().empty()) {
    fix.push_back(absl::StrCat(
        "If ", blamed,
        " is the PDC emulator of the forest root: give it a reliable source: w32tm /config "
        "/manualpeerlist:\"<ntp server>,0x8\" /syncfromflags:manual /reliable:yes /update"));
  }
  if (!followers.empty()) {
    fix.push_back(
        absl::StrCat("Once ", blamed, " is right, on ", absl::StrJoin(followers, ", "),
                     followers.size() == 1 ? " (which syncs from it)" : " (which sync from it)",
                     ": w32tm /resync"));
  }
  fix.push_back(absl::StrCat("Then retry the queues: Retry-Queue -Identity <queue> on ",
                             JoinNames(ctx.group.senders)));
  return fix;
}

// A host over the limit of its reference: blamed, every other one named.
CauseResult OffHostVerdict(const RuleContext& ctx, const ClockPath& path,
                           const ClockReadings& clocks, SkewCorroboration corr) {
  const std::string blamed = BlameOff(ctx, path, clocks);
  const HostClock& c = clocks.off.at(blamed);
  std::string summary =
      absl::StrCat(blamed, " is ", FormatShortDuration(c.offset),
                   c.offset > absl::ZeroDuration() ? " ahead of " : " behind ", c.reference_label,
                   " (limit ", FormatShortDuration(ctx.max_clock_skew), ")");
  std::vector<std::string> followers;
  for (const auto& [h, other] : clocks.off) {
    if (h == blamed) continue;
    const bool follows = Follows(ctx, path, h, blamed);
    if (follows) followers.push_back(h);
    absl::StrAppend(&summary, "; ", h, " is ", FormatSignedDuration(other.offset), " too",
                    follows ? absl::StrCat(" (it syncs from ", blamed, ")") : "");
  }
  std::vector<EvidenceNote> evidence = ctx.clocks.Notes(c);
  if (c.stale) {
    absl::StrAppend(&summary, "; the reading is stale (",
                    evidence.empty() || !evidence.front().age ? std::string("age unknown")
                                                              : FormatAge(*evidence.front().age),
                    ")");
  }
  const Confidence confidence = Grade(true, !c.stale, corr.any());
  const char* verb = confidence == Confidence::kConfirmed ? "confirmed by" : "also seen:";
  if (corr.errors_seen()) absl::StrAppend(&summary, "; ", verb, " ", corr.Said());
  evidence.insert(evidence.end(), std::make_move_iterator(corr.notes.begin()),
                  std::make_move_iterator(corr.notes.end()));
  return Supported(kClockSkew, confidence, blamed, std::move(summary), std::move(evidence),
                   OffHostFix(ctx, blamed, followers));
}

// Every host within the limit of its reference can still be too far from another one on a
// Kerberos leg: the sender from the target (which checks the authenticator's time) or from its
// KDC (the TGS exchange), e.g. -3m and +3m against the reference, 6m apart.
std::optional<Leg> WidestLeg(const RuleContext& ctx) {
  // Offsets first; the evidence of a path is built for the widest leg only.
  std::optional<std::pair<std::string, std::string>> widest;
  absl::Duration widest_apart;
  auto leg = [&](const std::string& a, const std::string& b) {
    if (a == b) return;
    std::optional<absl::Duration> apart = ctx.clocks.OffsetBetween(a, b);
    if (!apart || absl::AbsDuration(*apart) <= ctx.max_clock_skew) return;
    if (!widest || absl::AbsDuration(*apart) > absl::AbsDuration(widest_apart)) {
      widest = {a, b};
      widest_apart = *apart;
    }
  };
  for (const FailingPair* p : ctx.group.pairs) {
    if (p->target_known) leg(p->sender, p->target);
    for (const std::string& kdc : KdcsOf(ctx, p->sender)) leg(p->sender, kdc);
  }
  if (!widest) return std::nullopt;
  return Leg{widest->first, widest->second, *ctx.clocks.Between(widest->first, widest->second)};
}

CauseResult LegVerdict(const RuleContext& ctx, const Leg& leg, SkewCorroboration corr) {
  const absl::Duration a_off = ctx.clocks.ToReference(leg.a)->offset;
  const absl::Duration b_off = ctx.clocks.ToReference(leg.b)->offset;
  // Blame the one further from the reference; both want a look.
  const bool blame_a = absl::AbsDuration(a_off) >= absl::AbsDuration(b_off);
  const std::string& blamed = blame_a ? leg.a : leg.b;
  const std::string& other = blame_a ? leg.b : leg.a;
  std::string summary =
      absl::StrCat(leg.a, " and ", leg.b, " are ",
                   FormatShortDuration(absl::AbsDuration(leg.apart.offset)), " apart (", leg.a, " ",
                   FormatSignedDuration(a_off), ", ", leg.b, " ", FormatSignedDuration(b_off),
                   " against ", ctx.clocks.ReferenceLabel(), "), more than the limit ",
                   FormatShortDuration(ctx.max_clock_skew), " though each is within it");
  if (corr.skew_errors > 0) absl::StrAppend(&summary, "; ", corr.Said());
  const Confidence confidence = Grade(true, !leg.apart.stale, corr.any());
  std::vector<EvidenceNote> evidence = ctx.clocks.Notes(leg.apart);
  evidence.insert(evidence.end(), std::make_move_iterator(corr.notes.begin()),
                  std::make_move_iterator(corr.notes.end()));
  return Supported(
      kClockSkew, confidence, blamed, std::move(summary), std::move(evidence),
      {absl::StrCat("On ", blamed, " and ", other,
                    ": w32tm /query /status — both must sync from the domain hierarchy (Source: "
                    "a DC); then w32tm /resync /rediscover on each"),
       absl::StrCat("Then retry the queues: Retry-Queue -Identity <queue> on ",
                    JoinNames(ctx.group.senders))});
}

// No clock over the limit, no leg too wide: what the errors and the missing readings allow.
CauseResult WithoutAnOffset(const RuleContext& ctx, const ClockReadings& clocks,
                            SkewCorroboration corr) {
  const std::string limit = FormatShortDuration(ctx.max_clock_skew);
  if (clocks.unmeasured.empty() && corr.errors_seen()) {
    // The clocks agree now, but the KDC or the target said otherwise: a clock that was fixed
    // since, or one that jumps. Not ruled out.
    return Supported(kClockSkew, Confidence::kPossible,
                     corr.skew_errors > 0 ? corr.skew_host : *ctx.group.targets.begin(),
                     absl::StrCat(corr.Said(), ", yet every measured clock is within ", limit,
                                  " of ", ctx.clocks.ReferenceLabel(),
                                  ": a clock that was set right since, or one that jumps"),
                     std::move(corr.notes),
                     {"w32tm /query /status and the System log's Time-Service events on the hosts "
                      "involved: look for a clock that steps (events 1, 35, 37, 50)",
                      absl::StrCat("Then retry the queues: Retry-Queue -Identity <queue> on ",
                                   JoinNames(ctx.group.senders))});
  }
  if (clocks.unmeasured.empty()) {
    return RuledOut(
        kClockSkew,
        absl::StrCat(
            "every clock on the path is within ", limit, " of ", ctx.clocks.ReferenceLabel(),
            clocks.within.empty()
                ? ""
                : absl::StrCat(" (",
                               absl::StrJoin(clocks.within, ", ",
                                             [](std::string* out, const auto& host_offset) {
                                               absl::StrAppend(
                                                   out, host_offset.first, " ",
                                                   FormatSignedDuration(host_offset.second));
                                             }),
                               ")")));
  }
  if (corr.errors_seen()) {
    return Supported(
        kClockSkew, Confidence::kPossible, *clocks.unmeasured.begin(),
        absl::StrCat(corr.Said(), " point to a clock off by more than ", limit,
                     "; no offset measured for ", JoinNames(clocks.unmeasured)),
        std::move(corr.notes),
        {absl::StrCat("Measure: w32tm /stripchart /computer:<PDC emulator> /samples:5 /dataonly "
                      "on ",
                      JoinNames(clocks.unmeasured)),
         "On the host that is off: w32tm /resync /rediscover"});
  }
  return NotChecked(kClockSkew,
                    absl::StrCat("no clock reading for ", JoinNames(clocks.unmeasured),
                                 " (w32tm-stripchart-<DC>.txt, probes.json or a live agent)"));
}

class ClockSkewRule : public Rule {
 public:
  const char* cause() const override { return kClockSkew; }

  // Gather (the path, its clocks, the corroboration), then the first verdict that applies: a
  // host off its reference, a leg too wide, or what the errors and missing readings allow.
  CauseResult Evaluate(const RuleContext& ctx) const override {
    const ClockPath path = PathOf(ctx);
    const ClockReadings clocks = ReadClocks(ctx, path);
    SkewCorroboration corr = Corroborate(ctx, path, clocks);
    if (!clocks.off.empty()) return OffHostVerdict(ctx, path, clocks, std::move(corr));
    if (std::optional<Leg> leg = WidestLeg(ctx)) return LegVerdict(ctx, *leg, std::move(corr));
    return WithoutAnOffset(ctx, clocks, std::move(corr));
  }
};

}  // namespace

const Rule* ClockSkewRuleInstance() {
  static const ClockSkewRule rule;
  return &rule;
}

}  // namespace kerbside::correlator
