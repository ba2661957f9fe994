#include "collector/store/sqlite_store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/proto_time.h"
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

// Issue 12: two collectors on one database split the agents; the database was created 0644.
TEST_F(StoreTest, OneCollectorPerDatabaseAndOnlyItsOwnerReadsIt) {
  auto first = SqliteStore::Open(path_);
  ASSERT_TRUE(first.ok()) << first.status();
  const auto mode = std::filesystem::status(path_).permissions();
  EXPECT_EQ(mode & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto second = SqliteStore::Open(path_);
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(second.status()));
  EXPECT_NE(
      second.status().message().find(absl::StrCat("in use by another collector (pid ", getpid())),
      std::string::npos)
      << second.status();
  first->reset();  // the first collector stops: the database is free again
  EXPECT_TRUE(SqliteStore::Open(path_).ok());
}

TEST_F(StoreTest, HostsAndClockSurviveReopen) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  {
    auto store = SqliteStore::Open(path_);
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
  auto store = SqliteStore::Open(path_);
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
  auto store = SqliteStore::Open(path_);
  ASSERT_TRUE(store.ok());
  auto v = (*store)->SchemaVersion();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, SqliteStore::LatestSchemaVersion());
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

  auto store = SqliteStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(*(*store)->SchemaVersion(), SqliteStore::LatestSchemaVersion());
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
  EXPECT_TRUE((*store)
                  ->ReplaceSourceEvidence("DC01", "host_folder", ok, absl::UnixEpoch(), {e, e}, {})
                  .ok());
  EXPECT_EQ(*(*store)->CountEvidence("DC01"), 2);
  // A new snapshot replaces the old one.
  EXPECT_TRUE(
      (*store)->ReplaceSourceEvidence("DC01", "host_folder", ok, absl::UnixEpoch(), {e}, {}).ok());
  auto loaded = (*store)->LoadEvidence("DC01");
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ(loaded->front().w32tm_status().source(), "Local CMOS Clock");
  auto health = (*store)->LoadSourceHealth();
  ASSERT_TRUE(health.ok());
  ASSERT_EQ(health->size(), 1u);
  EXPECT_EQ(health->front().state, "OK");
}

// The window of recent events. "Now" is kNow on the collector's clock.
const absl::Time kNow = absl::FromUnixSeconds(1800000000);

v1::EventRecord Ev1035(absl::Time at, const std::string& ip, uint64_t record) {
  v1::EventRecord r;
  r.set_provider("MSExchangeFrontEndTransport");
  r.set_event_id(1035);
  r.set_channel("Application");
  r.set_record_id(record);
  *r.mutable_time_created() = ToProto(at);
  (*r.mutable_facts())["connector"] = "Default Frontend EX02";
  (*r.mutable_facts())["source_ip"] = ip;
  r.add_fields()->set_value(ip);
  return r;
}

// What the host-folder source sends for one events file: `n` 1035s from `ip`, one a minute,
// the last at `last`, record ids from `first_record` up, as records (the store aggregates them)
// in one item.
v1::Evidence EventsFile(const std::string& ip, int n, absl::Time last, uint64_t first_record = 1) {
  v1::Evidence e;
  e.set_host("EX02");
  e.set_source("host_folder");
  e.set_origin("hosts/EX02/events-frontend.xml");
  *e.mutable_observed_host_time() = ToProto(last);
  for (int i = 0; i < n; ++i) {
    *e.mutable_events()->add_events() =
        Ev1035(last - absl::Minutes(n - 1 - i), ip, first_record + static_cast<uint64_t>(i));
  }
  return e;
}

v1::Evidence Queues() {
  v1::Evidence e;
  e.set_host("EX02");
  e.set_source("host_folder");
  e.mutable_queues()->add_queues()->set_identity("EX02\\1");
  return e;
}

class EventWindowTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto s = SqliteStore::Open(path_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    ok_.set_state(v1::SourceHealth::OK);
  }
  absl::Status Send(std::vector<v1::Evidence> items, absl::Time received,
                    absl::Duration host_offset = absl::ZeroDuration()) {
    return store_->ReplaceSourceEvidence(
        "EX02", "host_folder", ok_, received, items,
        {.since = received - absl::Hours(24), .host_offset = host_offset});
  }
  std::vector<v1::Evidence> Window(absl::Time now) {
    auto w = store_->LoadEventWindow("EX02", now - absl::Hours(24));
    EXPECT_TRUE(w.ok()) << w.status();
    return w.ok() ? *w : std::vector<v1::Evidence>{};
  }

  std::unique_ptr<SqliteStore> store_;
  v1::SourceHealth ok_;
};

TEST_F(EventWindowTest, EventsOutliveTheSnapshotThatCarriedThem) {
  ASSERT_TRUE(Send({Queues(), EventsFile("10.1.1.11", 100, kNow - absl::Hours(2))}, kNow).ok());
  // The log was exported again after it rotated: only newer events from another sender.
  ASSERT_TRUE(
      Send({Queues(), EventsFile("10.1.1.13", 5, kNow, 101)}, kNow + absl::Minutes(5)).ok());
  // The snapshot holds only the latest batch's non-event items...
  auto snapshot = store_->LoadEvidence("EX02");
  ASSERT_TRUE(snapshot.ok());
  ASSERT_EQ(snapshot->size(), 1u);
  EXPECT_TRUE(snapshot->front().has_queues());
  // ...and the window both senders' events, with the host's times and the receive times.
  const auto w = Window(kNow + absl::Minutes(5));
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].event_aggregate().key_facts().at("source_ip"), "10.1.1.11");
  EXPECT_EQ(w[0].event_aggregate().count(), 100);
  EXPECT_EQ(FromProto(w[0].event_aggregate().last_seen()), kNow - absl::Hours(2));
  EXPECT_EQ(FromProto(w[0].received_at()), kNow);
  EXPECT_EQ(w[0].origin(), "hosts/EX02/events-frontend.xml");
  EXPECT_EQ(w[1].event_aggregate().key_facts().at("source_ip"), "10.1.1.13");
  EXPECT_EQ(FromProto(w[1].received_at()), kNow + absl::Minutes(5));
}

TEST_F(EventWindowTest, TheSameFileResentIsCountedOnce) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Send({EventsFile("10.1.1.11", 100, kNow)}, kNow + absl::Minutes(i)).ok());
  }
  const auto w = Window(kNow + absl::Minutes(2));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].event_aggregate().count(), 100);
  EXPECT_FALSE(w[0].event_aggregate().count_is_lower_bound());
  EXPECT_EQ(*store_->CountEventWindow("EX02"), 1);
  // Re-reads only touch the row: its receive time is the last batch's.
  EXPECT_EQ(FromProto(w[0].received_at()), kNow + absl::Minutes(2));
}

TEST_F(EventWindowTest, EachCountReadsItsOwnTable) {
  // Two snapshot items and three event keys. The counts' SQL is built at run time, and a
  // statement cache keyed by SQL addresses must not serve one table's count for the other.
  ASSERT_TRUE(Send({Queues(), Queues(), EventsFile("10.1.1.11", 1, kNow),
                    EventsFile("10.1.1.12", 1, kNow), EventsFile("10.1.1.13", 1, kNow)},
                   kNow)
                  .ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(*store_->CountEvidence("EX02"), 2);
    EXPECT_EQ(*store_->CountEventWindow("EX02"), 3);
  }
}

TEST_F(EventWindowTest, OldOccurrencesAreOutsideTheWindow) {
  // Last seen 25 h ago: never enters. Last seen 23 h ago: enters, and leaves 1 h later.
  ASSERT_TRUE(Send({EventsFile("10.1.1.11", 3, kNow - absl::Hours(25)),
                    EventsFile("10.1.1.13", 3, kNow - absl::Hours(23))},
                   kNow)
                  .ok());
  auto w = Window(kNow);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].event_aggregate().key_facts().at("source_ip"), "10.1.1.13");
  // Read 90 minutes later, before any new batch: already outside.
  EXPECT_TRUE(Window(kNow + absl::Minutes(90)).empty());
  // And the next batch prunes it from the file.
  ASSERT_TRUE(Send({}, kNow + absl::Minutes(90)).ok());
  EXPECT_EQ(*store_->CountEventWindow("EX02"), 0);
}

TEST_F(EventWindowTest, HostTimesArePlacedOnTheCollectorClock) {
  // The host is 2 h ahead: its "23 h ago" is 25 h ago on the collector's clock.
  ASSERT_TRUE(
      Send({EventsFile("10.1.1.11", 3, kNow - absl::Hours(23))}, kNow, absl::Hours(2)).ok());
  EXPECT_TRUE(Window(kNow).empty());
  // 2 h behind: its "25 h ago" is 23 h ago.
  ASSERT_TRUE(
      Send({EventsFile("10.1.1.11", 3, kNow - absl::Hours(25))}, kNow, -absl::Hours(2)).ok());
  EXPECT_EQ(Window(kNow).size(), 1u);
}

TEST_F(EventWindowTest, SurvivesARestart) {
  ASSERT_TRUE(Send({EventsFile("10.1.1.11", 10, kNow)}, kNow).ok());
  store_.reset();
  auto reopened = SqliteStore::Open(path_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  store_ = std::move(*reopened);
  const auto w = Window(kNow);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].event_aggregate().count(), 10);
  // And the window continues where it stopped: the rotated export adds up, and it growing too.
  ASSERT_TRUE(
      Send({EventsFile("10.1.1.11", 5, kNow + absl::Hours(1), 11)}, kNow + absl::Hours(1)).ok());
  EXPECT_EQ(Window(kNow + absl::Hours(1))[0].event_aggregate().count(), 15);
  // Grown: the same five (same ids, same times) and three more a minute apart.
  ASSERT_TRUE(Send({EventsFile("10.1.1.11", 8, kNow + absl::Hours(1) + absl::Minutes(3), 11)},
                   kNow + absl::Hours(2))
                  .ok());
  EXPECT_EQ(Window(kNow + absl::Hours(2))[0].event_aggregate().count(), 18);
}

TEST_F(EventWindowTest, ALogAndItsRotatedCopyAreCountedOnce) {
  // events-frontend.1.xml (the rotated copy, records 1-10) beside events-frontend.xml (11-14),
  // both read in every batch: one key, 14 occurrences, however many batches.
  v1::Evidence copy = EventsFile("10.1.1.11", 10, kNow - absl::Hours(1), 1);
  copy.set_origin("hosts/EX02/events-frontend.1.xml");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Send({copy, EventsFile("10.1.1.11", 4, kNow, 11)}, kNow + absl::Minutes(i)).ok());
  }
  auto w = Window(kNow + absl::Minutes(2));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].event_aggregate().count(), 14);
  EXPECT_FALSE(w[0].event_aggregate().count_is_lower_bound());
  EXPECT_EQ(w[0].origin(), "hosts/EX02/events-frontend.xml");  // the newest file names it
  // The copy is deleted: nothing is lost.
  ASSERT_TRUE(Send({EventsFile("10.1.1.11", 4, kNow, 11)}, kNow + absl::Minutes(3)).ok());
  EXPECT_EQ(Window(kNow + absl::Minutes(3))[0].event_aggregate().count(), 14);
}

TEST_F(EventWindowTest, WindowIsPerHostAndChannel) {
  v1::Evidence other = EventsFile("10.1.1.11", 4, kNow);
  for (auto& r : *other.mutable_events()->mutable_events()) r.set_channel("System");
  ASSERT_TRUE(Send({EventsFile("10.1.1.11", 10, kNow), other}, kNow).ok());
  ASSERT_EQ(Window(kNow).size(), 2u);
  auto all = store_->LoadEventWindow("", kNow - absl::Hours(24));
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  auto none = store_->LoadEventWindow("EX01", kNow - absl::Hours(24));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(StoreTest, UpgradeToTheEventWindowKeepsTheSnapshotsEvents) {
  // A schema-4 store whose host_folder snapshot still holds events: made by opening a current
  // store, putting an events item where schema 4 kept it, and winding the version back.
  {
    auto store = SqliteStore::Open(path_);
    ASSERT_TRUE(store.ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  // A log (records 6-7) and its rotated copy (1-5), two items of one snapshot.
  v1::Evidence copy = EventsFile("10.1.1.11", 5, kNow - absl::Minutes(10), 1);
  copy.set_origin("hosts/EX02/events-frontend.1.xml");
  const std::string blobs[2] = {copy.SerializeAsString(),
                                EventsFile("10.1.1.11", 2, kNow, 6).SerializeAsString()};
  ASSERT_EQ(sqlite3_exec(db, "DROP TABLE event_window; PRAGMA user_version = 4;", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  for (int item = 0; item < 2; ++item) {
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "INSERT INTO evidence VALUES ('EX02', 'host_folder', ?2, "
                                 "'events', 'frontend', 1800000000000000000, ?1)",
                                 -1, &st, nullptr),
              SQLITE_OK);
    sqlite3_bind_blob(st, 1, blobs[item].data(), static_cast<int>(blobs[item].size()),
                      SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, item);
    ASSERT_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
  }
  sqlite3_close(db);

  auto store = SqliteStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(*(*store)->SchemaVersion(), SqliteStore::LatestSchemaVersion());
  EXPECT_EQ(*(*store)->CountEvidence("EX02"), 0);  // no longer in the snapshot...
  auto w = (*store)->LoadEventWindow("EX02", absl::InfinitePast());
  ASSERT_TRUE(w.ok());
  ASSERT_EQ(w->size(), 1u);  // ...but in the window
  EXPECT_EQ(w->front().event_aggregate().count(), 7);
  EXPECT_EQ(FromProto(w->front().received_at()), kNow);
  // The first live read of both files changes nothing: 7, not 12.
  ASSERT_TRUE((*store)
                  ->ReplaceSourceEvidence("EX02", "host_folder", v1::SourceHealth(),
                                          kNow + absl::Minutes(1),
                                          {copy, EventsFile("10.1.1.11", 2, kNow, 6)}, {})
                  .ok());
  w = (*store)->LoadEventWindow("EX02", absl::InfinitePast());
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->front().event_aggregate().count(), 7);
  EXPECT_FALSE(w->front().event_aggregate().count_is_lower_bound());
}

TEST_F(StoreTest, RefusesAStoreFromANewerBuild) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 999;", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = SqliteStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("999"), std::string::npos);
}

TEST_F(StoreTest, OpenErrorNamesThePath) {
  auto store = SqliteStore::Open("/nonexistent-dir/collector.db");
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("/nonexistent-dir/collector.db"), std::string::npos);
}

// Ingest groups batches into one transaction (issue 17); a batch that fails inside it is undone
// alone: what it replaced stays, and the others of its group are stored.
TEST_F(EventWindowTest, AGroupStoresEachBatchOnItsOwn) {
  auto queues_of = [](const std::string& host, const std::string& queue) {
    v1::Evidence e;
    e.set_host(host);
    e.set_source("host_folder");
    e.mutable_queues()->add_queues()->set_identity(queue);
    return e;
  };
  auto snapshot = [&](const std::string& host, std::vector<v1::Evidence> items) {
    return SourceSnapshot{
        .host = host,
        .source = "host_folder",
        .health = ok_,
        .received_at = kNow,
        .items = std::move(items),
        .window = {.since = kNow - absl::Hours(24), .host_offset = absl::ZeroDuration()}};
  };
  ASSERT_TRUE(store_->ReplaceSourcesEvidence({snapshot("BAD", {queues_of("BAD", "BAD\\old")})})
                  .front()
                  .ok());
  // From now on the database refuses new rows of BAD (a stand-in for a disk or constraint
  // error that hits one batch).
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TRIGGER refuse_bad BEFORE INSERT ON evidence WHEN NEW.host = "
                         "'BAD' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  const std::vector<absl::Status> stored = store_->ReplaceSourcesEvidence(
      {snapshot("EX01", {queues_of("EX01", "EX01\\1")}),
       snapshot("BAD", {queues_of("BAD", "BAD\\new")}),
       snapshot("EX03", {queues_of("EX03", "EX03\\1"), queues_of("EX03", "EX03\\2")})});
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_TRUE(stored[0].ok()) << stored[0];
  EXPECT_FALSE(stored[1].ok());
  EXPECT_NE(stored[1].message().find("refused by the test"), std::string::npos) << stored[1];
  EXPECT_TRUE(stored[2].ok()) << stored[2];
  EXPECT_EQ(*store_->CountEvidence("EX01"), 1);
  EXPECT_EQ(*store_->CountEvidence("EX03"), 2);
  // BAD's earlier snapshot is still whole: the failed batch's delete was undone with it.
  auto bad = store_->LoadEvidence("BAD");
  ASSERT_TRUE(bad.ok());
  ASSERT_EQ(bad->size(), 1u);
  EXPECT_EQ((*bad)[0].queues().queues(0).identity(), "BAD\\old");
  EXPECT_TRUE(store_->ReplaceSourcesEvidence({}).empty());
}

// A source's rows are its last batch's items, in order, whatever the earlier batches held: rows
// are written over in place and those past the new batch's end deleted.
TEST_F(EventWindowTest, ASourcesRowsAreItsLastBatchWhetherItGrowsOrShrinks) {
  auto batch = [&](std::vector<std::string> queues) {
    SourceSnapshot s{
        .host = "EX01",
        .source = "host_folder",
        .health = ok_,
        .received_at = kNow,
        .items = {},
        .window = {.since = kNow - absl::Hours(24), .host_offset = absl::ZeroDuration()}};
    for (const std::string& q : queues) {
      v1::Evidence& e = s.items.emplace_back();
      e.set_host("EX01");
      e.set_source("host_folder");
      e.mutable_queues()->add_queues()->set_identity(q);
    }
    return s;
  };
  auto identities = [&] {
    std::vector<std::string> out;
    auto loaded = store_->LoadEvidence("EX01");
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    if (loaded.ok()) {
      for (const v1::Evidence& e : *loaded) out.push_back(e.queues().queues(0).identity());
    }
    return out;
  };
  for (const std::vector<std::string>& queues : std::vector<std::vector<std::string>>{
           {"a", "b", "c"}, {"d"}, {"e", "f"}, {}, {"g", "h", "i", "j"}}) {
    ASSERT_TRUE(store_->ReplaceSourcesEvidence({batch(queues)}).front().ok());
    EXPECT_EQ(identities(), queues);
    EXPECT_EQ(*store_->CountEvidence("EX01"), static_cast<int64_t>(queues.size()));
  }
}

// A source's batches are stored in order: after one of them fails in a group, the later ones
// of the same host and source are not stored (they would be ahead of it when the agent sends
// it again), while other sources and hosts of the group are.
TEST_F(EventWindowTest, AfterAFailedBatchTheLaterOnesOfItsSourceInTheGroupAreNotStored) {
  auto batch = [&](const std::string& host, const std::string& source, const std::string& queue) {
    v1::Evidence e;
    e.set_host(host);
    e.set_source(source);
    e.mutable_queues()->add_queues()->set_identity(queue);
    return SourceSnapshot{
        .host = host,
        .source = source,
        .health = ok_,
        .received_at = kNow,
        .items = {e},
        .window = {.since = kNow - absl::Hours(24), .host_offset = absl::ZeroDuration()}};
  };
  // The database refuses any row whose payload holds "poison" (a stand-in for an error that
  // hits one batch).
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TRIGGER refuse_poison BEFORE INSERT ON evidence WHEN "
                         "instr(NEW.payload, 'poison') > 0 BEGIN SELECT RAISE(ABORT, 'refused by "
                         "the test'); END;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  const std::vector<absl::Status> stored = store_->ReplaceSourcesEvidence(
      {batch("EX01", "queues", "EX01\\poison"), batch("EX01", "queues", "EX01\\2"),
       batch("EX01", "host_folder", "EX01\\folder"), batch("EX02", "queues", "EX02\\1")});
  ASSERT_EQ(stored.size(), 4u);
  EXPECT_NE(stored[0].message().find("refused by the test"), std::string::npos) << stored[0];
  EXPECT_TRUE(absl::IsFailedPrecondition(stored[1])) << stored[1];
  EXPECT_NE(stored[1].message().find("EX01/queues"), std::string::npos) << stored[1];
  EXPECT_TRUE(stored[2].ok()) << stored[2];
  EXPECT_TRUE(stored[3].ok()) << stored[3];
  auto ex01 = store_->LoadEvidence("EX01");
  ASSERT_TRUE(ex01.ok());
  ASSERT_EQ(ex01->size(), 1u);  // the folder's only: nothing of "queues"
  EXPECT_EQ((*ex01)[0].queues().queues(0).identity(), "EX01\\folder");
  EXPECT_EQ(*store_->CountEvidence("EX02"), 1);
}

}  // namespace
}  // namespace kerbside::collector
