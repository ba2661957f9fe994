#ifndef KERBSIDE_COLLECTOR_CORRELATOR_CAUSES_H_
#define KERBSIDE_COLLECTOR_CORRELATOR_CAUSES_H_

#include <string_view>

#include "absl/types/span.h"

namespace kerbside::correlator {

// One documented cause (DESIGN.md §1): its id (a contract: JSON, alert labels, metrics), how
// people say it, and where KB 979174 (or KB 979175) treats it.
struct CauseInfo {
  const char* id;
  const char* label;  // "clock skew", in sentences and tables
  const char* kb;     // "KB 979174 cause 1, step 1"
  bool pages;         // out_of_scope is another team's alert: shown, never paged
};

// Every cause, in the order the metrics list them.
absl::Span<const CauseInfo> Causes();
// The entry for `id`; an unknown id (a newer collector's) gets a neutral entry naming it.
const CauseInfo& CauseFor(std::string_view id);

}  // namespace kerbside::correlator

#endif  // KERBSIDE_COLLECTOR_CORRELATOR_CAUSES_H_
