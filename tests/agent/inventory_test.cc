#include "agent/inventory.h"

#include "gtest/gtest.h"

namespace kerbside::agent {
namespace {

v1::HostIdentity Host(const std::string& name, const std::string& site) {
  v1::HostIdentity h;
  h.set_netbios_name(name);
  h.set_site(site);
  return h;
}

v1::Inventory Full(uint64_t version, std::vector<v1::HostIdentity> hosts) {
  v1::Inventory inv;
  inv.set_version(version);
  inv.set_full(true);
  for (auto& h : hosts) *inv.add_hosts() = std::move(h);
  return inv;
}

v1::Inventory Delta(uint64_t base, uint64_t version, std::vector<v1::HostIdentity> hosts) {
  v1::Inventory inv = Full(version, std::move(hosts));
  inv.set_full(false);
  inv.set_base_version(base);
  return inv;
}

TEST(ApplyInventoryTest, AWholeListReplaces) {
  v1::Inventory have = Full(3, {Host("EX01", "HQ")});
  EXPECT_EQ(ApplyInventory(Full(7, {Host("EX02", "HQ")}), &have), InventoryApplied::kReplaced);
  ASSERT_EQ(have.hosts_size(), 1);
  EXPECT_EQ(have.hosts(0).netbios_name(), "EX02");
  EXPECT_EQ(have.version(), 7u);
}

TEST(ApplyInventoryTest, AnUnversionedListFromAnOlderCollectorReplaces) {
  v1::Inventory have = Full(3, {Host("EX01", "HQ")});
  v1::Inventory old;
  *old.add_hosts() = Host("EX09", "HQ");
  EXPECT_EQ(ApplyInventory(old, &have), InventoryApplied::kReplaced);
  ASSERT_EQ(have.hosts_size(), 1);
  EXPECT_EQ(have.hosts(0).netbios_name(), "EX09");
}

TEST(ApplyInventoryTest, ADeltaOnOurVersionUpdatesAndAdds) {
  v1::Inventory have = Full(3, {Host("EX01", "HQ"), Host("EX02", "HQ")});
  EXPECT_EQ(ApplyInventory(Delta(3, 5, {Host("EX03", "HQ"), Host("ex02", "BRANCH")}), &have),
            InventoryApplied::kMerged);
  ASSERT_EQ(have.hosts_size(), 3);
  EXPECT_EQ(have.hosts(1).site(), "BRANCH");        // EX02 changed in place, case-insensitively
  EXPECT_EQ(have.hosts(2).netbios_name(), "EX03");  // added, in name order
  EXPECT_EQ(have.version(), 5u);
}

TEST(ApplyInventoryTest, ADeltaFromAnotherVersionIsAGapAndChangesNothing) {
  v1::Inventory have = Full(3, {Host("EX01", "HQ")});
  const v1::Inventory before = have;
  EXPECT_EQ(ApplyInventory(Delta(4, 6, {Host("EX05", "HQ")}), &have), InventoryApplied::kGap);
  EXPECT_EQ(have.SerializeAsString(), before.SerializeAsString());
}

TEST(ApplyInventoryTest, ADeltaPastTheBoundIsRefusedWholeAndChangesNothing) {
  v1::Inventory have = Full(3, {});
  for (int i = 0; i < kMaxInventoryHosts - 1; ++i)
    *have.add_hosts() = Host("H" + std::to_string(i), "HQ");
  const std::string before = have.SerializeAsString();
  EXPECT_EQ(ApplyInventory(Delta(3, 4, {Host("NEW1", "HQ"), Host("NEW2", "HQ")}), &have),
            InventoryApplied::kGap);
  EXPECT_EQ(have.SerializeAsString(), before);
  EXPECT_EQ(ApplyInventory(Delta(3, 4, {Host("NEW1", "HQ")}), &have), InventoryApplied::kMerged);
  EXPECT_EQ(have.hosts_size(), kMaxInventoryHosts);
}

}  // namespace
}  // namespace kerbside::agent
