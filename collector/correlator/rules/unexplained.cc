// KB 979174 step 5: stuck with an ExchangeAuth failure and no cause supported. The verdict
// says what was checked and what evidence was missing, and turns on Kerberos logging.
#include "collector/correlator/rules/unexplained.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kerbside::correlator {

CauseResult Unexplained(const FailureGroup& group, const std::vector<CauseResult>& not_checked,
                        const std::vector<CauseResult>& ruled_out) {
  std::vector<std::string> checked, missing;
  for (const CauseResult& r : ruled_out) checked.push_back(r.cause);
  for (const CauseResult& r : not_checked)
    missing.push_back(absl::StrCat(r.cause, ": ", r.summary));
  std::set<std::string> hosts(group.senders.begin(), group.senders.end());
  hosts.insert(group.targets.begin(), group.targets.end());
  CauseResult r;
  r.cause = kUnexplained;
  r.state = CauseResult::State::kSupported;
  r.confidence = Confidence::kPossible;
  r.blamed_host = group.targets.empty() ? "" : *group.targets.begin();
  // A queue whose next hop could be any of several servers blames none of them: the alert is
  // about the next hop as written, as for one that names no server of the fleet.
  if (!group.pairs.empty() && std::all_of(group.pairs.begin(), group.pairs.end(),
                                          [](const FailingPair* p) { return p->tentative; })) {
    r.blamed_host = group.pairs.front()->next_hop;
  }
  r.summary = absl::StrCat(
      "no documented cause is supported",
      checked.empty() ? "" : absl::StrCat("; ruled out: ", absl::StrJoin(checked, ", ")),
      missing.empty() ? "" : absl::StrCat("; not checked: ", absl::StrJoin(missing, "; ")));
  for (const std::string& h : hosts) {
    r.remediation.push_back(absl::StrCat(
        "On ", h,
        ": turn on Kerberos logging: reg add "
        "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\Kerberos\\Parameters /v LogLevel /t "
        "REG_DWORD /d 1 /f, retry the queue, then read the System log"));
  }
  for (const CauseResult& nc : not_checked) {
    r.remediation.push_back(
        absl::StrCat("Collect what is missing for ", nc.cause, ": ", nc.summary));
  }
  return r;
}

}  // namespace kerbside::correlator
