#include "agent/stream_client.h"

#include <thread>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/grpc_tls.h"
#include "common/identity.h"
#include "common/proto_time.h"
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
  std::unique_lock lock(mu_);
  ++published_;
  cv_.notify_all();
}

v1::Inventory StreamClient::inventory() const {
  std::unique_lock lock(mu_);
  return inventory_;
}

void StreamClient::Stop() {
  std::unique_lock lock(mu_);
  stop_ = true;
  cv_.notify_all();
}

bool StreamClient::WaitForStopOrTimeout(absl::Duration timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] { return stop_; });
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
    {
      std::unique_lock lock(mu_);
      if (stop_) break;
    }
    absl::Status ended = RunSession();
    {
      std::unique_lock lock(mu_);
      if (stop_) break;
    }
    const absl::Duration wait = backoff_.Next();
    spdlog::warn("stream to {} ended: {}; reconnecting in {}", config_.collector, ended.ToString(),
                 absl::FormatDuration(absl::Trunc(wait, absl::Milliseconds(1))));
    if (absl::IsUnavailable(ended)) CheckClockAgainstCertificates();
    if (WaitForStopOrTimeout(wait)) break;
  }
  spdlog::info("stream client stopped");
}

absl::Status StreamClient::RunSession() {
  // A fresh channel per attempt keeps reconnection timing ours, not the channel's own backoff.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 60 * 1000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(config_.collector, credentials_, args);
  auto stub = v1::AgentService::NewStub(channel);

  grpc::ClientContext context;
  auto stream = stub->Connect(&context);

  std::mutex write_mu;  // the stream allows one writer at a time
  auto write = [&](const v1::AgentMessage& m) {
    std::lock_guard lock(write_mu);
    return stream->Write(m);
  };

  v1::AgentMessage hello;
  *hello.mutable_hello()->mutable_identity() = config_.identity;
  *hello.mutable_hello()->mutable_sent_host_time() = ToProto(clock_->Now());
  hello.mutable_hello()->set_spool_id(spool_->id());
  bool writable = write(hello);

  // Shared between this thread (timers) and the reader thread.
  struct SessionState {
    bool established = false;
    bool reader_done = false;
    absl::Duration heartbeat_interval;
    absl::Duration exchange_interval = absl::Seconds(10);
  };
  std::mutex state_mu;
  std::condition_variable state_cv;
  SessionState state;
  state.heartbeat_interval = config_.heartbeat_interval;

  std::thread reader([&] {
    v1::CollectorMessage m;
    while (stream->Read(&m)) {
      switch (m.kind_case()) {
        case v1::CollectorMessage::kHelloAck: {
          std::unique_lock lock(state_mu);
          state.established = true;
          if (m.hello_ack().has_heartbeat_interval()) {
            state.heartbeat_interval = FromProto(m.hello_ack().heartbeat_interval());
          }
          if (m.hello_ack().has_time_exchange_interval()) {
            state.exchange_interval = FromProto(m.hello_ack().time_exchange_interval());
          }
          state_cv.notify_all();
          spdlog::info("connected to collector {} (version {}) as {}", config_.collector,
                       m.hello_ack().collector_version(), config_.identity.netbios_name());
          break;
        }
        case v1::CollectorMessage::kTimeReply: {
          // t4 first: anything done before it widens the measured delay.
          const absl::Time t4 = clock_->Now();
          v1::AgentMessage sample;
          v1::TimeSample* ts = sample.mutable_time_sample();
          ts->set_exchange_id(m.time_reply().exchange_id());
          *ts->mutable_t1_agent_send() = m.time_reply().t1_agent_send();
          *ts->mutable_t2_collector_receive() = m.time_reply().t2_collector_receive();
          *ts->mutable_t3_collector_send() = m.time_reply().t3_collector_send();
          *ts->mutable_t4_agent_receive() = ToProto(t4);
          write(sample);
          break;
        }
        case v1::CollectorMessage::kEvidenceAck: {
          spdlog::debug("evidence batch {} acknowledged", m.evidence_ack().sequence());
          if (auto acked = spool_->Acknowledge(m.evidence_ack().sequence());
              acked.has_value() && on_acknowledged_) {
            on_acknowledged_(*acked);
          }
          break;
        }
        case v1::CollectorMessage::kInventory: {
          // Sent at connect and when the fleet changes: rare enough to log at info.
          std::vector<std::string> names;
          for (const auto& h : m.inventory().hosts()) names.push_back(h.netbios_name());
          spdlog::info("inventory from the collector: {} hosts ({})", names.size(),
                       absl::StrJoin(names, ", "));
          std::unique_lock lock(mu_);
          inventory_ = m.inventory();
          break;
        }
        case v1::CollectorMessage::KIND_NOT_SET:
          break;
      }
    }
    {
      std::unique_lock lock(state_mu);
      state.reader_done = true;
      state_cv.notify_all();
    }
    std::unique_lock lock(mu_);
    cv_.notify_all();  // wakes the timer loop below at once
  });

  // A new session owes the collector everything the spool holds: nothing is sent yet.
  uint64_t sent_up_to = 0;
  uint64_t seen_published = 0;
  bool counted = false;
  bool backoff_reset = false;
  std::chrono::steady_clock::time_point established_at;
  uint64_t exchange_id = 0;
  int burst_left = kBurstExchanges;
  absl::Time next_heartbeat = clock_->Now();
  absl::Time next_exchange = clock_->Now();
  while (writable) {
    {
      std::unique_lock lock(mu_);
      if (stop_) break;
    }
    absl::Duration heartbeat_interval, exchange_interval;
    {
      std::unique_lock lock(state_mu);
      if (state.reader_done) break;
      if (state.established && !counted) {
        counted = true;
        established_at = std::chrono::steady_clock::now();
        std::unique_lock l(mu_);
        ++sessions_established_;
      }
      // A hello accepted is not a working stream: one that ends right after it (a batch the
      // collector cannot take, say) must not reconnect at the initial backoff forever. The
      // backoff starts again only after a session lived as long as its longest delay.
      if (counted && !backoff_reset &&
          std::chrono::steady_clock::now() - established_at >=
              absl::ToChronoNanoseconds(config_.backoff_max)) {
        backoff_reset = true;
        backoff_.Reset();
      }
      heartbeat_interval = state.heartbeat_interval;
      exchange_interval = state.exchange_interval;
      if (!state.established) {
        // Until the collector accepts the hello, wait for its answer (or the stream's end).
        state_cv.wait_for(lock, std::chrono::milliseconds(100));
        continue;
      }
    }
    const absl::Time now = clock_->Now();
    if (now >= next_heartbeat) {
      v1::AgentMessage hb;
      *hb.mutable_heartbeat()->mutable_sent_host_time() = ToProto(now);
      hb.mutable_heartbeat()->set_spooled_batches(spool_->pending_count());
      writable = write(hb);
      next_heartbeat = now + heartbeat_interval;
    }
    if (writable) {
      {
        std::unique_lock lock(mu_);
        seen_published = published_;
      }
      for (v1::EvidenceBatch& batch : spool_->PendingAfter(sent_up_to)) {
        v1::AgentMessage m;
        *m.mutable_evidence() = std::move(batch);
        m.mutable_evidence()->clear_resume_token();  // the host's own business
        if (!(writable = write(m))) break;
        sent_up_to = m.evidence().sequence();
        spdlog::debug("sent evidence batch {} of {} ({} items)", m.evidence().sequence(),
                      m.evidence().source(), m.evidence().items_size());
      }
    }
    if (writable && now >= next_exchange) {
      v1::AgentMessage req;
      req.mutable_time_request()->set_exchange_id(++exchange_id);
      *req.mutable_time_request()->mutable_t1_agent_send() = ToProto(clock_->Now());
      writable = write(req);
      next_exchange = now + (burst_left-- > 1 ? kBurstSpacing : exchange_interval);
    }
    const absl::Duration wait = std::min(next_heartbeat, next_exchange) - clock_->Now();
    std::unique_lock lock(mu_);
    const bool have_pending = published_ != seen_published;
    if (!stop_ && !have_pending && wait > absl::ZeroDuration()) {
      cv_.wait_for(lock, absl::ToChronoNanoseconds(wait));
    }
  }

  bool stopping;
  {
    std::unique_lock lock(mu_);
    stopping = stop_;
  }
  if (stopping) {
    // Say goodbye so the collector records a clean disconnect, but never hang on it.
    {
      std::lock_guard lock(write_mu);
      stream->WritesDone();
    }
    std::unique_lock lock(state_mu);
    state_cv.wait_for(lock, absl::ToChronoNanoseconds(kGoodbyeTimeout),
                      [&] { return state.reader_done; });
  }
  {
    std::unique_lock lock(state_mu);
    if (!state.reader_done) context.TryCancel();
  }
  reader.join();
  const grpc::Status status = stream->Finish();
  if (stopping) return absl::CancelledError("stopping");
  if (status.ok()) return absl::UnavailableError("the collector closed the stream");
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), DescribeFailure(status));
}

}  // namespace kerbside::agent
