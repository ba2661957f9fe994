// Issue 12 item 5: a stream that never says hello, one that falls silent and a host's older
// stream each held a collector thread forever; and nothing bounded how many streams one collector
// holds. A real gRPC server on loopback (plaintext: the limits do not depend on TLS) and the
// collector's own service; deadlines move with a manual clock and the watchdog's sweep is called
// by hand, so nothing here depends on timing. Every client call has a 10 s deadline.
#include "collector/agent_streams.h"

#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "collector/agent_service.h"
#include "collector/store/sqlite_store.h"
#include "common/proto_time.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace kerbside::collector {
namespace {

// A batch of EX01's "queues" source: one item per queue named.
v1::AgentMessage QueuesBatch(uint64_t sequence, const std::vector<std::string>& queues) {
  v1::AgentMessage m;
  v1::EvidenceBatch* b = m.mutable_evidence();
  b->set_source("queues");
  b->set_sequence(sequence);
  b->mutable_health()->set_state(v1::SourceHealth::OK);
  for (const std::string& queue : queues) {
    v1::Evidence* e = b->add_items();
    e->set_host("EX01");
    e->set_source("queues");
    e->mutable_queues()->add_queues()->set_identity(queue);
  }
  return m;
}

using Stream = grpc::ClientReaderWriter<v1::AgentMessage, v1::CollectorMessage>;

class AgentStreamsTest : public ::testing::Test {
 protected:
  void Start(AgentStreamLimits limits) {
    path_ = (std::filesystem::temp_directory_path() /
             ("kerbside-streams-test-" + std::to_string(getpid()) + ".db"))
                .string();
    Cleanup();
    auto s = SqliteStore::Open(path_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    fleet_ = std::make_unique<HostRegistry>(store_.get(), &clock_, HostRegistryOptions{});
    service_ = std::make_unique<AgentServiceImpl>(
        fleet_.get(), store_.get(), &clock_,
        AgentServiceOptions{.plaintext = true,
                            .on_ingest = nullptr,
                            .stream_limits = limits,
                            .stream_sweep_every = absl::ZeroDuration()});
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::AgentService::NewStub(channel_);
  }
  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_.reset();
    service_.reset();
    fleet_.reset();
    store_.reset();
    Cleanup();
  }
  void Cleanup() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }

  struct Open {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<Stream> stream;
  };
  Open OpenStream() {
    Open o;
    o.context = std::make_unique<grpc::ClientContext>();
    o.context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    o.stream = stub_->Connect(o.context.get());
    return o;
  }
  // Sends a hello and reads the collector's acknowledgement.
  bool Hello(Open& o, const std::string& host) {
    v1::AgentMessage m;
    v1::HostIdentity* id = m.mutable_hello()->mutable_identity();
    id->set_netbios_name(host);
    id->set_fqdn(host + ".contoso.com");
    id->set_role(v1::ROLE_EXCHANGE);
    if (!o.stream->Write(m)) return false;
    v1::CollectorMessage reply;
    while (o.stream->Read(&reply)) {
      if (reply.has_hello_ack()) return true;
    }
    return false;
  }
  // A time request answered proves the collector read (and so noted) everything sent before it.
  bool RoundTrip(Open& o) {
    v1::AgentMessage m;
    m.mutable_time_request()->set_exchange_id(7);
    *m.mutable_time_request()->mutable_t1_agent_send() = ToProto(clock_.Now());
    if (!o.stream->Write(m)) return false;
    v1::CollectorMessage reply;
    while (o.stream->Read(&reply)) {
      if (reply.has_time_reply()) return true;
    }
    return false;
  }
  // The collector ended the stream: reads fail and Finish gives its status.
  grpc::Status Ended(Open& o) {
    v1::CollectorMessage reply;
    while (o.stream->Read(&reply)) {
    }
    return o.stream->Finish();
  }
  bool WaitOpen(size_t n) {
    for (int i = 0; i < 500; ++i) {
      if (service_->streams().open() == n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  ManualClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  std::string path_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<HostRegistry> fleet_;
  std::unique_ptr<AgentServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AgentService::Stub> stub_;
};

TEST_F(AgentStreamsTest, StreamWithoutHelloIsClosedAtTheHelloTimeout) {
  Start({.max_streams = 10, .hello_timeout = absl::Seconds(10), .idle_timeout = absl::Seconds(60)});
  Open o = OpenStream();
  ASSERT_TRUE(WaitOpen(1));
  clock_.Advance(absl::Seconds(9));
  EXPECT_EQ(service_->streams().Sweep(), 0);
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(service_->streams().Sweep(), 1);
  EXPECT_EQ(Ended(o).error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(WaitOpen(0));
}

TEST_F(AgentStreamsTest, SilentStreamIsClosedAtTheIdleTimeoutAndEveryMessageRestartsIt) {
  Start({.max_streams = 10, .hello_timeout = absl::Seconds(10), .idle_timeout = absl::Seconds(60)});
  Open o = OpenStream();
  ASSERT_TRUE(Hello(o, "EX01"));
  clock_.Advance(absl::Seconds(50));
  EXPECT_EQ(service_->streams().Sweep(), 0) << "the hello timeout no longer applies";
  ASSERT_TRUE(RoundTrip(o));
  clock_.Advance(absl::Seconds(50));  // 100 s since the hello, 50 s since the last message
  EXPECT_EQ(service_->streams().Sweep(), 0);
  clock_.Advance(absl::Seconds(11));
  EXPECT_EQ(service_->streams().Sweep(), 1);
  EXPECT_EQ(Ended(o).error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(WaitOpen(0));
}

TEST_F(AgentStreamsTest, StreamsOverTheLimitAreRefusedAndAClosedOneFreesItsPlace) {
  Start({.max_streams = 2, .hello_timeout = absl::Seconds(10), .idle_timeout = absl::Seconds(60)});
  Open a = OpenStream();
  Open b = OpenStream();
  ASSERT_TRUE(Hello(a, "EX01"));
  ASSERT_TRUE(Hello(b, "EX02"));
  Open c = OpenStream();
  EXPECT_FALSE(Hello(c, "EX03"));
  const grpc::Status refused = Ended(c);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(refused.error_message().find("max_agent_streams"), std::string::npos)
      << refused.error_message();
  b.stream->WritesDone();
  EXPECT_TRUE(Ended(b).ok());
  ASSERT_TRUE(WaitOpen(1));
  Open d = OpenStream();
  EXPECT_TRUE(Hello(d, "EX03"));
}

TEST_F(AgentStreamsTest, AHostsOlderStreamIsClosedAtOnceWhenANewerOneSaysHello) {
  Start({.max_streams = 10, .hello_timeout = absl::Seconds(10), .idle_timeout = absl::Seconds(60)});
  Open old_stream = OpenStream();
  ASSERT_TRUE(Hello(old_stream, "EX01"));
  Open other = OpenStream();
  ASSERT_TRUE(Hello(other, "EX02"));
  Open newer = OpenStream();
  ASSERT_TRUE(Hello(newer, "ex01"));
  // The old stream says nothing more and is still ended, without any sweep or timeout.
  EXPECT_EQ(Ended(old_stream).error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(WaitOpen(2));
  EXPECT_TRUE(RoundTrip(newer));
  EXPECT_TRUE(RoundTrip(other));
}

// Batches sent back to back without waiting for acknowledgements: the stream reads on while
// the ingest writer stores them, pauses at its bound of batches in the writer, and a goodbye
// right after the last one still gets every acknowledgement before the stream's status.
TEST_F(AgentStreamsTest, BatchesSentBackToBackAreAllAcknowledgedBeforeTheStreamEnds) {
  Start({.max_streams = 10, .hello_timeout = absl::Seconds(10), .idle_timeout = absl::Seconds(60)});
  Open o = OpenStream();
  ASSERT_TRUE(Hello(o, "EX01"));
  constexpr uint64_t kBatches = 60;
  for (uint64_t seq = 1; seq <= kBatches; ++seq) {
    std::vector<std::string> queues;
    for (uint64_t i = 0; i < seq % 7 + 1; ++i) queues.push_back("EX01\\" + std::to_string(i));
    ASSERT_TRUE(o.stream->Write(QueuesBatch(seq, queues)));
  }
  ASSERT_TRUE(o.stream->WritesDone());
  std::set<uint64_t> acked;
  v1::CollectorMessage reply;
  while (o.stream->Read(&reply)) {
    if (reply.has_evidence_ack()) {
      EXPECT_TRUE(acked.insert(reply.evidence_ack().sequence()).second);
    }
  }
  EXPECT_TRUE(o.stream->Finish().ok());
  EXPECT_EQ(acked.size(), kBatches);
  EXPECT_EQ(*acked.rbegin(), kBatches);
  EXPECT_EQ(*store_->CountEvidence("EX01"), static_cast<int64_t>(kBatches % 7 + 1));
}

// The collector may hold a message while more are queued behind it and send them together
// (a buffer hint): every acknowledgement still arrives, once, while the stream stays open, none
// waiting for a later write or the stream's end (the deadline of 10 s bounds the wait). Their
// order is not promised: the ingest writer's threads answer groups side by side.
TEST_F(AgentStreamsTest, AcknowledgementsOfBatchesSentBackToBackArriveWhileTheStreamStaysOpen) {
  Start({.max_streams = 10, .hello_timeout = absl::Seconds(10), .idle_timeout = absl::Seconds(60)});
  Open o = OpenStream();
  ASSERT_TRUE(Hello(o, "EX01"));
  constexpr uint64_t kBatches = 40;
  for (uint64_t seq = 1; seq <= kBatches; ++seq) {
    ASSERT_TRUE(o.stream->Write(QueuesBatch(seq, {"EX01\\1"})));
  }
  std::set<uint64_t> acked;
  v1::CollectorMessage reply;
  while (acked.size() < kBatches && o.stream->Read(&reply)) {
    if (reply.has_evidence_ack()) {
      EXPECT_TRUE(acked.insert(reply.evidence_ack().sequence()).second);
    }
  }
  ASSERT_EQ(acked.size(), kBatches);
  EXPECT_EQ(*acked.begin(), 1u);
  EXPECT_EQ(*acked.rbegin(), kBatches);
  // The stream is still open and answers.
  ASSERT_TRUE(o.stream->WritesDone());
  EXPECT_TRUE(o.stream->Finish().ok());
}

// A batch the store refuses is not acknowledged, nor are the stream's later batches of its
// source (they would be stored ahead of it), and the stream ends UNAVAILABLE: the agent
// reconnects and sends them all again, in order, and then both are stored.
TEST_F(AgentStreamsTest, ABatchThatCannotBeStoredEndsTheStreamAndIsStoredInOrderOnTheNext) {
  Start({.max_streams = 10, .hello_timeout = absl::Seconds(10), .idle_timeout = absl::Seconds(60)});
  auto exec = [&](const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  };
  // The database refuses batch 1 (a stand-in for a full disk or an I/O error).
  exec(
      "CREATE TRIGGER refuse_poison BEFORE INSERT ON evidence WHEN instr(NEW.payload, 'poison') "
      "> 0 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;");
  Open o = OpenStream();
  ASSERT_TRUE(Hello(o, "EX01"));
  ASSERT_TRUE(o.stream->Write(QueuesBatch(1, {"EX01\\poison"})));
  // Batch 2 is refused after batch 1 when it arrives in time (the ingest writer's tests cover
  // that refusal); the store can also refuse batch 1 and end the stream before batch 2 is
  // written, and then the write fails. Either way nothing of this stream may be stored.
  static_cast<void>(o.stream->Write(QueuesBatch(2, {"EX01\\2"})));
  // The stream ends at the next message once the failure is known: time requests until then.
  for (int i = 0; i < 100; ++i) {
    v1::AgentMessage ping;
    ping.mutable_time_request()->set_exchange_id(static_cast<uint64_t>(i + 1));
    *ping.mutable_time_request()->mutable_t1_agent_send() = ToProto(clock_.Now());
    if (!o.stream->Write(ping)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::set<uint64_t> acked;
  v1::CollectorMessage reply;
  while (o.stream->Read(&reply)) {
    if (reply.has_evidence_ack()) acked.insert(reply.evidence_ack().sequence());
  }
  const grpc::Status ended = o.stream->Finish();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAVAILABLE) << ended.error_message();
  EXPECT_TRUE(acked.empty()) << *acked.begin();
  EXPECT_EQ(*store_->CountEvidence("EX01"), 0);

  // The disk has room again; the agent's next stream sends both, in order.
  exec("DROP TRIGGER refuse_poison");
  Open again = OpenStream();
  ASSERT_TRUE(Hello(again, "EX01"));
  ASSERT_TRUE(again.stream->Write(QueuesBatch(1, {"EX01\\poison"})));
  ASSERT_TRUE(again.stream->Write(QueuesBatch(2, {"EX01\\2"})));
  ASSERT_TRUE(again.stream->WritesDone());
  while (again.stream->Read(&reply)) {
    if (reply.has_evidence_ack()) acked.insert(reply.evidence_ack().sequence());
  }
  EXPECT_TRUE(again.stream->Finish().ok());
  EXPECT_EQ(acked, (std::set<uint64_t>{1, 2}));
  auto stored = store_->LoadEvidence("EX01");
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].queues().queues(0).identity(), "EX01\\2");  // the later batch stands
}

}  // namespace
}  // namespace kerbside::collector
