#ifndef KERBSIDE_COLLECTOR_CORRELATOR_RULES_UNEXPLAINED_H_
#define KERBSIDE_COLLECTOR_CORRELATOR_RULES_UNEXPLAINED_H_

#include <vector>

#include "collector/correlator/rules/rule.h"

namespace kerbside::correlator {

// The `unexplained` verdict for a group where no rule found support: what was ruled out, what
// could not be checked and why, and step 5 of the KB.
CauseResult Unexplained(const FailureGroup& group, const std::vector<CauseResult>& not_checked,
                        const std::vector<CauseResult>& ruled_out);

}  // namespace kerbside::correlator

#endif  // KERBSIDE_COLLECTOR_CORRELATOR_RULES_UNEXPLAINED_H_
