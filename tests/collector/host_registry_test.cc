#include "collector/host_registry.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/ascii.h"
#include "collector/store/sqlite_store.h"
#include "common/proto_time.h"
#include "gtest/gtest.h"

namespace kerbside::collector {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

v1::HostIdentity Identity(const std::string& name, v1::Role role, bool pdc = false) {
  v1::HostIdentity id;
  id.set_netbios_name(name);
  id.set_fqdn(absl::AsciiStrToLower(name) + ".contoso.com");
  id.set_role(role);
  id.set_pdc_emulator(pdc);
  return id;
}

class HostRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("kerbside-fleet-test-" + std::to_string(getpid()) + ".db"))
                .string();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
    auto s = SqliteStore::Open(path_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  const v1::HostStatus* Find(const v1::ListHostsResponse& r, const std::string& name) {
    for (const auto& h : r.hosts()) {
      if (h.identity().netbios_name() == name) return &h;
    }
    return nullptr;
  }

  std::string path_;
  std::unique_ptr<SqliteStore> store_;
  ManualClock clock_{kT0};
};

TEST_F(HostRegistryTest, OffsetsRelativeToThePdcEmulator) {
  HostRegistry fleet(store_.get(), &clock_, {});
  fleet.Connected(Identity("DC01", v1::ROLE_DC, /*pdc=*/true), "ipv4:127.0.0.1:1", "");
  fleet.Connected(Identity("EX02", v1::ROLE_EXCHANGE), "ipv4:127.0.0.1:2", "");
  ASSERT_TRUE(fleet.AddClockSample("DC01", {absl::Seconds(3), absl::Milliseconds(2), kT0}).ok());
  ASSERT_TRUE(fleet.AddClockSample("ex02", {absl::Seconds(435), absl::Milliseconds(4), kT0}).ok());
  v1::ListHostsResponse r = fleet.ListHosts();
  EXPECT_EQ(r.reference_host(), "DC01");
  EXPECT_EQ(r.reference_reason(),
            "PDC emulator by its own configuration (no DC has reported fSMORoleOwner yet)");
  const v1::HostStatus* ex02 = Find(r, "EX02");
  ASSERT_NE(ex02, nullptr);
  EXPECT_TRUE(ex02->connected());
  EXPECT_EQ(FromProto(ex02->clock_vs_collector().offset()), absl::Seconds(435));
  EXPECT_EQ(FromProto(ex02->clock_vs_reference().offset()), absl::Seconds(432));
  EXPECT_EQ(FromProto(ex02->clock_vs_reference().uncertainty()), absl::Milliseconds(3));
}

TEST_F(HostRegistryTest, NoReferenceWithoutPdcOrConfiguration) {
  HostRegistry fleet(store_.get(), &clock_, {});
  fleet.Connected(Identity("EX01", v1::ROLE_EXCHANGE), "p", "");
  ASSERT_TRUE(fleet.AddClockSample("EX01", {absl::Seconds(1), absl::Milliseconds(1), kT0}).ok());
  v1::ListHostsResponse r = fleet.ListHosts();
  EXPECT_EQ(r.reference_host(), "");
  EXPECT_TRUE(Find(r, "EX01")->has_clock_vs_collector());
  EXPECT_FALSE(Find(r, "EX01")->has_clock_vs_reference());
}

// Issue 12: two PDC claims are a conflict the reference reason says, not a silent pick.
TEST_F(HostRegistryTest, TwoPdcClaimsAreSaid) {
  HostRegistry fleet(store_.get(), &clock_, {});
  fleet.Connected(Identity("DC02", v1::ROLE_DC, /*pdc=*/true), "p", "");
  fleet.Connected(Identity("DC01", v1::ROLE_DC, /*pdc=*/true), "q", "");
  v1::ListHostsResponse r = fleet.ListHosts();
  EXPECT_EQ(r.reference_host(), "DC01");
  EXPECT_NE(r.reference_reason().find("PDC emulator claimed by 2 DCs (DC01, DC02)"),
            std::string::npos)
      << r.reference_reason();
}

v1::DomainRoles Roles(const std::string& pdc, bool deleted = false) {
  v1::DomainRoles r;
  r.set_domain_dn("DC=lab,DC=test");
  r.set_pdc_emulator(pdc);
  r.set_pdc_emulator_deleted(deleted);
  return r;
}

// Issue 12 item 1: the directory names the PDC emulator; a DC's own claim that contradicts it is
// not believed, and said.
TEST_F(HostRegistryTest, TheDirectoryNamesThePdcEmulatorNotAClaim) {
  HostRegistry fleet(store_.get(), &clock_, {});
  fleet.Connected(Identity("DC01", v1::ROLE_DC), "p", "");
  fleet.Connected(Identity("DC02", v1::ROLE_DC, /*pdc=*/true), "q", "");
  EXPECT_EQ(fleet.ListHosts().reference_host(), "DC02");  // only the claim is known yet
  fleet.NoteDomainRoles("dc01", Roles("dc01"));
  v1::ListHostsResponse r = fleet.ListHosts();
  EXPECT_EQ(r.reference_host(), "DC01");
  EXPECT_EQ(r.reference_reason(),
            "PDC emulator per the directory (fSMORoleOwner read by DC01); not believed: DC02 "
            "claims the role by configuration, the directory names DC01");
}

// Only a DC speaks for the directory: an Exchange server's report is ignored.
TEST_F(HostRegistryTest, ADirectoryReportFromANonDcIsIgnored) {
  HostRegistry fleet(store_.get(), &clock_, {});
  fleet.Connected(Identity("DC01", v1::ROLE_DC, /*pdc=*/true), "p", "");
  fleet.Connected(Identity("EX03", v1::ROLE_EXCHANGE), "q", "");
  fleet.NoteDomainRoles("EX03", Roles("EX03"));
  EXPECT_EQ(fleet.ListHosts().reference_host(), "DC01");
}

TEST_F(HostRegistryTest, DcsThatDisagreeAreSaid) {
  HostRegistry fleet(store_.get(), &clock_, {});
  for (const char* dc : {"DC01", "DC02", "DC03"}) {
    fleet.Connected(Identity(dc, v1::ROLE_DC), dc, "");
  }
  fleet.NoteDomainRoles("DC01", Roles("DC01"));
  fleet.NoteDomainRoles("DC02", Roles("DC01"));
  fleet.NoteDomainRoles("DC03", Roles("DC03"));  // a transfer not replicated to the others yet
  v1::ListHostsResponse r = fleet.ListHosts();
  EXPECT_EQ(r.reference_host(), "DC01");
  EXPECT_EQ(r.reference_reason(),
            "the DCs disagree on the PDC emulator (DC01, DC02 read DC01; DC03 read DC03): a role "
            "transfer not replicated yet, or a replication failure; DC01 is used while they "
            "disagree");
}

TEST_F(HostRegistryTest, ADeletedRoleOwnerGivesNoReference) {
  HostRegistry fleet(store_.get(), &clock_, {});
  fleet.Connected(Identity("DC01", v1::ROLE_DC), "p", "");
  fleet.NoteDomainRoles("DC01", Roles("DC09", /*deleted=*/true));
  v1::ListHostsResponse r = fleet.ListHosts();
  EXPECT_EQ(r.reference_host(), "");
  EXPECT_NE(r.reference_reason().find("the role must be seized"), std::string::npos)
      << r.reference_reason();
}

TEST_F(HostRegistryTest, ConfiguredReferenceWins) {
  HostRegistry fleet(store_.get(), &clock_, {.reference_host = "dc02"});
  fleet.Connected(Identity("DC01", v1::ROLE_DC, true), "p", "");
  EXPECT_EQ(fleet.ListHosts().reference_host(), "DC02");
  EXPECT_EQ(fleet.ListHosts().reference_reason(), "configured");
}

TEST_F(HostRegistryTest, NewerConnectionSupersedesOlder) {
  HostRegistry fleet(store_.get(), &clock_, {});
  const uint64_t first = fleet.Connected(Identity("EX01", v1::ROLE_EXCHANGE), "p1", "");
  const uint64_t second = fleet.Connected(Identity("EX01", v1::ROLE_EXCHANGE), "p2", "");
  EXPECT_FALSE(fleet.IsCurrent("EX01", first));
  EXPECT_TRUE(fleet.IsCurrent("EX01", second));
  fleet.Disconnected("EX01", first);  // the old stream ending must not mark the host offline
  EXPECT_TRUE(Find(fleet.ListHosts(), "EX01")->connected());
  fleet.Disconnected("EX01", second);
  EXPECT_FALSE(Find(fleet.ListHosts(), "EX01")->connected());
}

TEST_F(HostRegistryTest, InventoryVersionChangesWhenAHostJoinsOrChanges) {
  HostRegistry fleet(store_.get(), &clock_, {});
  const uint64_t empty = fleet.InventoryVersion();
  fleet.Connected(Identity("DC01", v1::ROLE_DC, true), "p", "");
  const uint64_t one = fleet.InventoryVersion();
  EXPECT_NE(one, empty);
  fleet.Connected(Identity("DC01", v1::ROLE_DC, true), "p2", "");  // reconnect, same identity
  EXPECT_EQ(fleet.InventoryVersion(), one);
  fleet.Connected(Identity("EX01", v1::ROLE_EXCHANGE), "p", "");
  uint64_t seen = 0;
  const v1::Inventory inv = fleet.Inventory(&seen);
  EXPECT_NE(seen, one);
  EXPECT_EQ(seen, fleet.InventoryVersion());
  EXPECT_EQ(inv.hosts_size(), 2);
  v1::HostIdentity moved = Identity("EX01", v1::ROLE_EXCHANGE);
  moved.set_site("Branch");
  fleet.Connected(moved, "p", "");
  EXPECT_NE(fleet.InventoryVersion(), seen);
}

// One message for every stream that sends the whole inventory: rebuilt when the fleet changed,
// except while hosts join in a rush to a large fleet, when it may stay up to a second and
// hosts/64 changes behind (its version says which; the agent's next delta starts there).
TEST_F(HostRegistryTest, TheWholeInventoryIsOneSharedMessageUntilTheFleetChanges) {
  HostRegistry fleet(store_.get(), &clock_, {});
  fleet.Connected(Identity("DC01", v1::ROLE_DC, true), "p", "");
  const HostRegistry::SharedInventory first = fleet.FullInventory();
  ASSERT_NE(first.message, nullptr);
  EXPECT_EQ(fleet.FullInventory().message, first.message);  // unchanged: the same message
  EXPECT_EQ(first.version, fleet.InventoryVersion());
  EXPECT_EQ(first.message->inventory().version(), first.version);
  EXPECT_TRUE(first.message->inventory().full());
  EXPECT_EQ(first.hosts, 1);
  EXPECT_EQ(first.bytes, static_cast<int64_t>(first.message->ByteSizeLong()));
  // Below 64 hosts every change rebuilds it, at once.
  fleet.Connected(Identity("EX01", v1::ROLE_EXCHANGE), "p", "");
  const HostRegistry::SharedInventory second = fleet.FullInventory();
  EXPECT_NE(second.message, first.message);
  EXPECT_EQ(second.hosts, 2);
  EXPECT_EQ(second.version, fleet.InventoryVersion());
  EXPECT_EQ(first.message->inventory().hosts_size(), 1);  // what a stream still sends is intact

  // 128 hosts: up to 2 changes behind, for up to a second.
  for (int i = 0; i < 126; ++i) {
    fleet.Connected(Identity("EX1" + std::to_string(100 + i), v1::ROLE_EXCHANGE), "p", "");
  }
  const HostRegistry::SharedInventory big = fleet.FullInventory();
  EXPECT_EQ(big.hosts, 128);
  fleet.Connected(Identity("EX9001", v1::ROLE_EXCHANGE), "p", "");
  fleet.Connected(Identity("EX9002", v1::ROLE_EXCHANGE), "p", "");
  const HostRegistry::SharedInventory behind = fleet.FullInventory();
  EXPECT_EQ(behind.message, big.message);
  EXPECT_EQ(behind.version, fleet.InventoryVersion() - 2);
  std::optional<v1::Inventory> catch_up = fleet.InventoryDelta(behind.version);
  ASSERT_TRUE(catch_up.has_value());
  EXPECT_EQ(catch_up->hosts_size(), 2);
  fleet.Connected(Identity("EX9003", v1::ROLE_EXCHANGE), "p", "");  // 3 behind: rebuilt
  EXPECT_EQ(fleet.FullInventory().hosts, 131);
  fleet.Connected(Identity("EX9004", v1::ROLE_EXCHANGE), "p", "");
  EXPECT_EQ(fleet.FullInventory().hosts, 131);  // 1 behind, same instant
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(fleet.FullInventory().hosts, 132);  // a second later: rebuilt
}

TEST_F(HostRegistryTest, InventoryDeltaHoldsTheHostsChangedSinceAVersion) {
  HostRegistry fleet(store_.get(), &clock_, {});
  fleet.Connected(Identity("DC01", v1::ROLE_DC, true), "p", "");
  fleet.Connected(Identity("EX01", v1::ROLE_EXCHANGE), "p", "");
  uint64_t base = 0;
  const v1::Inventory whole = fleet.Inventory(&base);
  EXPECT_TRUE(whole.full());
  EXPECT_EQ(whole.version(), base);
  fleet.Connected(Identity("EX02", v1::ROLE_EXCHANGE), "p", "");
  v1::HostIdentity moved = Identity("EX01", v1::ROLE_EXCHANGE);
  moved.set_site("Branch");
  fleet.Connected(moved, "p", "");
  fleet.Connected(moved, "p2", "");  // unchanged: no entry
  std::optional<v1::Inventory> delta = fleet.InventoryDelta(base);
  ASSERT_TRUE(delta.has_value());
  EXPECT_FALSE(delta->full());
  EXPECT_EQ(delta->base_version(), base);
  EXPECT_EQ(delta->version(), fleet.InventoryVersion());
  ASSERT_EQ(delta->hosts_size(), 2);  // newest first, each once
  EXPECT_EQ(delta->hosts(0).netbios_name(), "EX01");
  EXPECT_EQ(delta->hosts(0).site(), "Branch");
  EXPECT_EQ(delta->hosts(1).netbios_name(), "EX02");
  EXPECT_EQ(fleet.InventoryDelta(fleet.InventoryVersion())->hosts_size(), 0);
  // A version this registry never gave out: no delta, the whole list instead.
  EXPECT_FALSE(fleet.InventoryDelta(fleet.InventoryVersion() + 5).has_value());
}

TEST_F(HostRegistryTest, RestartKeepsHostsAsDisconnectedWithLastEstimate) {
  {
    HostRegistry fleet(store_.get(), &clock_, {});
    fleet.Connected(Identity("EX02", v1::ROLE_EXCHANGE), "p", "subject");
    ASSERT_TRUE(
        fleet.AddClockSample("EX02", {absl::Seconds(420), absl::Milliseconds(1), kT0}).ok());
  }
  clock_.Advance(absl::Hours(1));
  HostRegistry restarted(store_.get(), &clock_, {});
  ASSERT_TRUE(restarted.LoadFromStore().ok());
  v1::ListHostsResponse r = restarted.ListHosts();
  const v1::HostStatus* ex02 = Find(r, "EX02");
  ASSERT_NE(ex02, nullptr);
  EXPECT_FALSE(ex02->connected());
  EXPECT_EQ(ex02->certificate_subject(), "subject");
  EXPECT_EQ(FromProto(ex02->clock_vs_collector().offset()), absl::Seconds(420));
  EXPECT_EQ(FromProto(ex02->clock_vs_collector().measured_at()), kT0);
}

TEST_F(HostRegistryTest, ClockSampleForUnknownHostIsRefused) {
  HostRegistry fleet(store_.get(), &clock_, {});
  EXPECT_EQ(fleet.AddClockSample("GHOST", {absl::Seconds(1), absl::Milliseconds(1), kT0}).code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace kerbside::collector
