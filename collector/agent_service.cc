#include "collector/agent_service.h"

#include <deque>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "collector/agent_session.h"
#include "common/grpc_tls.h"
#include "common/proto_time.h"
#include "spdlog/spdlog.h"

namespace kerbside::collector {
namespace {

// Messages queued for one agent before the collector gives up on it: a session writes a few per
// message it reads (an ack, a time reply, the inventory), so an agent that stops reading fills
// this only if it keeps sending.
constexpr size_t kMaxQueuedWrites = 256;

// Evidence batches of one stream with the ingest writer at once. Reads go on beside them:
// with one at a time a stream waited a commit per batch, and ingest was latency-bound (issue
// 17). At the bound the stream reads nothing more until the writer answers one, so an agent
// sending faster than the disk takes it is held back by HTTP/2 flow control.
constexpr int kMaxBatchesStoring = 4;

grpc::Status Refuse(grpc::StatusCode code, const std::string& peer, const std::string& why) {
  spdlog::warn("agent stream refused peer={} reason=\"{}\"", peer, why);
  return grpc::Status(code, why);
}

// absl and gRPC status codes share their numbers.
grpc::Status Refuse(const absl::Status& s, const std::string& peer) {
  return Refuse(static_cast<grpc::StatusCode>(s.code()), peer, std::string(s.message()));
}

}  // namespace

// One agent stream as a reactor: gRPC calls OnReadDone for each message (never two at once),
// OnWriteDone as each queued message leaves (possibly at the same time as a read), OnDone last.
// The session runs in OnReadDone; its writes go to a queue with one write in flight. Evidence
// batches are finished on the ingest writer's threads (Resume), beside the reads; Finish waits
// for the last of them, so the reactor (and the session the writer calls back) outlives them.
//
// Finish called outside a reaction (from the writer's thread) may run OnDone, which deletes
// the reactor, on another thread before Finish returns: FinishIfDone is therefore always the
// last thing its caller does.
class AgentConnection : public grpc::ServerBidiReactor<v1::AgentMessage, v1::CollectorMessage> {
 public:
  AgentConnection(AgentServiceImpl* service, grpc::CallbackServerContext* context)
      : service_(service), context_(context), peer_(context->peer()) {
    auto admitted = service_->streams_.Admit(context_, peer_);
    if (!admitted.ok()) {
      End(Refuse(grpc::StatusCode::RESOURCE_EXHAUSTED, peer_,
                 std::string(admitted.status().message())));
      return;
    }
    registration_ = *std::move(admitted);
    auto cert = service_->AuthenticatePeer(*context_);
    if (!cert.ok()) {
      End(Refuse(cert.status(), peer_));
      return;
    }
    cert_ = *std::move(cert);
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // Before the hello: the agent went away. After it: the agent's goodbye (WritesDone), or
      // a cancellation (the watchdog's, or the client's), which gRPC reports itself.
      End(session_ ? grpc::Status::OK : grpc::Status::CANCELLED);
      return;
    }
    if (!session_) {
      if (!OnHello()) return;
    } else if (!OnMessage()) {
      return;
    }
    StartRead(&in_);
  }

  // One of the session's batches is stored and answered (on the ingest writer's thread). Until
  // here Finish waited for it, so the reactor is alive; a read paused at the bound starts again.
  // A batch that failed to store ends the stream too (AgentSession::store_failed); while reads
  // go on, the next message ends it (OnMessage), at the latest a heartbeat interval later.
  void Resume() {
    std::unique_lock lock(mu_);
    --storing_;
    if (paused_ && !finishing_) {
      paused_ = false;
      const bool store_failed = session_->store_failed();
      if (!broken_ && !store_failed) {
        lock.unlock();
        StartRead(&in_);
        return;
      }
      finishing_ = true;
      if (broken_) {
        finish_status_ = grpc::Status::OK;
        DropQueuedLocked();
      } else {
        finish_status_ = StoreFailedStatus();  // the acknowledgements queued still go out
      }
    }
    FinishIfDone(lock);
  }

  static grpc::Status StoreFailedStatus() {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "an evidence batch could not be stored: reconnect and send every "
                        "unacknowledged batch again, in order");
  }

  void OnWriteDone(bool ok) override {
    std::unique_lock lock(mu_);
    writing_ = false;
    outbox_.pop_front();
    if (!ok) {
      broken_ = true;
      DropQueuedLocked();
    }
    WriteNextLocked();
    FinishIfDone(lock);
  }

  void OnDone() override {
    if (session_ && !superseded_) {
      service_->fleet_->Disconnected(session_->name(), token_);
      spdlog::info("agent disconnected host={} peer={}", session_->name(), peer_);
    }
    delete this;
  }

 private:
  // The first message: the hello. False when the stream was ended.
  bool OnHello() {
    if (!in_.has_hello()) {
      End(Refuse(grpc::StatusCode::FAILED_PRECONDITION, peer_,
                 "the first message on the stream must be a hello"));
      return false;
    }
    auto id = AcceptHello(*in_.mutable_hello(), cert_);
    if (!id.ok()) {
      End(Refuse(id.status(), peer_));
      return false;
    }
    const std::string name = HostKey(id->netbios_name());
    const absl::Duration hello_skew =
        FromProto(in_.hello().sent_host_time()) - service_->clock_->Now();
    spdlog::info(
        "agent connected host={} fqdn={} role={} site={} peer={} version={} "
        "hello_clock_difference={}",
        name, id->fqdn(), v1::Role_Name(id->role()), id->site(), peer_, id->agent_version(),
        absl::FormatDuration(hello_skew));
    token_ = service_->fleet_->Connected(*id, peer_, cert_ ? cert_->subject : "");
    registration_->Identified(name, token_);
    // Bounded like every string from the wire; an agent without a spool id gets no dedupe.
    session_.emplace(service_->MakeSessionContext(), *std::move(id), token_,
                     in_.hello().spool_id().substr(0, 64), peer_, [this](v1::CollectorMessage&& m) {
                       return Enqueue(Outgoing{std::move(m), nullptr});
                     });
    session_->set_shared_writer([this](std::shared_ptr<const v1::CollectorMessage> m) {
      return Enqueue(Outgoing{{}, std::move(m)});
    });
    session_->set_inventory_deltas(in_.hello().inventory_deltas());
    session_->set_resume([this] { Resume(); });
    session_->Start();
    return Writable();
  }

  // Every later message. False when the stream was ended, or when kMaxBatchesStoring batches
  // are with the ingest writer (Resume reads on; until then in_ is not ours to touch).
  bool OnMessage() {
    // Taken first, before any other work, so t2 is as close to arrival as we can get.
    const absl::Time t2 = service_->clock_->Now();
    registration_->Touch();
    // Counted before Handle: the writer may answer the batch (Resume) before Handle returns.
    const bool evidence = in_.has_evidence();
    if (evidence) {
      std::lock_guard lock(mu_);
      ++storing_;
    }
    absl::StatusOr<AgentSession::Handled> handled = session_->Handle(in_, t2);
    if (evidence && !(handled.ok() && *handled == AgentSession::Handled::kStoring)) {
      std::lock_guard lock(mu_);
      --storing_;
    }
    if (absl::IsAborted(handled.status())) {
      // Superseded: the host belongs to the newer stream now, not ours to disconnect.
      superseded_ = true;
      End(grpc::Status(grpc::StatusCode::ABORTED, std::string(handled.status().message())));
      return false;
    }
    if (!handled.ok()) {
      End(grpc::Status(static_cast<grpc::StatusCode>(handled.status().code()),
                       std::string(handled.status().message())));
      return false;
    }
    if (session_->store_failed()) {
      End(StoreFailedStatus());
      return false;
    }
    if (*handled == AgentSession::Handled::kStoring) {
      std::lock_guard lock(mu_);
      if (storing_ >= kMaxBatchesStoring) {
        paused_ = true;
        return false;
      }
    }
    return Writable();
  }

  // False (and the stream ended) once a write failed or the agent stopped reading.
  bool Writable() {
    bool broken;
    {
      std::lock_guard lock(mu_);
      broken = broken_;
    }
    if (broken) End(grpc::Status::OK);
    return !broken;
  }

  // Also while finishing: the acknowledgements of batches the writer still holds go out before
  // the stream's status.
  // A message to the agent: its own, or one shared with other streams (the whole inventory:
  // StartWrite only reads it, and protobuf 3.21 serializes a const message from several threads
  // at once safely, its cached sizes being atomic).
  struct Outgoing {
    v1::CollectorMessage owned;
    std::shared_ptr<const v1::CollectorMessage> shared;
    const v1::CollectorMessage* get() const { return shared != nullptr ? shared.get() : &owned; }
  };
  bool Enqueue(Outgoing&& m) {
    std::lock_guard lock(mu_);
    if (broken_ || finished_) return false;
    if (outbox_.size() >= kMaxQueuedWrites) {
      spdlog::warn("agent stream peer={} closed: {} messages wait for it; it does not read", peer_,
                   outbox_.size());
      broken_ = true;
      return false;
    }
    outbox_.push_back(std::move(m));
    WriteNextLocked();
    return true;
  }

  // Finishes the stream once the queued writes have left and the writer answered every batch
  // (at once if nothing is in flight).
  void End(grpc::Status status) {
    std::unique_lock lock(mu_);
    if (finishing_) return;
    finishing_ = true;
    finish_status_ = std::move(status);
    if (broken_) DropQueuedLocked();
    FinishIfDone(lock);
  }

  // Drops what waits to be written. The message in flight stays at the front until OnWriteDone
  // takes it off.
  void DropQueuedLocked() { outbox_.erase(outbox_.begin() + (writing_ ? 1 : 0), outbox_.end()); }

  void WriteNextLocked() {
    if (writing_ || outbox_.empty() || broken_) return;
    writing_ = true;
    // With more messages queued behind this one, gRPC may hold it and send it with them: the
    // write completes once buffered, the next one starts at once, and the last (unhinted)
    // flushes them all in one TLS record and one send. The ingest writer answers a stream's
    // batches of one commit back to back, and each acknowledgement written on its own cost a
    // record and a syscall (issue 17). A queue never ends with a hinted message, and Finish
    // flushes too.
    StartWrite(outbox_.front().get(),
               outbox_.size() > 1 ? grpc::WriteOptions().set_buffer_hint() : grpc::WriteOptions());
  }

  // The last thing its caller does (see the class comment); unlocks `lock`.
  void FinishIfDone(std::unique_lock<std::mutex>& lock) {
    if (!finishing_ || finished_ || writing_ || storing_ > 0) return;
    finished_ = true;
    grpc::Status status = std::move(finish_status_);
    lock.unlock();
    Finish(std::move(status));
  }

  AgentServiceImpl* service_;
  grpc::CallbackServerContext* context_;
  const std::string peer_;
  std::unique_ptr<AgentStream> registration_;
  std::optional<CertificateIdentity> cert_;
  v1::AgentMessage in_;
  // Reader side only (OnReadDone, never concurrent with itself).
  std::optional<AgentSession> session_;
  uint64_t token_ = 0;
  bool superseded_ = false;

  std::mutex mu_;
  std::deque<Outgoing> outbox_;  // guarded by mu_; front() is in flight if writing_
  bool writing_ = false;         // guarded by mu_
  bool broken_ = false;          // guarded by mu_: a write failed or overflowed
  bool finishing_ = false;       // guarded by mu_
  bool finished_ = false;        // guarded by mu_
  int storing_ = 0;              // guarded by mu_: batches with the ingest writer, not yet answered
  bool paused_ = false;          // guarded by mu_: no read outstanding until Resume
  grpc::Status finish_status_;   // guarded by mu_
};

absl::StatusOr<std::optional<CertificateIdentity>> AgentServiceImpl::AuthenticatePeer(
    const grpc::ServerContextBase& context) const {
  if (options_.plaintext) return std::optional<CertificateIdentity>();
  auto c = PeerCertificate(context);
  if (!c.ok()) return absl::UnauthenticatedError(c.status().ToString());
  ApplyTemplateRoles(options_.template_roles, &*c);
  if (c->role != CertificateRole::kHost) {
    return absl::PermissionDeniedError(absl::StrCat("certificate ", c->subject, " is a ",
                                                    CertificateRoleName(c->role),
                                                    " certificate, not a kerbside-host one"));
  }
  return std::optional<CertificateIdentity>(*std::move(c));
}

SessionContext AgentServiceImpl::MakeSessionContext() {
  return SessionContext{.fleet = fleet_,
                        .store = store_,
                        .clock = clock_,
                        .stored = &stored_,
                        .heartbeat_interval = options_.heartbeat_interval,
                        .time_exchange_interval = options_.time_exchange_interval,
                        .event_window = options_.event_window,
                        .on_ingest = options_.on_ingest,
                        .writer = &writer_};
}

grpc::ServerBidiReactor<v1::AgentMessage, v1::CollectorMessage>* AgentServiceImpl::Connect(
    grpc::CallbackServerContext* context) {
  return new AgentConnection(this, context);
}

}  // namespace kerbside::collector
