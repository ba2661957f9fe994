// Sends evidence batches of a chosen shape to a collector over mutual TLS, as an agent would
// (hello, then batches, waiting for each acknowledgement), for bench/collector_batch_memory.sh.
// usage: batch_sender ADDR CA CERT KEY NETBIOS FQDN BATCHES ITEMS ITEM_BYTES
// Each item is a queue snapshot of one queue whose LastError is ITEM_BYTES bytes. Exit 0 when every
// batch was acknowledged; prints the milliseconds from first send to last acknowledgement.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/grpc_tls.h"
#include "common/proto_time.h"
#include "grpcpp/create_channel.h"
#include "kerbside/v1/agent.grpc.pb.h"

int main(int argc, char** argv) {
  if (argc != 10) {
    std::fprintf(stderr, "usage: %s ADDR CA CERT KEY NETBIOS FQDN BATCHES ITEMS ITEM_BYTES\n",
                 argv[0]);
    return 2;
  }
  auto creds = kerbside::MakeMutualTlsChannelCredentials({argv[2], argv[3], argv[4]});
  if (!creds.ok()) {
    std::fprintf(stderr, "%s\n", creds.status().ToString().c_str());
    return 2;
  }
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 << 20);
  auto stub = kerbside::v1::AgentService::NewStub(grpc::CreateCustomChannel(argv[1], *creds, args));
  const int batches = std::atoi(argv[7]);
  const int items = std::atoi(argv[8]);
  const size_t item_bytes = std::strtoul(argv[9], nullptr, 10);
  grpc::ClientContext ctx;
  auto stream = stub->Connect(&ctx);
  kerbside::v1::AgentMessage hello;
  auto* id = hello.mutable_hello()->mutable_identity();
  id->set_netbios_name(argv[5]);
  id->set_fqdn(argv[6]);
  id->set_role(kerbside::v1::ROLE_EXCHANGE);
  id->set_site("BENCH");
  hello.mutable_hello()->set_spool_id("bench");
  *hello.mutable_hello()->mutable_sent_host_time() = kerbside::ToProto(absl::Now());
  if (!stream->Write(hello)) return 1;
  kerbside::v1::CollectorMessage reply;
  if (!stream->Read(&reply) || !reply.has_hello_ack()) return 1;
  const auto start = std::chrono::steady_clock::now();
  for (int b = 1; b <= batches; ++b) {
    kerbside::v1::AgentMessage m;
    auto* batch = m.mutable_evidence();
    batch->set_source("bench");
    batch->set_sequence(b);
    batch->mutable_health()->set_state(kerbside::v1::SourceHealth::OK);
    for (int i = 0; i < items; ++i) {
      auto* e = batch->add_items();
      e->set_host(argv[5]);
      e->set_source("bench");
      e->set_origin("bench");
      *e->mutable_observed_host_time() = kerbside::ToProto(absl::Now());
      auto* q = e->mutable_queues()->add_queues();
      q->set_identity("BENCH\\" + std::to_string(i));
      q->set_status("Retry");
      q->set_next_hop_domain("ex02.bench.test");
      q->set_message_count(1);
      q->mutable_last_error()->set_raw(std::string(item_bytes, 'x'));
    }
    if (!stream->Write(m)) break;
    bool acked = false;
    while (stream->Read(&reply)) {
      if (reply.has_evidence_ack() && reply.evidence_ack().sequence() == uint64_t(b)) {
        acked = true;
        break;
      }
    }
    if (!acked) {
      grpc::Status s = stream->Finish();
      std::fprintf(stderr, "batch %d not acknowledged: %d %s\n", b, s.error_code(),
                   s.error_message().c_str());
      return 1;
    }
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  std::printf("%lld\n", static_cast<long long>(ms));
  stream->WritesDone();
  return 0;
}
