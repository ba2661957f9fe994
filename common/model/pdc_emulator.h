#ifndef KERBSIDE_COMMON_MODEL_PDC_EMULATOR_H_
#define KERBSIDE_COMMON_MODEL_PDC_EMULATOR_H_

// Which DC is the PDC emulator, the domain's time root and so the fleet's clock reference
// (DESIGN.md §3). It is a fact of the directory (fSMORoleOwner of the domain naming context, read
// by a DC's agent), never a host's word about itself: a host's own claim (its pdc_emulator
// setting, or host.json in a bundle) is used only while no DC has said, and a claim that the
// directory contradicts is named in the reason.

#include <string>
#include <vector>

#include "common/model/fleet_model.h"

namespace kerbside::model {

// One DC's reading of fSMORoleOwner.
struct PdcReport {
  std::string dc;   // the DC that read it (upper-case NetBIOS name)
  std::string pdc;  // the role owner it names (upper case)
  bool owner_deleted = false;
};

struct PdcChoice {
  std::string host;    // upper-case NetBIOS name; empty when no usable PDC emulator is known
  std::string reason;  // for on-call: where the choice comes from, and any conflict
};

// The directory's word wins: the owner most DCs name (ties: the first in name order), with
// disagreements said. Without reports, the claims (of DC-role hosts only), conflicts said.
PdcChoice ChoosePdcEmulator(const std::vector<PdcReport>& reports,
                            const std::vector<std::string>& claims);

// The domain_roles evidence of DC-role hosts in `fleet` (only a DC speaks for the directory).
std::vector<PdcReport> PdcReportsIn(const FleetModel& fleet);
// One host's part of the reports, and its claim when it is a DC that claims the role, appended:
// for a caller that walks the fleet anyway (a walk of a 20,000-host std::map is a cache miss per
// host: the correlator does it once, issue 17).
void AddPdcEvidence(const std::string& key, const HostEvidence& host,
                    std::vector<PdcReport>& reports, std::vector<std::string>& claims);

}  // namespace kerbside::model

#endif  // KERBSIDE_COMMON_MODEL_PDC_EMULATOR_H_
