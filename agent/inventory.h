#ifndef KERBSIDE_AGENT_INVENTORY_H_
#define KERBSIDE_AGENT_INVENTORY_H_

#include "kerbside/v1/agent.pb.h"

namespace kerbside::agent {

// Hosts an agent keeps in its copy of the fleet inventory; a delta beyond it is refused (a
// count from the wire, bounded like every other).
inline constexpr int kMaxInventoryHosts = 100000;

enum class InventoryApplied {
  kReplaced,  // a whole list (or one from a collector without versions)
  kMerged,    // a delta on top of the version we had
  kGap,       // a delta from another version than ours, or too many hosts: ask for the whole list
};

// Pure: applies what the collector sent to `have`. A delta's hosts replace the ones of the same
// NetBIOS name and add the others; the result is in name order.
InventoryApplied ApplyInventory(const v1::Inventory& received, v1::Inventory* have);

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_INVENTORY_H_
