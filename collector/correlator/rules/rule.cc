#include "collector/correlator/rules/rule.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace kerbside::correlator {

CauseResult RuledOut(const char* cause, std::string reason) {
  CauseResult r;
  r.cause = cause;
  r.state = CauseResult::State::kRuledOut;
  r.summary = std::move(reason);
  return r;
}

CauseResult NotChecked(const char* cause, std::string missing) {
  CauseResult r;
  r.cause = cause;
  r.state = CauseResult::State::kNotChecked;
  r.summary = std::move(missing);
  return r;
}

CauseResult Supported(const char* cause, Confidence confidence, std::string blamed_host,
                      std::string summary, std::vector<EvidenceNote> evidence,
                      std::vector<std::string> remediation) {
  CauseResult r;
  r.cause = cause;
  r.state = CauseResult::State::kSupported;
  r.confidence = confidence;
  r.blamed_host = std::move(blamed_host);
  r.summary = std::move(summary);
  r.evidence = std::move(evidence);
  r.remediation = std::move(remediation);
  return r;
}

Confidence Grade(bool direct, bool direct_fresh, bool corroborated) {
  Confidence c = direct && corroborated ? Confidence::kConfirmed
                 : direct               ? Confidence::kLikely
                                        : Confidence::kPossible;
  if (direct && !direct_fresh && c != Confidence::kPossible) {
    c = static_cast<Confidence>(static_cast<int>(c) - 1);
  }
  return c;
}

std::shared_ptr<const CauseResult> Rule::EvaluateShared(const RuleContext& ctx) const {
  // A non-const object behind a const view: its only holder may move it out (Materialize).
  return std::make_shared<CauseResult>(Evaluate(ctx));
}

CauseResult PerTargetRule::Evaluate(const RuleContext& ctx) const {
  std::vector<CauseResult> per_target;
  for (const std::string& t : ctx.group.targets) per_target.push_back(ForTarget(ctx, t));
  return StrongestOf(cause(), std::move(per_target));
}

std::shared_ptr<const CauseResult> PerTargetRule::EvaluateShared(const RuleContext& ctx) const {
  if (ctx.group.targets.size() != 1 || !JudgesTargetAlone()) return Rule::EvaluateShared(ctx);
  std::shared_ptr<const CauseResult>& verdict =
      ctx.memo->target_verdicts[{cause(), *ctx.group.targets.begin()}];
  if (verdict == nullptr) verdict = Rule::EvaluateShared(ctx);
  return verdict;
}

void ForEachEvent(const FleetIndex& index, const std::string& host, absl::Span<const uint32_t> ids,
                  const std::function<void(const v1::Evidence&, const v1::EventRecord&)>& fn) {
  const absl::Span<const v1::Evidence* const> batches =
      host.empty() ? absl::MakeConstSpan(index.All(v1::Evidence::kEvents))
                   : index.Of(host, v1::Evidence::kEvents);
  for (const v1::Evidence* e : batches) {
    for (const v1::EventRecord& r : e->events().events()) {
      if (std::find(ids.begin(), ids.end(), r.event_id()) != ids.end()) fn(*e, r);
    }
  }
}

namespace {

std::vector<std::string> ReadKdcsOf(const FleetIndex& index, const std::string& host) {
  std::set<std::string> kdcs;
  for (const v1::Evidence* e : index.Of(host, v1::Evidence::kProbes)) {
    for (const v1::TicketProbe& t : e->probes().tickets()) {
      if (auto dc = index.Resolve(t.kdc())) kdcs.insert(*dc);
    }
  }
  if (!kdcs.empty()) return {kdcs.begin(), kdcs.end()};
  const model::HostEvidence* h = index.Host(host);
  if (h != nullptr && !h->identity.site().empty() && !index.DcsInSite(h->identity.site()).empty()) {
    return index.DcsInSite(h->identity.site());
  }
  return index.Dcs();
}

}  // namespace

const std::vector<std::string>& KdcsOf(const RuleContext& ctx, const std::string& host) {
  auto [it, added] = ctx.memo->kdcs.try_emplace(host);
  if (added) it->second = ReadKdcsOf(ctx.index, host);
  return it->second;
}

const std::optional<std::string>& AuthenticatingDcOf(const RuleContext& ctx,
                                                     const std::string& host) {
  auto [it, added] = ctx.memo->authenticating_dc.try_emplace(host);
  if (added) it->second = AuthenticatingDc(ctx.index, host);
  return it->second;
}

CauseResult StrongestOf(const char* cause, std::vector<CauseResult> results) {
  if (results.empty()) {
    return NotChecked(cause, "no failing queue names a host of the fleet as its target");
  }
  CauseResult* best = nullptr;
  for (CauseResult& r : results) {
    if (r.state == CauseResult::State::kSupported &&
        (best == nullptr || r.confidence > best->confidence)) {
      best = &r;
    }
  }
  if (best != nullptr) return std::move(*best);
  for (CauseResult& r : results) {
    if (r.state == CauseResult::State::kNotChecked) return std::move(r);
  }
  std::vector<std::string> reasons;
  for (const CauseResult& r : results) reasons.push_back(r.summary);
  return RuledOut(cause, absl::StrJoin(reasons, "; "));
}

bool IsTargetSmtpSpn(const std::string& spn, const std::string& t, const std::string& fqdn) {
  std::string s = absl::AsciiStrToLower(spn);
  s = s.substr(0, s.find('@'));
  if (!absl::StartsWith(s, "smtpsvc/") && !absl::StartsWith(s, "smtp/")) return false;
  const std::string host = s.substr(s.find('/') + 1);
  return host == absl::AsciiStrToLower(t) || (!fqdn.empty() && host == absl::AsciiStrToLower(fqdn));
}

std::string HexCode(int code) { return absl::StrFormat("0x%x", code); }

std::string JoinNames(const std::set<std::string>& names) { return absl::StrJoin(names, ", "); }
std::string JoinNames(const std::vector<std::string>& names) { return absl::StrJoin(names, ", "); }
std::string JoinNames(absl::Span<const absl::string_view> names) {
  return absl::StrJoin(names, ", ");
}

}  // namespace kerbside::correlator
