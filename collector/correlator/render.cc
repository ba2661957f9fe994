// JSON (DESIGN.md §5) and text renderings of the correlator's diagnoses.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/correlator/causes.h"
#include "collector/correlator/correlator.h"
#include "common/duration_format.h"
#include "common/proto_time.h"

namespace kerbside::correlator {
namespace {

nlohmann::ordered_json NoteJson(const EvidenceNote& n) {
  nlohmann::ordered_json j;
  j["fact"] = n.fact;
  j["host"] = n.host;
  j["origin"] = n.origin;
  j["observed_at"] = n.observed_at ? nlohmann::ordered_json(FormatRfc3339(*n.observed_at))
                                   : nlohmann::ordered_json(nullptr);
  j["age_seconds"] = n.age ? nlohmann::ordered_json(absl::ToInt64Seconds(*n.age))
                           : nlohmann::ordered_json(nullptr);
  j["stale"] = n.stale;
  return j;
}

nlohmann::ordered_json QueueJson(const QueueRef& q) {
  return {{"sender", q.sender},
          {"target", q.target},
          {"identity", q.identity},
          {"status", q.status},
          {"message_count", q.message_count},
          {"last_error", q.last_error},
          {"failure_class", q.failure_class},
          {"origin", q.origin}};
}

nlohmann::ordered_json NextHopJson(const NextHopNote& n) {
  return {{"sender", n.sender}, {"next_hop", n.next_hop},     {"delivery_type", n.delivery_type},
          {"basis", n.basis},   {"candidates", n.candidates}, {"unknown_facts", n.unknown_facts},
          {"chosen", n.chosen}, {"chosen_by", n.chosen_by}};
}

std::string NextHopText(const NextHopNote& n) {
  return absl::StrCat(
      n.sender, " -> '", n.next_hop, "'",
      n.delivery_type.empty() ? "" : absl::StrCat(" (", n.delivery_type, ")"), ": ",
      n.candidates.empty()
          ? n.chosen_by
          : absl::StrCat(
                "candidates ", absl::StrJoin(n.candidates, ", "), ", ", n.basis,
                n.unknown_facts.empty()
                    ? ""
                    : absl::StrCat(" (facts unknown: ", absl::StrJoin(n.unknown_facts, ", "), ")"),
                "; judged: ", absl::StrJoin(n.chosen, ", "), " (", n.chosen_by, ")"));
}

}  // namespace

nlohmann::ordered_json DiagnosesToJson(const Diagnoses& d) {
  nlohmann::ordered_json out;
  out["generated_at"] = FormatRfc3339(d.now);
  out["max_clock_skew_seconds"] = absl::ToDoubleSeconds(d.max_clock_skew);
  out["clock_reference"] = d.clock_reference;
  out["diagnoses"] = nlohmann::ordered_json::array();
  for (const Diagnosis& diag : d.diagnoses) {
    nlohmann::ordered_json j;
    j["sentence"] = diag.sentence;
    j["senders"] = diag.senders;
    j["targets"] = diag.targets;
    j["blamed_host"] = diag.blamed_host;
    j["queues"] = nlohmann::ordered_json::array();
    for (const QueueRef& q : diag.queues) j["queues"].push_back(QueueJson(q));
    j["pattern_kind"] = diag.pattern_kind;
    j["pattern"] = diag.pattern;
    if (!diag.next_hops.empty()) {
      j["next_hops"] = nlohmann::ordered_json::array();
      for (const NextHopNote& n : diag.next_hops) j["next_hops"].push_back(NextHopJson(n));
    }
    j["causes"] = nlohmann::ordered_json::array();
    for (const CauseResult& c : diag.causes) {
      nlohmann::ordered_json cj;
      cj["cause"] = c.cause;
      cj["confidence"] = ConfidenceName(c.confidence);
      cj["kb"] = CauseFor(c.cause).kb;
      cj["summary"] = c.summary;
      cj["blamed_host"] = c.blamed_host;
      cj["evidence"] = nlohmann::ordered_json::array();
      for (const EvidenceNote& n : c.evidence) cj["evidence"].push_back(NoteJson(n));
      cj["remediation"] = c.remediation;
      j["causes"].push_back(std::move(cj));
    }
    j["not_checked"] = nlohmann::ordered_json::array();
    for (const CauseResult& c : diag.not_checked) {
      j["not_checked"].push_back({{"cause", c.cause}, {"reason", c.summary}});
    }
    j["ruled_out"] = nlohmann::ordered_json::array();
    for (const CauseResult& c : diag.ruled_out) {
      j["ruled_out"].push_back({{"cause", c.cause}, {"reason", c.summary}});
    }
    out["diagnoses"].push_back(std::move(j));
  }
  return out;
}

std::string DiagnosesToText(const Diagnoses& d) {
  if (d.diagnoses.empty()) {
    return "No stuck queue in the evidence: nothing to diagnose.\n";
  }
  std::string out;
  for (const Diagnosis& diag : d.diagnoses) absl::StrAppend(&out, diag.sentence, "\n");
  for (size_t i = 0; i < d.diagnoses.size(); ++i) {
    const Diagnosis& diag = d.diagnoses[i];
    absl::StrAppend(&out, "\n[", i + 1, "] ", diag.sentence, "\n");
    absl::StrAppend(&out, "    pattern: ", diag.pattern, "\n");
    for (const NextHopNote& n : diag.next_hops) {
      absl::StrAppend(&out, "    next hop: ", NextHopText(n), "\n");
    }
    absl::StrAppend(&out, "    queues: ", diag.queues.size(), "\n");
    for (const QueueRef& q : diag.queues) {
      absl::StrAppend(&out, "      ", q.identity, " (", q.sender, " -> ", q.target, ", ",
                      q.message_count, " messages, ", q.status, "): ", q.last_error, "\n");
    }
    for (const CauseResult& c : diag.causes) {
      absl::StrAppend(&out, "    cause ", c.cause, " (", ConfidenceName(c.confidence), ", ",
                      CauseFor(c.cause).kb, "): ", c.summary, "\n");
      for (const EvidenceNote& n : c.evidence) {
        absl::StrAppend(
            &out, "      evidence: ", n.fact,
            n.origin.empty() ? "" : absl::StrCat(" [", n.origin, "]"),
            n.age ? absl::StrCat(" (", FormatAge(*n.age), n.stale ? ", STALE" : "", ")") : "",
            "\n");
      }
      for (const std::string& step : c.remediation) {
        absl::StrAppend(&out, "      fix: ", step, "\n");
      }
    }
    for (const CauseResult& c : diag.ruled_out) {
      absl::StrAppend(&out, "    ruled out ", c.cause, ": ", c.summary, "\n");
    }
    for (const CauseResult& c : diag.not_checked) {
      absl::StrAppend(&out, "    not checked ", c.cause, ": ", c.summary, "\n");
    }
  }
  return out;
}

}  // namespace kerbside::correlator
