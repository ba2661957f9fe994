// The stream client against an in-process gRPC server on loopback (plaintext: TLS is covered by
// the integration tests): what a batch looks like on the wire, and that an acknowledgement
// reaches the source with the batch's resume token.
#include "agent/stream_client.h"

#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "kerbside/v1/agent.grpc.pb.h"

namespace kerbside::agent {
namespace {

class RecordingCollector final : public v1::AgentService::Service {
 public:
  grpc::Status Connect(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<v1::CollectorMessage, v1::AgentMessage>* stream) override {
    v1::AgentMessage m;
    while (stream->Read(&m)) {
      v1::CollectorMessage reply;
      if (m.has_hello()) {
        reply.mutable_hello_ack()->set_collector_version("test");
        stream->Write(reply);
      } else if (m.has_evidence()) {
        {
          std::lock_guard lock(mu_);
          batches_.push_back(m.evidence());
        }
        reply.mutable_evidence_ack()->set_sequence(m.evidence().sequence());
        stream->Write(reply);
        got_batch_.Notify();
      }
    }
    return grpc::Status::OK;
  }
  std::vector<v1::EvidenceBatch> batches() {
    std::lock_guard lock(mu_);
    return batches_;
  }
  absl::Notification got_batch_;

 private:
  std::mutex mu_;
  std::vector<v1::EvidenceBatch> batches_;
};

TEST(StreamClientTest, TheResumeTokenStaysHomeAndComesBackWithTheAcknowledgement) {
  RecordingCollector collector;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&collector);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(port, 0);

  AgentConfig config;
  config.collector = "127.0.0.1:" + std::to_string(port);
  config.plaintext = true;
  config.identity.set_netbios_name("EX01");
  config.heartbeat_interval = absl::Seconds(30);
  config.backoff_initial = absl::Milliseconds(100);
  config.backoff_max = absl::Seconds(1);
  auto spool = Spool::Open("", 1 << 20, "test-spool");
  ASSERT_TRUE(spool.ok());
  ManualClock clock(absl::FromUnixSeconds(1796000000));
  StreamClient client(config, grpc::InsecureChannelCredentials(), &clock, spool->get());
  client.set_monotonic_clock(&clock);  // the wall clock never steps against it here
  absl::Notification acked;
  v1::EvidenceBatch acked_batch;
  client.set_on_acknowledged([&](const v1::EvidenceBatch& b) {
    acked_batch = b;
    acked.Notify();
  });
  v1::EvidenceBatch batch;
  batch.set_source("event_log");
  batch.set_resume_token("<BookmarkList><Bookmark Channel='Application' RecordId='7'/>");
  batch.add_items()->set_host("EX01");
  client.Publish(batch, /*supersedes=*/false);
  std::thread run([&] { client.Run(); });

  const bool delivered = collector.got_batch_.WaitForNotificationWithTimeout(absl::Seconds(30));
  const bool came_back = acked.WaitForNotificationWithTimeout(absl::Seconds(30));
  client.Stop();
  run.join();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));

  ASSERT_TRUE(delivered);
  ASSERT_EQ(collector.batches().size(), 1u);
  EXPECT_EQ(collector.batches()[0].source(), "event_log");
  EXPECT_EQ(collector.batches()[0].items_size(), 1);
  EXPECT_TRUE(collector.batches()[0].resume_token().empty());
  ASSERT_TRUE(came_back);
  EXPECT_EQ(acked_batch.resume_token(), batch.resume_token());
  EXPECT_EQ(acked_batch.sequence(), collector.batches()[0].sequence());
  EXPECT_EQ((*spool)->pending_count(), 0u);
}

}  // namespace
}  // namespace kerbside::agent
