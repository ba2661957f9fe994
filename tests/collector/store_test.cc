#include "collector/store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"

namespace kerbside::collector {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kerbside-store-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "collector.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string path_;
};

HostRecord Ex01(absl::Time t) {
  HostRecord h;
  h.identity.set_netbios_name("EX01");
  h.identity.set_fqdn("ex01.contoso.com");
  h.identity.set_role(v1::ROLE_EXCHANGE);
  h.identity.set_site("HQ");
  h.identity.add_ips("10.1.1.11");
  h.first_seen = t;
  h.last_seen = t;
  h.peer_address = "ipv4:10.1.1.11:50000";
  h.certificate_subject = "/O=kerbside/OU=kerbside-host/CN=ex01.contoso.com";
  return h;
}

TEST_F(StoreTest, HostsAndClockSurviveReopen) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  {
    auto store = Store::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->UpsertHost(Ex01(t0)).ok());
    ClockEstimateValue e{absl::Seconds(420), absl::Microseconds(150), absl::Microseconds(300),
                         t0 + absl::Seconds(1), 4};
    ASSERT_TRUE((*store)->SaveClockEstimate("EX01", e).ok());
    ASSERT_TRUE((*store)->TouchHost("EX01", t0 + absl::Minutes(5)).ok());
    // A second connection later keeps first_seen.
    HostRecord again = Ex01(t0 + absl::Hours(1));
    ASSERT_TRUE((*store)->UpsertHost(again).ok());
  }
  auto store = Store::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  auto hosts = (*store)->LoadHosts();
  ASSERT_TRUE(hosts.ok()) << hosts.status();
  ASSERT_EQ(hosts->size(), 1u);
  const HostRecord& h = hosts->front();
  EXPECT_EQ(h.identity.fqdn(), "ex01.contoso.com");
  EXPECT_EQ(h.first_seen, t0);
  EXPECT_EQ(h.last_seen, t0 + absl::Hours(1));
  ASSERT_TRUE(h.clock.has_value());
  EXPECT_EQ(h.clock->offset, absl::Seconds(420));
  EXPECT_EQ(h.clock->uncertainty, absl::Microseconds(150));
  EXPECT_EQ(h.clock->window_samples, 4);
}

TEST_F(StoreTest, FreshStoreIsAtLatestSchemaInWalMode) {
  auto store = Store::Open(path_);
  ASSERT_TRUE(store.ok());
  auto v = (*store)->SchemaVersion();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, Store::LatestSchemaVersion());
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));
}

TEST_F(StoreTest, MigratesAVersionOneFileAndKeepsItsRows) {
  // A store written by schema 1 (hosts and clocks only), made by hand as an old build would.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  v1::HostIdentity id;
  id.set_netbios_name("DC01");
  id.set_fqdn("dc01.contoso.com");
  const std::string blob = id.SerializeAsString();
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE hosts (name TEXT PRIMARY KEY, fqdn TEXT NOT NULL, identity "
                         "BLOB NOT NULL, first_seen_unix_ns INTEGER NOT NULL, last_seen_unix_ns "
                         "INTEGER NOT NULL, peer_address TEXT NOT NULL DEFAULT '', "
                         "certificate_subject TEXT NOT NULL DEFAULT '');"
                         "CREATE TABLE clock_estimates (name TEXT PRIMARY KEY, offset_ns INTEGER "
                         "NOT NULL, uncertainty_ns INTEGER NOT NULL, delay_ns INTEGER NOT NULL, "
                         "measured_at_unix_ns INTEGER NOT NULL, window_samples INTEGER NOT NULL);"
                         "PRAGMA user_version = 1;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "INSERT INTO hosts VALUES ('DC01', 'dc01.contoso.com', ?1, 1, "
                               "2, '', '')",
                               -1, &st, nullptr),
            SQLITE_OK);
  sqlite3_bind_blob(st, 1, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
  ASSERT_EQ(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  sqlite3_close(db);

  auto store = Store::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(*(*store)->SchemaVersion(), Store::LatestSchemaVersion());
  auto hosts = (*store)->LoadHosts();
  ASSERT_TRUE(hosts.ok());
  ASSERT_EQ(hosts->size(), 1u);
  EXPECT_EQ(hosts->front().identity.fqdn(), "dc01.contoso.com");
  EXPECT_FALSE(hosts->front().clock.has_value());
  // The tables added by later migrations are usable.
  v1::Evidence e;
  e.set_host("DC01");
  e.mutable_w32tm_status()->set_source("Local CMOS Clock");
  v1::SourceHealth ok;
  ok.set_state(v1::SourceHealth::OK);
  EXPECT_TRUE(
      (*store)->ReplaceSourceEvidence("DC01", "host_folder", ok, absl::UnixEpoch(), {e, e}).ok());
  EXPECT_EQ(*(*store)->CountEvidence("DC01"), 2);
  // A new snapshot replaces the old one.
  EXPECT_TRUE(
      (*store)->ReplaceSourceEvidence("DC01", "host_folder", ok, absl::UnixEpoch(), {e}).ok());
  auto loaded = (*store)->LoadEvidence("DC01");
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ(loaded->front().w32tm_status().source(), "Local CMOS Clock");
  auto health = (*store)->LoadSourceHealth();
  ASSERT_TRUE(health.ok());
  ASSERT_EQ(health->size(), 1u);
  EXPECT_EQ(health->front().state, "OK");
}

TEST_F(StoreTest, RefusesAStoreFromANewerBuild) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 999;", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = Store::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("999"), std::string::npos);
}

TEST_F(StoreTest, OpenErrorNamesThePath) {
  auto store = Store::Open("/nonexistent-dir/collector.db");
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("/nonexistent-dir/collector.db"), std::string::npos);
}

}  // namespace
}  // namespace kerbside::collector
