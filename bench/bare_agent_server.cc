// The baseline for the ingest benchmark (bench/collector_ingest.sh): a bare gRPC server of the
// agent service, built from the same Debian gRPC, with the same mutual TLS and the same message
// limit as the collector, on the same callback API, that does nothing with what it reads: it
// answers a hello with a HelloAck, each evidence batch with its EvidenceAck and a TimeRequest
// with a TimeReply (so bench/collector_reconnect.sh's agents count it as clocked), and drops the
// rest. Whatever kerbside-collector spends beyond it (checks, storage, the fleet model) is
// kerbside's own cost.
// usage: bare_agent_server ADDR CA CERT KEY     prints "listening on port N"; ends on SIGTERM.
#include <csignal>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/grpc_tls.h"
#include "common/mutex_mode.h"
#include "common/proto_time.h"
#include "common/signals.h"
#include "common/wire_limits.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "kerbside/v1/agent.grpc.pb.h"

namespace {

namespace v1 = kerbside::v1;

class BareConnection : public grpc::ServerBidiReactor<v1::AgentMessage, v1::CollectorMessage> {
 public:
  BareConnection() { StartRead(&in_); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      std::lock_guard lock(mu_);
      finishing_ = true;
      WriteNextLocked();
      return;
    }
    v1::CollectorMessage reply;
    if (in_.has_hello()) {
      reply.mutable_hello_ack()->set_collector_version("bare");
    } else if (in_.has_evidence()) {
      reply.mutable_evidence_ack()->set_sequence(in_.evidence().sequence());
    } else if (in_.has_time_request()) {
      v1::TimeReply* r = reply.mutable_time_reply();
      r->set_exchange_id(in_.time_request().exchange_id());
      *r->mutable_t1_agent_send() = in_.time_request().t1_agent_send();
      *r->mutable_t2_collector_receive() = kerbside::ToProto(kerbside::RealClock().Now());
      *r->mutable_t3_collector_send() = r->t2_collector_receive();
    }
    if (reply.kind_case() != v1::CollectorMessage::KIND_NOT_SET) {
      std::lock_guard lock(mu_);
      outbox_.push_back(std::move(reply));
      WriteNextLocked();
    }
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    writing_ = false;
    if (ok) {
      outbox_.pop_front();
    } else {
      outbox_.clear();
    }
    WriteNextLocked();
  }

  void OnDone() override { delete this; }

 private:
  void WriteNextLocked() {
    if (writing_) return;
    if (!outbox_.empty()) {
      writing_ = true;
      StartWrite(&outbox_.front());
    } else if (finishing_ && !finished_) {
      finished_ = true;
      Finish(grpc::Status::OK);
    }
  }

  v1::AgentMessage in_;
  std::mutex mu_;
  std::deque<v1::CollectorMessage> outbox_;
  bool writing_ = false;
  bool finishing_ = false;
  bool finished_ = false;
};

class BareService : public v1::AgentService::CallbackService {
  grpc::ServerBidiReactor<v1::AgentMessage, v1::CollectorMessage>* Connect(
      grpc::CallbackServerContext*) override {
    return new BareConnection();
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s ADDR CA CERT KEY\n", argv[0]);
    return 2;
  }
  kerbside::BlockTerminationSignals();
  // Configured as the collector is, so the ratio compares the work, not abseil's debug checks.
  kerbside::DisableMutexDeadlockDetection();
  auto creds = kerbside::MakeMutualTlsServerCredentials({argv[2], argv[3], argv[4]});
  if (!creds.ok()) {
    std::fprintf(stderr, "%s\n", creds.status().ToString().c_str());
    return 2;
  }
  BareService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(argv[1], *creds, &port);
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(static_cast<int>(kerbside::kMaxAgentMessageBytes));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::fprintf(stderr, "cannot listen on %s\n", argv[1]);
    return 1;
  }
  std::printf("listening on port %d\n", port);
  std::fflush(stdout);
  std::thread signals = kerbside::WaitForTerminationSignal(
      [&](int) { server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2)); });
  server->Wait();
  signals.join();
  return 0;
}
