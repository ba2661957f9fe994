// The explicit registry of rules, one per documented cause. The order breaks ties between
// causes supported with the same confidence: the KB's own order (clock, replication, SPNs,
// ports, connector).
#include "collector/correlator/rules/rule.h"

namespace kerbside::correlator {

const Rule* ClockSkewRuleInstance();
const Rule* DcReplicationRuleInstance();
const Rule* SpnMissingRuleInstance();
const Rule* SpnDuplicateRuleInstance();
const Rule* KerberosPortsBlockedRuleInstance();
const Rule* ConnectorAuthRuleInstance();

const std::vector<const Rule*>& Rules() {
  static const std::vector<const Rule*>* rules = new std::vector<const Rule*>{
      ClockSkewRuleInstance(),    DcReplicationRuleInstance(),        SpnMissingRuleInstance(),
      SpnDuplicateRuleInstance(), KerberosPortsBlockedRuleInstance(), ConnectorAuthRuleInstance(),
  };
  return *rules;
}

}  // namespace kerbside::correlator
