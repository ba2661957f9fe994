#include "collector/correlator/causes.h"

#include "collector/correlator/diagnosis.h"

namespace kerbside::correlator {
namespace {

constexpr CauseInfo kCauses[] = {
    {kClockSkew, "clock skew", "KB 979174 cause 1, step 1", true},
    {kDcReplication, "DC replication", "KB 979174 cause 2, step 2", true},
    {kSpnMissing, "missing SPN", "KB 979174 cause 3, step 3", true},
    {kSpnDuplicate, "duplicate SPN", "KB 979174 cause 3, step 3", true},
    {kKerberosPortsBlocked, "Kerberos ports blocked", "KB 979174 cause 4, step 4", true},
    {kConnectorAuth, "receive connector without Exchange Server authentication",
     "KB 979174 step 6, KB 979175", true},
    {kUnexplained, "unexplained", "KB 979174 step 5", true},
    {kOutOfScope, "out of scope", "not KB 979174", false},
};

constexpr CauseInfo kUnknown = {"unknown", "unknown cause", "", true};

}  // namespace

absl::Span<const CauseInfo> Causes() { return kCauses; }

const CauseInfo& CauseFor(std::string_view id) {
  for (const CauseInfo& c : kCauses) {
    if (id == c.id) return c;
  }
  return kUnknown;
}

}  // namespace kerbside::correlator
