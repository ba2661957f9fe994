// Runs every scenario of tests/scenarios/NNN-name/: loads the bundle, correlates it as of its
// newest collected_at, and compares with expected.json (per diagnosis, in order: blamed host,
// the causes with their confidence in order, and causes that must be not checked / ruled out).
// Prints a table scenario x expected x got; exits 1 on any mismatch.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/correlator/correlator.h"
#include "common/bundle/bundle_loader.h"
#include "nlohmann/json.hpp"

namespace {

std::string CausesText(const nlohmann::json& causes) {
  std::vector<std::string> parts;
  for (const auto& c : causes) {
    parts.push_back(
        absl::StrCat(c["cause"].get<std::string>(), ":", c["confidence"].get<std::string>()));
  }
  return absl::StrJoin(parts, ",");
}

std::string Names(const nlohmann::json& list) {
  std::vector<std::string> parts;
  for (const auto& c : list)
    parts.push_back(c.is_string() ? c.get<std::string>() : c["cause"].get<std::string>());
  return absl::StrJoin(parts, ",");
}

// Empty when `got` matches `want`; else what differs.
std::string Compare(const nlohmann::json& want, const nlohmann::json& got) {
  const auto& wd = want["diagnoses"];
  const auto& gd = got["diagnoses"];
  if (wd.size() != gd.size()) {
    return absl::StrCat(wd.size(), " diagnoses expected, ", gd.size(), " found");
  }
  for (size_t i = 0; i < wd.size(); ++i) {
    const auto& w = wd[i];
    const auto& g = gd[i];
    if (w.contains("blamed_host") && w["blamed_host"] != g["blamed_host"]) {
      return absl::StrCat("[", i + 1, "] blamed ", g["blamed_host"].get<std::string>(),
                          ", expected ", w["blamed_host"].get<std::string>());
    }
    if (w.contains("pattern_kind") && w["pattern_kind"] != g["pattern_kind"]) {
      return absl::StrCat("[", i + 1, "] pattern ", g["pattern_kind"].get<std::string>(), ": ",
                          g["pattern"].get<std::string>());
    }
    if (w.contains("pattern_contains") &&
        g["pattern"].get<std::string>().find(w["pattern_contains"].get<std::string>()) ==
            std::string::npos) {
      return absl::StrCat("[", i + 1, "] pattern: ", g["pattern"].get<std::string>());
    }
    if (w.contains("next_hop")) {
      // The servers the queue's next hop was judged as (DESIGN.md §3).
      std::vector<std::string> chosen;
      if (g.contains("next_hops") && !g["next_hops"].empty()) {
        for (const auto& c : g["next_hops"][0]["chosen"]) chosen.push_back(c.get<std::string>());
      }
      if (absl::StrJoin(chosen, ", ") != w["next_hop"].get<std::string>()) {
        return absl::StrCat("[", i + 1, "] next hop judged as '", absl::StrJoin(chosen, ", "),
                            "', expected '", w["next_hop"].get<std::string>(), "'");
      }
    }
    if (CausesText(w["causes"]) != CausesText(g["causes"])) {
      return absl::StrCat("[", i + 1, "] causes ", CausesText(g["causes"]));
    }
    for (size_t k = 0; k < w["causes"].size(); ++k) {
      const auto& wc = w["causes"][k];
      if (!wc.contains("summary_contains")) continue;
      const std::string summary = g["causes"][k]["summary"].get<std::string>();
      if (summary.find(wc["summary_contains"].get<std::string>()) == std::string::npos) {
        return absl::StrCat("[", i + 1, "] ", wc["cause"].get<std::string>(),
                            " summary: ", summary);
      }
    }
    for (const char* list : {"not_checked", "ruled_out"}) {
      if (!w.contains(list)) continue;
      std::set<std::string> have;
      for (const auto& c : g[list]) have.insert(c["cause"].get<std::string>());
      for (const auto& c : w[list]) {
        if (!have.count(c.get<std::string>())) {
          return absl::StrCat("[", i + 1, "] ", c.get<std::string>(), " not in ", list, " (",
                              Names(g[list]), ")");
        }
      }
    }
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path root = argc > 1 ? argv[1] : KERBSIDE_SCENARIOS;
  std::vector<std::filesystem::path> dirs;
  for (const auto& e : std::filesystem::directory_iterator(root)) {
    if (e.is_directory() && std::filesystem::exists(e.path() / "expected.json")) {
      dirs.push_back(e.path());
    }
  }
  std::sort(dirs.begin(), dirs.end());
  int failed = 0;
  std::printf("%-40s %-48s %-48s %s\n", "SCENARIO", "EXPECTED", "GOT", "RESULT");
  for (const auto& dir : dirs) {
    std::ifstream in(dir / "expected.json");
    nlohmann::json want = nlohmann::json::parse(in, nullptr, false);
    std::string expected_text, got_text, verdict;
    if (want.is_discarded()) {
      verdict = "FAIL: expected.json does not parse";
    } else {
      for (const auto& d : want["diagnoses"]) {
        expected_text += (expected_text.empty() ? "" : " | ") + d.value("blamed_host", "?") + " " +
                         CausesText(d["causes"]);
      }
      auto fleet = kerbside::bundle::LoadBundle(dir.string());
      if (!fleet.ok()) {
        verdict = absl::StrCat("FAIL: ", fleet.status().ToString());
      } else {
        std::string problems;
        for (const auto& p : fleet->problems) problems += p.message + "; ";
        for (const auto& [n, h] : fleet->hosts) {
          for (const auto& p : h.problems) problems += p.message + "; ";
        }
        const absl::Time now =
            kerbside::bundle::NewestCollectedAt(*fleet).value_or(absl::UnixEpoch());
        const nlohmann::json got = nlohmann::json::parse(
            kerbside::correlator::DiagnosesToJson(kerbside::correlator::Correlate(*fleet, now, {}))
                .dump());
        for (const auto& d : got["diagnoses"]) {
          got_text += (got_text.empty() ? "" : " | ") + d["blamed_host"].get<std::string>() + " " +
                      CausesText(d["causes"]);
        }
        const std::string diff = Compare(want, got);
        if (!problems.empty()) {
          verdict = "FAIL: bundle files failed: " + problems;
        } else {
          verdict = diff.empty() ? "ok" : "FAIL: " + diff;
        }
      }
    }
    if (verdict != "ok") ++failed;
    std::printf("%-40s %-48s %-48s %s\n", dir.filename().c_str(), expected_text.c_str(),
                got_text.c_str(), verdict.c_str());
  }
  std::printf("\n%zu scenarios, %d failed\n", dirs.size(), failed);
  return failed == 0 && !dirs.empty() ? 0 : 1;
}
