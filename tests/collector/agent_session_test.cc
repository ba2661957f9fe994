// One agent stream's session without gRPC: the hello check, and what each evidence batch does
// to the store and which acknowledgements go back. A real SQLite store and fleet; the stream is
// a recording writer.
#include "collector/agent_session.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <numeric>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "collector/store/sqlite_store.h"
#include "common/proto_time.h"
#include "common/wire_limits.h"
#include "gtest/gtest.h"
#include "tests/collector/store/temp_store.h"

namespace kerbside::collector {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1795000000);

v1::Hello HelloOf(const std::string& netbios, const std::string& fqdn, v1::Role role) {
  v1::Hello h;
  h.mutable_identity()->set_netbios_name(netbios);
  h.mutable_identity()->set_fqdn(fqdn);
  h.mutable_identity()->set_role(role);
  return h;
}

CertificateIdentity HostCert(const std::string& fqdn, v1::Role role) {
  CertificateIdentity c;
  c.subject = "CN=" + fqdn + ",OU=kerbside-host";
  c.common_name = fqdn;
  c.dns_names = {fqdn};
  c.role = CertificateRole::kHost;
  c.host_role = role;
  return c;
}

// The intervals every session here runs with (the collector's defaults).
SessionContext TestContext(HostRegistry* fleet, EvidenceStore* store, const Clock* clock,
                           StoredBatches* stored, IngestWriter* writer = nullptr) {
  return SessionContext{.fleet = fleet,
                        .store = store,
                        .clock = clock,
                        .stored = stored,
                        .heartbeat_interval = absl::Seconds(15),
                        .time_exchange_interval = absl::Seconds(10),
                        .event_window = absl::Hours(24),
                        .on_ingest = nullptr,
                        .writer = writer};
}

TEST(AcceptHelloTest, BoundsWhatIsShownAndRequiresTheNames) {
  v1::Hello h = HelloOf("EX02", "ex02.contoso.com", v1::ROLE_EXCHANGE);
  h.mutable_identity()->set_site(std::string(1000, 'x') + "\x1b[2J");
  for (int i = 0; i < 20; ++i) h.mutable_identity()->add_server_roles("Mailbox");
  auto id = AcceptHello(h, std::nullopt);
  ASSERT_TRUE(id.ok()) << id.status();
  // Cut to 255 bytes with the cut said; the escape sequence never reaches a terminal.
  EXPECT_EQ(id->site(), std::string(255, 'x') + "...(749 more bytes)");
  v1::Hello escape = HelloOf("EX02", "ex02.contoso.com", v1::ROLE_EXCHANGE);
  escape.mutable_identity()->set_site("HQ\x1b[2J");
  auto escaped = AcceptHello(escape, std::nullopt);
  ASSERT_TRUE(escaped.ok());
  EXPECT_EQ(escaped->site().find('\x1b'), std::string::npos);
  EXPECT_EQ(id->server_roles_size(), 8);

  v1::Hello nameless = HelloOf("EX02", "", v1::ROLE_EXCHANGE);
  EXPECT_EQ(AcceptHello(nameless, std::nullopt).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AcceptHelloTest, TheCertificateDecidesHostAndRole) {
  v1::Hello h = HelloOf("EX02", "ex02.contoso.com", v1::ROLE_EXCHANGE);
  EXPECT_TRUE(AcceptHello(h, HostCert("ex02.contoso.com", v1::ROLE_EXCHANGE)).ok());
  // Another host's certificate.
  EXPECT_EQ(AcceptHello(h, HostCert("ex03.contoso.com", v1::ROLE_EXCHANGE)).status().code(),
            absl::StatusCode::kPermissionDenied);
  // An Exchange certificate claiming to be a DC.
  v1::Hello dc = HelloOf("EX02", "ex02.contoso.com", v1::ROLE_DC);
  EXPECT_EQ(AcceptHello(dc, HostCert("ex02.contoso.com", v1::ROLE_EXCHANGE)).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(HealthWithRefusalsTest, DegradesAndSaysWhy) {
  v1::SourceHealth ok;
  ok.set_state(v1::SourceHealth::OK);
  EXPECT_EQ(HealthWithRefusals(ok, {}).state(), v1::SourceHealth::OK);
  const v1::SourceHealth h = HealthWithRefusals(ok, {"EX02 sent spn_listing: DCs only", "b"});
  EXPECT_EQ(h.state(), v1::SourceHealth::DEGRADED);
  EXPECT_EQ(h.reason(), "the collector refused 2 item(s): EX02 sent spn_listing: DCs only");
  v1::SourceHealth failing;
  failing.set_state(v1::SourceHealth::FAILING);
  failing.set_reason("setspn exited 1");
  EXPECT_EQ(HealthWithRefusals(failing, {"x"}).state(), v1::SourceHealth::FAILING);
  EXPECT_EQ(HealthWithRefusals(failing, {"x"}).reason(),
            "setspn exited 1; the collector refused 1 item(s): x");
}

class AgentSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fleet_ = std::make_unique<HostRegistry>(store_.get(), &clock_, HostRegistryOptions{});
    auto id = AcceptHello(*hello_.mutable_hello(), std::nullopt);
    ASSERT_TRUE(id.ok());
    const uint64_t token = fleet_->Connected(*id, "ipv4:127.0.0.1:5000", "");
    session_ = std::make_unique<AgentSession>(
        TestContext(fleet_.get(), store_.get(), &clock_, &stored_), *id, token, "spool-1",
        "ipv4:127.0.0.1:5000", [this](const v1::CollectorMessage& m) {
          sent_.push_back(m);
          return writable_;
        });
    ASSERT_TRUE(session_->Start());
    ASSERT_GE(sent_.size(), 1u);
    EXPECT_TRUE(sent_[0].has_hello_ack());
    sent_.clear();
  }
  v1::AgentMessage Batch(uint64_t sequence, std::vector<v1::Evidence> items) {
    v1::AgentMessage m;
    v1::EvidenceBatch* b = m.mutable_evidence();
    b->set_source("host_folder");
    b->set_sequence(sequence);
    b->mutable_health()->set_state(v1::SourceHealth::OK);
    for (v1::Evidence& e : items) *b->add_items() = std::move(e);
    return m;
  }
  v1::Evidence Queues(const std::string& host) {
    v1::Evidence e;
    e.set_host(host);
    e.set_source("host_folder");
    e.mutable_queues()->add_queues()->set_identity(host + "\\1");
    return e;
  }
  std::vector<uint64_t> Acks() {
    std::vector<uint64_t> out;
    for (const auto& m : sent_) {
      if (m.has_evidence_ack()) out.push_back(m.evidence_ack().sequence());
    }
    return out;
  }

  testing_util::TempStore store_;
  ManualClock clock_{kT0};
  StoredBatches stored_;
  std::unique_ptr<HostRegistry> fleet_;
  v1::AgentMessage hello_ = [] {
    v1::AgentMessage m;
    *m.mutable_hello() = HelloOf("EX02", "ex02.contoso.com", v1::ROLE_EXCHANGE);
    return m;
  }();
  std::unique_ptr<AgentSession> session_;
  std::vector<v1::CollectorMessage> sent_;
  bool writable_ = true;
};

// With the ingest writer, as the service runs it: the batch is stored off the stream's thread,
// acknowledged only once committed, and only then is the stream told to read on.
TEST_F(AgentSessionTest, WithTheWriterTheAckFollowsTheCommitAndThenTheStreamReadsOn) {
  IngestWriter writer(store_.get(), {});
  auto id = AcceptHello(*hello_.mutable_hello(), std::nullopt);
  ASSERT_TRUE(id.ok());
  const uint64_t token = fleet_->Connected(*id, "ipv4:127.0.0.1:5001", "");
  std::atomic<int64_t> stored_at_ack{-1};
  absl::Notification resumed;
  AgentSession session(TestContext(fleet_.get(), store_.get(), &clock_, &stored_, &writer), *id,
                       token, "spool-2", "ipv4:127.0.0.1:5001", [&](const v1::CollectorMessage& m) {
                         if (m.has_evidence_ack()) {
                           stored_at_ack = *store_.get()->CountEvidence("EX02");
                         }
                         return true;
                       });
  session.set_resume([&] { resumed.Notify(); });
  ASSERT_TRUE(session.Start());
  v1::AgentMessage m = Batch(1, {Queues("EX02"), Queues("EX02")});
  auto handled = session.Handle(m, kT0);
  ASSERT_TRUE(handled.ok()) << handled.status();
  EXPECT_EQ(*handled, AgentSession::Handled::kStoring);
  ASSERT_TRUE(resumed.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(stored_at_ack.load(), 2);
  // Sent again (an acknowledgement lost): answered at once from what was recorded.
  stored_at_ack = -1;
  m = Batch(1, {Queues("EX02")});
  handled = session.Handle(m, kT0);
  ASSERT_TRUE(handled.ok());
  EXPECT_EQ(*handled, AgentSession::Handled::kDone);
  EXPECT_EQ(stored_at_ack.load(), 2);
}

// Batches handed to the writer back to back, as the stream reads on beside them: each is
// answered once, and the source ends with the last batch's evidence (committed in order).
TEST_F(AgentSessionTest, WithTheWriterBatchesFollowEachOtherAndTheLastOneStands) {
  IngestWriter writer(store_.get(), {});
  auto id = AcceptHello(*hello_.mutable_hello(), std::nullopt);
  ASSERT_TRUE(id.ok());
  const uint64_t token = fleet_->Connected(*id, "ipv4:127.0.0.1:5001", "");
  absl::Mutex mu;
  std::vector<uint64_t> acks;
  int resumed = 0;
  AgentSession session(TestContext(fleet_.get(), store_.get(), &clock_, &stored_, &writer), *id,
                       token, "spool-3", "ipv4:127.0.0.1:5001", [&](const v1::CollectorMessage& m) {
                         absl::MutexLock lock(&mu);
                         if (m.has_evidence_ack()) acks.push_back(m.evidence_ack().sequence());
                         return true;
                       });
  session.set_resume([&] {
    absl::MutexLock lock(&mu);
    ++resumed;
  });
  ASSERT_TRUE(session.Start());
  constexpr int kBatches = 40;
  for (int seq = 1; seq <= kBatches; ++seq) {
    // Batch n carries n queues: the store's count says which batch stands.
    std::vector<v1::Evidence> items(seq, Queues("EX02"));
    v1::AgentMessage m = Batch(seq, items);
    auto handled = session.Handle(m, kT0 + absl::Milliseconds(seq));
    ASSERT_TRUE(handled.ok()) << handled.status();
    EXPECT_EQ(*handled, AgentSession::Handled::kStoring);
  }
  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(
                                        +[](int* n) { return *n == kBatches; }, &resumed),
                                    absl::Seconds(30)));
    std::sort(acks.begin(), acks.end());
    std::vector<uint64_t> want(kBatches);
    std::iota(want.begin(), want.end(), 1);
    EXPECT_EQ(acks, want);
  }
  EXPECT_EQ(*store_.get()->CountEvidence("EX02"), kBatches);
}

TEST_F(AgentSessionTest, StoresItsOwnEvidenceAndAcknowledgesOnce) {
  v1::AgentMessage m = Batch(1, {Queues("ex02")});
  ASSERT_TRUE(session_->Handle(m, kT0).ok());
  EXPECT_EQ(*store_.get()->CountEvidence("EX02"), 1);
  // Sent again after a lost acknowledgement: acknowledged, not stored again.
  m = Batch(1, {Queues("EX02"), Queues("EX02")});
  ASSERT_TRUE(session_->Handle(m, kT0 + absl::Seconds(1)).ok());
  EXPECT_EQ(*store_.get()->CountEvidence("EX02"), 1);
  EXPECT_EQ(Acks(), (std::vector<uint64_t>{1, 1}));
}

TEST_F(AgentSessionTest, AnItemForAnotherHostStoresNothingAndIsNotAcknowledged) {
  v1::AgentMessage m = Batch(1, {Queues("EX02"), Queues("EX03")});
  ASSERT_TRUE(session_->Handle(m, kT0).ok());
  EXPECT_EQ(*store_.get()->CountEvidence("EX02"), 0);
  EXPECT_EQ(*store_.get()->CountEvidence("EX03"), 0);
  EXPECT_TRUE(Acks().empty());
}

TEST_F(AgentSessionTest, ItemsOutsideItsAuthorityAreRefusedOneByOne) {
  v1::Evidence spns;
  spns.set_host("EX02");
  spns.set_source("host_folder");
  spns.mutable_spn_listing();  // directory facts come only from DCs
  v1::AgentMessage m = Batch(4, {Queues("EX02"), spns});
  ASSERT_TRUE(session_->Handle(m, kT0).ok());
  EXPECT_EQ(*store_.get()->CountEvidence("EX02"), 1);
  EXPECT_EQ(Acks(), (std::vector<uint64_t>{4}));
  auto health = store_.get()->LoadSourceHealth();
  ASSERT_TRUE(health.ok());
  ASSERT_EQ(health->size(), 1u);
  EXPECT_EQ(health->front().state, "DEGRADED");
  EXPECT_NE(health->front().reason.find("refused 1 item(s)"), std::string::npos);
}

TEST_F(AgentSessionTest, AnOversizedBatchEndsTheStreamUnacknowledged) {
  v1::AgentMessage m = Batch(2, {});
  for (size_t i = 0; i <= kMaxBatchItems; ++i) *m.mutable_evidence()->add_items() = Queues("EX02");
  const absl::Status s = session_->Handle(m, kT0).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(Acks().empty());
}

TEST_F(AgentSessionTest, ClockExchangeUsesTheCollectorsOwnTimes) {
  v1::AgentMessage request;
  request.mutable_time_request()->set_exchange_id(7);
  *request.mutable_time_request()->mutable_t1_agent_send() = ToProto(kT0 + absl::Seconds(300));
  clock_.Set(kT0 + absl::Milliseconds(10));
  ASSERT_TRUE(session_->Handle(request, clock_.Now()).ok());
  ASSERT_EQ(sent_.size(), 1u);
  ASSERT_TRUE(sent_[0].has_time_reply());
  // The agent echoes forged t2/t3; the collector uses its own.
  v1::AgentMessage sample;
  v1::TimeSample* ts = sample.mutable_time_sample();
  ts->set_exchange_id(7);
  *ts->mutable_t1_agent_send() = ToProto(kT0 + absl::Seconds(300));
  *ts->mutable_t4_agent_receive() = ToProto(kT0 + absl::Seconds(300) + absl::Milliseconds(20));
  clock_.Set(kT0 + absl::Milliseconds(20));
  ASSERT_TRUE(session_->Handle(sample, clock_.Now()).ok());
  const std::optional<absl::Duration> offset = fleet_->OffsetVsCollector("EX02");
  ASSERT_TRUE(offset.has_value());
  EXPECT_LT(absl::AbsDuration(*offset - absl::Seconds(300)), absl::Milliseconds(20));
  // A sample for an exchange never asked is ignored.
  ts->set_exchange_id(8);
  EXPECT_TRUE(session_->Handle(sample, clock_.Now()).ok());
}

TEST_F(AgentSessionTest, HeartbeatsSayTheSpoolBacklogBounded) {
  auto spooled = [&] {
    const v1::ListHostsResponse hosts = fleet_->ListHosts();
    for (const v1::HostStatus& h : hosts.hosts()) {
      if (h.identity().netbios_name() == "EX02" && h.has_spooled_batches()) {
        return static_cast<int64_t>(h.spooled_batches());
      }
    }
    return int64_t{-1};
  };
  EXPECT_EQ(spooled(), -1);  // no heartbeat yet: unknown, not zero
  v1::AgentMessage heartbeat;
  heartbeat.mutable_heartbeat()->set_spooled_batches(12);
  ASSERT_TRUE(session_->Handle(heartbeat, kT0).ok());
  EXPECT_EQ(spooled(), 12);
  heartbeat.mutable_heartbeat()->set_spooled_batches(~uint64_t{0});
  ASSERT_TRUE(session_->Handle(heartbeat, kT0).ok());
  EXPECT_EQ(spooled(), 1'000'000);
}

TEST_F(AgentSessionTest, InventoryChangesAreCoalescedToOnePerHeartbeatInterval) {
  auto inventories = [&] {
    int n = 0;
    for (const auto& m : sent_) n += m.has_inventory();
    return n;
  };
  auto join = [&](const char* name) {
    v1::AgentMessage h;
    *h.mutable_hello() =
        HelloOf(name, absl::AsciiStrToLower(name) + ".contoso.com", v1::ROLE_EXCHANGE);
    auto id = AcceptHello(*h.mutable_hello(), std::nullopt);
    ASSERT_TRUE(id.ok());
    fleet_->Connected(*id, "ipv4:127.0.0.1:7000", "");
  };
  v1::AgentMessage heartbeat;
  heartbeat.mutable_heartbeat();
  join("EX03");
  ASSERT_TRUE(session_->Handle(heartbeat, clock_.Now()).ok());
  EXPECT_EQ(inventories(), 0);  // the one sent at Start is under a heartbeat interval old
  clock_.Advance(absl::Seconds(15));
  join("EX04");
  ASSERT_TRUE(session_->Handle(heartbeat, clock_.Now()).ok());
  ASSERT_EQ(inventories(), 1);  // both joins in one inventory
  EXPECT_EQ(sent_.back().inventory().hosts_size(), 3);
  join("EX05");
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(session_->Handle(heartbeat, clock_.Now()).ok());
  EXPECT_EQ(inventories(), 1);
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(session_->Handle(heartbeat, clock_.Now()).ok());
  EXPECT_EQ(inventories(), 2);
  ASSERT_TRUE(session_->Handle(heartbeat, clock_.Now()).ok());
  EXPECT_EQ(inventories(), 2);  // unchanged: nothing more
}

TEST(AgentSessionDeltaTest, AnAgentThatAppliesDeltasGetsOnlyTheChangedHosts) {
  testing_util::TempStore store;
  ManualClock clock{kT0};
  StoredBatches stored;
  HostRegistry fleet(store.get(), &clock, HostRegistryOptions{});
  auto join = [&](const char* name) {
    v1::AgentMessage h;
    *h.mutable_hello() =
        HelloOf(name, absl::AsciiStrToLower(name) + ".contoso.com", v1::ROLE_EXCHANGE);
    auto id = AcceptHello(*h.mutable_hello(), std::nullopt);
    EXPECT_TRUE(id.ok());
    return std::make_pair(*id, fleet.Connected(*id, "ipv4:127.0.0.1:7000", ""));
  };
  join("EX01");
  auto [id, token] = join("EX02");
  std::vector<v1::CollectorMessage> sent;
  std::vector<IngestEvent> told;  // the inventories, as /metrics counts them
  SessionContext ctx = TestContext(&fleet, store.get(), &clock, &stored);
  ctx.on_ingest = [&](const IngestEvent& e) {
    if (e.kind == IngestEvent::Kind::kInventorySent) told.push_back(e);
  };
  AgentSession session(std::move(ctx), id, token, "spool-1", "ipv4:127.0.0.1:5000",
                       [&](const v1::CollectorMessage& m) {
                         sent.push_back(m);
                         return true;
                       });
  session.set_inventory_deltas(true);
  ASSERT_TRUE(session.Start());
  ASSERT_TRUE(sent.back().has_inventory());
  const v1::Inventory first = sent.back().inventory();
  const int64_t first_bytes = static_cast<int64_t>(sent.back().ByteSizeLong());
  EXPECT_TRUE(first.full());
  EXPECT_EQ(first.hosts_size(), 2);

  join("EX03");
  clock.Advance(absl::Seconds(15));
  v1::AgentMessage heartbeat;
  heartbeat.mutable_heartbeat();
  ASSERT_TRUE(session.Handle(heartbeat, clock.Now()).ok());
  ASSERT_TRUE(sent.back().has_inventory());
  const v1::Inventory delta = sent.back().inventory();
  const int64_t delta_bytes = static_cast<int64_t>(sent.back().ByteSizeLong());
  EXPECT_FALSE(delta.full());
  EXPECT_EQ(delta.base_version(), first.version());
  ASSERT_EQ(delta.hosts_size(), 1);
  EXPECT_EQ(delta.hosts(0).netbios_name(), "EX03");

  // An agent whose copy went astray asks; the whole list comes back (once per interval).
  clock.Advance(absl::Seconds(15));
  v1::AgentMessage request;
  request.mutable_inventory_request()->set_have_version(1);
  ASSERT_TRUE(session.Handle(request, clock.Now()).ok());
  ASSERT_TRUE(sent.back().has_inventory());
  EXPECT_TRUE(sent.back().inventory().full());
  EXPECT_EQ(sent.back().inventory().hosts_size(), 3);
  const size_t n = sent.size();
  ASSERT_TRUE(session.Handle(request, clock.Now()).ok());
  EXPECT_EQ(sent.size(), n);  // asked again at once: nothing more yet

  ASSERT_EQ(told.size(), 3u);
  EXPECT_EQ(told[0].source, "full");
  EXPECT_EQ(told[0].items, 2);
  EXPECT_EQ(told[0].bytes, first_bytes);
  EXPECT_EQ(told[1].source, "delta");
  EXPECT_EQ(told[1].items, 1);
  EXPECT_EQ(told[1].bytes, delta_bytes);
  EXPECT_EQ(told[2].source, "full");
  EXPECT_EQ(told[2].items, 3);
}

// With a shared writer (the service's), the whole inventory goes out as the fleet's one message:
// two agents connecting to an unchanged fleet are sent the same message, not a copy each.
TEST(AgentSessionDeltaTest, TheWholeInventoryIsSharedBetweenStreams) {
  testing_util::TempStore store;
  ManualClock clock{kT0};
  StoredBatches stored;
  HostRegistry fleet(store.get(), &clock, HostRegistryOptions{});
  std::vector<std::pair<v1::HostIdentity, uint64_t>> hosts;
  for (const char* name : {"EX01", "EX02"}) {
    v1::Hello hello =
        HelloOf(name, absl::AsciiStrToLower(name) + ".contoso.com", v1::ROLE_EXCHANGE);
    auto id = AcceptHello(hello, std::nullopt);
    ASSERT_TRUE(id.ok());
    hosts.emplace_back(*id, fleet.Connected(*id, "ipv4:127.0.0.1:7000", ""));
  }
  std::vector<std::shared_ptr<const v1::CollectorMessage>> shared;
  std::vector<IngestEvent> told;
  std::vector<std::unique_ptr<AgentSession>> sessions;
  for (const auto& [id, token] : hosts) {
    SessionContext ctx = TestContext(&fleet, store.get(), &clock, &stored);
    ctx.on_ingest = [&](const IngestEvent& e) {
      if (e.kind == IngestEvent::Kind::kInventorySent) told.push_back(e);
    };
    auto session = std::make_unique<AgentSession>(
        std::move(ctx), id, token, "spool-" + id.netbios_name(), "ipv4:127.0.0.1:5000",
        [&](const v1::CollectorMessage& m) {
          EXPECT_FALSE(m.has_inventory()) << "the whole inventory was copied";
          return true;
        });
    session->set_inventory_deltas(true);
    session->set_shared_writer([&](std::shared_ptr<const v1::CollectorMessage> m) {
      shared.push_back(std::move(m));
      return true;
    });
    ASSERT_TRUE(session->Start());
    sessions.push_back(std::move(session));
  }
  ASSERT_EQ(shared.size(), 2u);
  EXPECT_EQ(shared[0], shared[1]);
  EXPECT_TRUE(shared[0]->inventory().full());
  EXPECT_EQ(shared[0]->inventory().hosts_size(), 2);
  ASSERT_EQ(told.size(), 2u);
  EXPECT_EQ(told[0].source, "full");
  EXPECT_EQ(told[0].items, 2);
  EXPECT_EQ(told[0].bytes, static_cast<int64_t>(shared[0]->ByteSizeLong()));
}

TEST_F(AgentSessionTest, ASupersededStreamIsAborted) {
  auto id = AcceptHello(*hello_.mutable_hello(), std::nullopt);
  ASSERT_TRUE(id.ok());
  fleet_->Connected(*id, "ipv4:127.0.0.1:6000", "");
  v1::AgentMessage heartbeat;
  heartbeat.mutable_heartbeat();
  EXPECT_TRUE(absl::IsAborted(session_->Handle(heartbeat, kT0).status()));
}

TEST_F(AgentSessionTest, ABrokenStreamTakesNoMoreWrites) {
  writable_ = false;
  v1::AgentMessage m = Batch(1, {Queues("EX02")});
  ASSERT_TRUE(session_->Handle(m, kT0).ok());
  EXPECT_FALSE(session_->writable());
  const size_t n = sent_.size();
  m = Batch(2, {Queues("EX02")});
  ASSERT_TRUE(session_->Handle(m, kT0).ok());
  EXPECT_EQ(sent_.size(), n);
}

}  // namespace
}  // namespace kerbside::collector
