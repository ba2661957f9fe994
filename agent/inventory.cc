#include "agent/inventory.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"

namespace kerbside::agent {

InventoryApplied ApplyInventory(const v1::Inventory& received, v1::Inventory* have) {
  if (received.full() || received.version() == 0) {
    *have = received;
    have->set_full(true);
    return InventoryApplied::kReplaced;
  }
  if (received.base_version() != have->version()) return InventoryApplied::kGap;
  absl::flat_hash_map<std::string, int> index;
  for (int i = 0; i < have->hosts_size(); ++i) {
    index[absl::AsciiStrToUpper(have->hosts(i).netbios_name())] = i;
  }
  // The bound is checked before anything changes: a refused delta leaves `have` as it was.
  absl::flat_hash_map<std::string, int> added;
  for (const v1::HostIdentity& h : received.hosts()) {
    const std::string key = absl::AsciiStrToUpper(h.netbios_name());
    if (!index.contains(key)) added.emplace(key, 0);
  }
  if (have->hosts_size() + static_cast<int64_t>(added.size()) > kMaxInventoryHosts) {
    return InventoryApplied::kGap;
  }
  for (const v1::HostIdentity& h : received.hosts()) {
    const std::string key = absl::AsciiStrToUpper(h.netbios_name());
    auto it = index.find(key);
    if (it != index.end()) {
      *have->mutable_hosts(it->second) = h;
      continue;
    }
    index[key] = have->hosts_size();
    *have->add_hosts() = h;
  }
  // In name order, as the collector sends a whole list: a merged copy reads like a fresh one.
  std::sort(have->mutable_hosts()->begin(), have->mutable_hosts()->end(),
            [](const v1::HostIdentity& a, const v1::HostIdentity& b) {
              return absl::AsciiStrToUpper(a.netbios_name()) <
                     absl::AsciiStrToUpper(b.netbios_name());
            });
  have->set_version(received.version());
  return InventoryApplied::kMerged;
}

}  // namespace kerbside::agent
