#include "agent/stream_client.h"

#include <chrono>
#include <optional>
#include <thread>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/exchange_cadence.h"
#include "agent/inventory.h"
#include "common/grpc_tls.h"
#include "common/identity.h"
#include "common/proto_time.h"
#include "common/time_exchange.h"
#include "grpcpp/create_channel.h"
#include "spdlog/spdlog.h"

namespace kerbside::agent {
namespace {

// After connecting, a few quick exchanges give the collector a good clock estimate at once
// (like chrony's iburst) before settling on the collector's interval.
constexpr int kBurstExchanges = 4;
constexpr absl::Duration kBurstSpacing = absl::Milliseconds(250);
// How long a clean goodbye (WritesDone, then the collector closes) may take before cancelling.
constexpr absl::Duration kGoodbyeTimeout = absl::Seconds(2);

std::function<double()> JitterSource() {
  auto gen = std::make_shared<absl::BitGen>();
  return [gen] { return absl::Uniform<double>(*gen, 0.0, 1.0); };
}

std::string DescribeFailure(const grpc::Status& s) {
  return absl::StrCat(s.error_code(), " ", s.error_message(),
                      s.error_details().empty() ? "" : " (" + s.error_details() + ")");
}

}  // namespace

StreamClient::StreamClient(AgentConfig config,
                           std::shared_ptr<grpc::ChannelCredentials> credentials,
                           const Clock* clock, Spool* spool)
    : config_(std::move(config)),
      credentials_(std::move(credentials)),
      clock_(clock),
      spool_(spool),
      backoff_(config_.backoff_initial, config_.backoff_max, JitterSource()) {}

int StreamClient::sessions_established() const {
  std::unique_lock lock(mu_);
  return sessions_established_;
}

void StreamClient::Publish(v1::EvidenceBatch batch, bool supersedes) {
  const std::string source = batch.source();
  auto sequence = spool_->Append(std::move(batch), supersedes);
  if (!sequence.ok()) {
    spdlog::error("evidence of source {} not kept: {}", source, sequence.status().ToString());
    return;
  }
  if (const uint64_t dropped = spool_->TakeDroppedSinceLastCall(); dropped > 0) {
    spdlog::warn("spool full ({} bytes at most): dropped the {} oldest unacknowledged batches",
                 config_.spool_max_bytes, dropped);
  }
  wake_.Notify();
}

v1::Inventory StreamClient::inventory() const {
  std::unique_lock lock(mu_);
  return inventory_;
}

void StreamClient::Stop() { wake_.Stop(); }

bool StreamClient::WaitForStopOrTimeout(absl::Duration timeout) {
  return wake_.SleepUntil(clock_->Now() + timeout);
}

void StreamClient::CheckClockAgainstCertificates() {
  if (config_.plaintext) return;
  const absl::Time now = clock_->Now();
  for (const auto& [what, path] :
       {std::pair<std::string, std::string>{"this host's certificate", config_.tls.cert_file},
        {"the fleet CA", config_.tls.ca_file}}) {
    auto pem = ReadFileToString(path);
    if (!pem.ok()) continue;  // reported where the credentials were built
    auto cert = ParseCertificatePem(*pem);
    if (!cert.ok()) continue;
    const std::string problem = ClockOutsideValidity(what, *cert, now);
    if (!problem.empty()) spdlog::critical("CLOCK: {}", problem);
  }
}

void StreamClient::Run() {
  CheckClockAgainstCertificates();
  while (true) {
    if (wake_.stopped()) break;
    absl::Status ended = RunSession();
    if (wake_.stopped()) break;
    const absl::Duration wait = backoff_.Next();
    spdlog::warn("stream to {} ended: {}; reconnecting in {}", config_.collector, ended.ToString(),
                 absl::FormatDuration(absl::Trunc(wait, absl::Milliseconds(1))));
    if (absl::IsUnavailable(ended)) CheckClockAgainstCertificates();
    if (WaitForStopOrTimeout(wait)) break;
  }
  spdlog::info("stream client stopped");
}

// One stream from connect to end: owns the gRPC stream, its reader thread (the collector's
// messages) and the timers of this thread (heartbeats, the spool, clock exchanges).
class StreamClient::Session {
 public:
  explicit Session(StreamClient& client) : c_(client) {
    heartbeat_interval_ = c_.config_.heartbeat_interval;
  }
  // Returns why the stream ended.
  absl::Status Run();

 private:
  bool Write(const v1::AgentMessage& m);
  bool Stopping() const;

  // The reader thread.
  void ReadLoop();
  void OnHelloAck(const v1::HelloAck& ack);
  void OnTimeReply(const v1::TimeReply& reply);
  void OnInventory(const v1::Inventory& inventory);

  // This thread. False once the stream ended, the client stops or a write failed.
  bool WaitForHelloAck();
  void NoteSessionAge();
  void SendDue(absl::Time now);
  void SendSpool();
  void SleepUntilDue();
  // Ends the stream: a goodbye first when the client stops, the reader cancelled if it still
  // reads.
  void Hangup(bool stopping);

  StreamClient& c_;
  grpc::ClientContext context_;
  std::unique_ptr<v1::AgentService::Stub> stub_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::AgentMessage, v1::CollectorMessage>> stream_;
  std::mutex write_mu_;  // the stream allows one writer at a time

  // Shared with the reader thread, under state_mu_.
  std::mutex state_mu_;
  std::condition_variable state_cv_;
  bool established_ = false;
  bool reader_done_ = false;
  absl::Duration heartbeat_interval_;
  ExchangeCadence cadence_{absl::Seconds(10)};  // the collector's interval until its ack

  // This thread only. A new session owes the collector everything the spool holds.
  bool writable_ = true;
  uint64_t sent_up_to_ = 0;                   // the spool's last sequence sent on this stream
  std::optional<absl::Time> established_at_;  // the client's clock
  bool backoff_reset_ = false;
  uint64_t exchange_id_ = 0;
  int burst_left_ = kBurstExchanges;
  absl::Time next_heartbeat_;
  absl::Time next_exchange_;
};

absl::Status StreamClient::RunSession() { return Session(*this).Run(); }

bool StreamClient::Session::Write(const v1::AgentMessage& m) {
  std::lock_guard lock(write_mu_);
  return stream_->Write(m);
}

bool StreamClient::Session::Stopping() const { return c_.wake_.stopped(); }

absl::Status StreamClient::Session::Run() {
  // A fresh channel per attempt keeps reconnection timing ours, not the channel's own backoff.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 60 * 1000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
  stub_ = v1::AgentService::NewStub(
      grpc::CreateCustomChannel(c_.config_.collector, c_.credentials_, args));
  stream_ = stub_->Connect(&context_);

  v1::AgentMessage hello;
  *hello.mutable_hello()->mutable_identity() = c_.config_.identity;
  *hello.mutable_hello()->mutable_sent_host_time() = ToProto(c_.clock_->Now());
  hello.mutable_hello()->set_spool_id(c_.spool_->id());
  hello.mutable_hello()->set_inventory_deltas(true);
  writable_ = Write(hello);

  std::thread reader([this] { ReadLoop(); });
  if (WaitForHelloAck()) {
    next_heartbeat_ = next_exchange_ = c_.clock_->Now();
    while (writable_ && !Stopping()) {
      {
        std::unique_lock lock(state_mu_);
        if (reader_done_) break;
      }
      NoteSessionAge();
      SendDue(c_.clock_->Now());
      SleepUntilDue();
    }
  }
  const bool stopping = Stopping();
  Hangup(stopping);
  reader.join();
  const grpc::Status status = stream_->Finish();
  if (stopping) return absl::CancelledError("stopping");
  if (status.ok()) return absl::UnavailableError("the collector closed the stream");
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), DescribeFailure(status));
}

void StreamClient::Session::ReadLoop() {
  v1::CollectorMessage m;
  while (stream_->Read(&m)) {
    switch (m.kind_case()) {
      case v1::CollectorMessage::kHelloAck:
        OnHelloAck(m.hello_ack());
        break;
      case v1::CollectorMessage::kTimeReply:
        OnTimeReply(m.time_reply());
        break;
      case v1::CollectorMessage::kEvidenceAck:
        spdlog::debug("evidence batch {} acknowledged", m.evidence_ack().sequence());
        if (auto acked = c_.spool_->Acknowledge(m.evidence_ack().sequence());
            acked.has_value() && c_.on_acknowledged_) {
          c_.on_acknowledged_(*acked);
        }
        break;
      case v1::CollectorMessage::kInventory:
        OnInventory(m.inventory());
        break;
      case v1::CollectorMessage::KIND_NOT_SET:
        break;
    }
  }
  {
    std::unique_lock lock(state_mu_);
    reader_done_ = true;
    state_cv_.notify_all();
  }
  c_.wake_.Notify();  // the timer loop sees the end at once
}

void StreamClient::Session::OnHelloAck(const v1::HelloAck& ack) {
  {
    std::unique_lock lock(state_mu_);
    established_ = true;
    if (ack.has_heartbeat_interval()) heartbeat_interval_ = FromProto(ack.heartbeat_interval());
    if (ack.has_time_exchange_interval()) {
      cadence_.Reset(FromProto(ack.time_exchange_interval()));
    }
    state_cv_.notify_all();
  }
  spdlog::info("connected to collector {} (version {}) as {}", c_.config_.collector,
               ack.collector_version(), c_.config_.identity.netbios_name());
}

void StreamClient::Session::OnTimeReply(const v1::TimeReply& reply) {
  // t4 first: anything done before it widens the measured delay.
  const absl::Time t4 = c_.clock_->Now();
  v1::AgentMessage sample;
  v1::TimeSample* ts = sample.mutable_time_sample();
  ts->set_exchange_id(reply.exchange_id());
  *ts->mutable_t1_agent_send() = reply.t1_agent_send();
  *ts->mutable_t2_collector_receive() = reply.t2_collector_receive();
  *ts->mutable_t3_collector_send() = reply.t3_collector_send();
  *ts->mutable_t4_agent_receive() = ToProto(t4);
  Write(sample);
  // The agent's own reading of the same exchange sets how soon it measures again (the
  // collector computes and keeps its own from the sample).
  absl::StatusOr<ClockSample> measured =
      ComputeClockSample({.t1_host_send = FromProto(reply.t1_agent_send()),
                          .t2_reference_receive = FromProto(reply.t2_collector_receive()),
                          .t3_reference_send = FromProto(reply.t3_collector_send()),
                          .t4_host_receive = t4});
  if (measured.ok()) {
    std::unique_lock lock(state_mu_);
    cadence_.OnSample(*measured);
  }
}

void StreamClient::Session::OnInventory(const v1::Inventory& inventory) {
  // Sent at connect (the whole fleet) and, coalesced, when the fleet changes (only the hosts
  // that changed): rare enough to log at info.
  std::vector<std::string> names;
  InventoryApplied applied;
  uint64_t have_version;
  int have_hosts;
  {
    std::unique_lock lock(c_.mu_);
    applied = ApplyInventory(inventory, &c_.inventory_);
    have_version = c_.inventory_.version();
    have_hosts = c_.inventory_.hosts_size();
    // Named in the log up to a screenful; a large fleet is counted.
    for (const auto& h : c_.inventory_.hosts()) {
      if (names.size() == 20) {
        names.push_back("...");
        break;
      }
      names.push_back(h.netbios_name());
    }
  }
  if (applied == InventoryApplied::kGap) {
    spdlog::warn(
        "inventory delta from version {} does not apply to ours ({}): asking for the "
        "whole list",
        inventory.base_version(), have_version);
    v1::AgentMessage request;
    request.mutable_inventory_request()->set_have_version(have_version);
    Write(request);
    return;
  }
  spdlog::info(
      "inventory from the collector: {} hosts ({}){}", have_hosts, absl::StrJoin(names, ", "),
      applied == InventoryApplied::kMerged ? absl::StrCat(", ", inventory.hosts_size(), " changed")
                                           : std::string());
}

bool StreamClient::Session::WaitForHelloAck() {
  while (writable_ && !Stopping()) {
    std::unique_lock lock(state_mu_);
    if (reader_done_) return false;
    if (established_) {
      established_at_ = c_.clock_->Now();
      std::unique_lock l(c_.mu_);
      ++c_.sessions_established_;
      return true;
    }
    // Woken by the ack or the stream's end; the timeout notices Stop().
    state_cv_.wait_for(lock, std::chrono::milliseconds(100));
  }
  return false;
}

void StreamClient::Session::NoteSessionAge() {
  // A hello accepted is not a working stream: one that ends right after it (a batch the
  // collector cannot take, say) must not reconnect at the initial backoff forever. The backoff
  // starts again only after a session lived as long as its longest delay.
  if (backoff_reset_ || !established_at_ ||
      c_.clock_->Now() - *established_at_ < c_.config_.backoff_max) {
    return;
  }
  backoff_reset_ = true;
  c_.backoff_.Reset();
}

void StreamClient::Session::SendDue(absl::Time now) {
  absl::Duration heartbeat_interval, exchange_interval;
  {
    std::unique_lock lock(state_mu_);
    heartbeat_interval = heartbeat_interval_;
    if (cadence_.StepSeen(now, c_.monotonic_->Now())) {
      spdlog::warn("this host's clock was stepped: measuring it against the collector's now");
      next_exchange_ = now;
    }
    exchange_interval = cadence_.interval();
  }
  if (now >= next_heartbeat_) {
    v1::AgentMessage hb;
    *hb.mutable_heartbeat()->mutable_sent_host_time() = ToProto(now);
    hb.mutable_heartbeat()->set_spooled_batches(c_.spool_->pending_count());
    writable_ = Write(hb);
    next_heartbeat_ = now + heartbeat_interval;
  }
  if (writable_) SendSpool();
  if (writable_ && now >= next_exchange_) {
    v1::AgentMessage req;
    req.mutable_time_request()->set_exchange_id(++exchange_id_);
    *req.mutable_time_request()->mutable_t1_agent_send() = ToProto(c_.clock_->Now());
    writable_ = Write(req);
    next_exchange_ = now + (burst_left_-- > 1 ? kBurstSpacing : exchange_interval);
  }
}

void StreamClient::Session::SendSpool() {
  for (v1::EvidenceBatch& batch : c_.spool_->PendingAfter(sent_up_to_)) {
    v1::AgentMessage m;
    *m.mutable_evidence() = std::move(batch);
    m.mutable_evidence()->clear_resume_token();  // the host's own business
    if (!(writable_ = Write(m))) return;
    sent_up_to_ = m.evidence().sequence();
    spdlog::debug("sent evidence batch {} of {} ({} items)", m.evidence().sequence(),
                  m.evidence().source(), m.evidence().items_size());
  }
}

void StreamClient::Session::SleepUntilDue() {
  // A Publish() (a new batch for the spool) or the reader's end wakes it early.
  c_.wake_.WaitUntil(std::min(next_heartbeat_, next_exchange_));
}

void StreamClient::Session::Hangup(bool stopping) {
  if (stopping) {
    // Say goodbye so the collector records a clean disconnect, but never hang on it.
    {
      std::lock_guard lock(write_mu_);
      stream_->WritesDone();
    }
    std::unique_lock lock(state_mu_);
    state_cv_.wait_for(lock, absl::ToChronoNanoseconds(kGoodbyeTimeout),
                       [&] { return reader_done_; });
  }
  std::unique_lock lock(state_mu_);
  if (!reader_done_) context_.TryCancel();  // ends the reader's Read
}

}  // namespace kerbside::agent
