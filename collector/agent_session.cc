#include "collector/agent_session.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "collector/evidence_authority.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "common/text/escape.h"
#include "common/time_exchange.h"
#include "common/wire_limits.h"
#include "spdlog/spdlog.h"

namespace kerbside::collector {

namespace {
constexpr uint64_t kMaxReportedSpooledBatches = 1'000'000;
}  // namespace

absl::StatusOr<v1::HostIdentity> AcceptHello(v1::Hello& hello,
                                             const std::optional<CertificateIdentity>& cert) {
  // The hello's free-text fields reach logs, tables and alerts: shown, never obeyed (issue 12).
  v1::HostIdentity& id = *hello.mutable_identity();
  for (std::string* field :
       {id.mutable_site(), id.mutable_domain(), id.mutable_agent_version(), id.mutable_fqdn(),
        id.mutable_netbios_name(), id.mutable_exchange_version(), id.mutable_dag()}) {
    *field = text::BoundedForDisplay(*field, 255);
  }
  if (id.server_roles_size() > 8) {
    id.mutable_server_roles()->DeleteSubrange(8, id.server_roles_size() - 8);
  }
  for (std::string& r : *id.mutable_server_roles()) r = text::BoundedForDisplay(r, 64);
  if (id.netbios_name().empty() || id.fqdn().empty()) {
    return absl::InvalidArgumentError(
        "hello: identity.netbios_name and identity.fqdn are required");
  }
  if (cert) {
    absl::Status covers = CheckCertificateCoversHost(*cert, id.netbios_name(), id.fqdn());
    if (!covers.ok()) return absl::PermissionDeniedError(covers.message());
    // An Exchange server that claims to be a DC (and the PDC emulator, the fleet's clock
    // reference) is refused (issue 12).
    absl::Status role = CheckCertificateGrantsRole(*cert, id);
    if (!role.ok()) return absl::PermissionDeniedError(role.message());
  }
  return id;
}

void BoundBatchForDisplay(v1::EvidenceBatch& batch) {
  batch.set_source(text::BoundedForDisplay(batch.source(), 64));
  batch.mutable_health()->set_reason(text::BoundedForDisplay(batch.health().reason(), 2048));
  for (v1::Evidence& item : *batch.mutable_items()) {
    item.set_origin(text::BoundedForDisplay(item.origin(), 512));
    item.set_source(text::BoundedForDisplay(item.source(), 64));
  }
}

v1::SourceHealth HealthWithRefusals(v1::SourceHealth health,
                                    const std::vector<std::string>& refusals) {
  if (refusals.empty()) return health;
  if (health.state() == v1::SourceHealth::OK) health.set_state(v1::SourceHealth::DEGRADED);
  health.set_reason(absl::StrCat(health.reason(), health.reason().empty() ? "" : "; ",
                                 "the collector refused ", refusals.size(),
                                 " item(s): ", refusals.front()));
  return health;
}

AgentSession::AgentSession(SessionContext ctx, v1::HostIdentity id, uint64_t token,
                           std::string spool_id, std::string peer, Writer write)
    : ctx_(std::move(ctx)),
      id_(std::move(id)),
      name_(HostKey(id_.netbios_name())),
      token_(token),
      spool_id_(std::move(spool_id)),
      peer_(std::move(peer)),
      write_(std::move(write)) {}

bool AgentSession::Start() {
  Tell(IngestEvent::Kind::kConnected, "", 0);
  v1::CollectorMessage ack;
  ack.mutable_hello_ack()->set_collector_version(KERBSIDE_VERSION);
  *ack.mutable_hello_ack()->mutable_heartbeat_interval() = ToProto(ctx_.heartbeat_interval);
  *ack.mutable_hello_ack()->mutable_time_exchange_interval() = ToProto(ctx_.time_exchange_interval);
  Send(std::move(ack));
  SendInventoryIfChanged();
  return writable_;
}

absl::StatusOr<AgentSession::Handled> AgentSession::Handle(v1::AgentMessage& msg, absl::Time t2) {
  if (!ctx_.fleet->IsCurrent(name_, token_)) {
    // Two agents claiming one host (a cloned VM, a restarted agent whose old stream is not
    // yet dead): the newest wins, so clock samples of the two never mix.
    spdlog::warn("host={} peer={} superseded by a newer connection of the same host; closing",
                 name_, peer_);
    return absl::AbortedError("superseded by a newer connection claiming the same host");
  }
  ctx_.fleet->Seen(name_);
  SendInventoryIfChanged();
  switch (msg.kind_case()) {
    case v1::AgentMessage::kHeartbeat:
      // A count from the wire, bounded: an agent's spool holds at most a few thousand batches.
      ctx_.fleet->NoteSpooled(
          name_, std::min<uint64_t>(msg.heartbeat().spooled_batches(), kMaxReportedSpooledBatches));
      return Handled::kDone;
    case v1::AgentMessage::kTimeRequest:
      OnTimeRequest(msg.time_request(), t2);
      return Handled::kDone;
    case v1::AgentMessage::kTimeSample:
      OnTimeSample(msg.time_sample());
      return Handled::kDone;
    case v1::AgentMessage::kEvidence: {
      return OnEvidence(*msg.mutable_evidence(), t2);
    }
    case v1::AgentMessage::kInventoryRequest:
      // The agent's copy went astray: the whole list next (coalesced like every inventory, so
      // an agent asking again and again gets no more than one per heartbeat interval).
      inventory_sent_ = 0;
      SendInventoryIfChanged();
      return Handled::kDone;
    case v1::AgentMessage::kHello:
      spdlog::warn("host={} sent a second hello on one stream; ignored", name_);
      return Handled::kDone;
    case v1::AgentMessage::KIND_NOT_SET:
      spdlog::warn("host={} sent an empty message (newer agent?); ignored", name_);
      return Handled::kDone;
  }
  return Handled::kDone;
}

void AgentSession::OnTimeRequest(const v1::TimeRequest& request, absl::Time t2) {
  v1::CollectorMessage reply;
  v1::TimeReply* r = reply.mutable_time_reply();
  r->set_exchange_id(request.exchange_id());
  *r->mutable_t1_agent_send() = request.t1_agent_send();
  *r->mutable_t2_collector_receive() = ToProto(t2);
  const absl::Time t3 = ctx_.clock->Now();
  *r->mutable_t3_collector_send() = ToProto(t3);
  pending_.push_back({request.exchange_id(), t2, t3});
  if (pending_.size() > kMaxPendingExchanges) pending_.pop_front();
  Send(std::move(reply));
}

void AgentSession::OnTimeSample(const v1::TimeSample& ts) {
  auto it = std::find_if(pending_.begin(), pending_.end(),
                         [&](const PendingExchange& p) { return p.id == ts.exchange_id(); });
  if (it == pending_.end()) {
    spdlog::warn("host={} time sample for unknown exchange {}; ignored", name_, ts.exchange_id());
    return;
  }
  const ExchangeTimestamps stamps{FromProto(ts.t1_agent_send()), it->t2, it->t3,
                                  FromProto(ts.t4_agent_receive())};
  pending_.erase(it);
  auto sample = ComputeClockSample(stamps);
  if (!sample.ok()) {
    spdlog::warn("host={} {}", name_, std::string(sample.status().message()));
    return;
  }
  spdlog::debug("host={} clock offset={} delay={}", name_, absl::FormatDuration(sample->offset),
                absl::FormatDuration(sample->delay));
  if (absl::Status s = ctx_.fleet->AddClockSample(name_, *sample); !s.ok()) {
    spdlog::error("host={} cannot keep clock sample: {}", name_, s.ToString());
  }
  Tell(IngestEvent::Kind::kClockSample, "", 0);
}

absl::StatusOr<AgentSession::Handled> AgentSession::OnEvidence(v1::EvidenceBatch& batch,
                                                               absl::Time t2) {
  BoundBatchForDisplay(batch);
  if (ctx_.stored->AlreadyStored(name_, spool_id_, batch.source(), batch.sequence())) {
    spdlog::info("host={} source={} batch={} already stored; acknowledged again", name_,
                 batch.source(), batch.sequence());
    Acknowledge(batch.sequence());
    return Handled::kDone;
  }
  if (store_failed()) {
    // Neither stored nor acknowledged: the agent sends it again after the failed one.
    spdlog::warn(
        "host={} source={} batch={}: not stored: an earlier batch of this stream was "
        "not; the stream ends and the agent sends both again",
        name_, batch.source(), batch.sequence());
    Tell(IngestEvent::Kind::kBatchFailed, batch.source(), batch.items_size());
    return Handled::kDone;
  }
  if (!ctx_.stored->AdmitSource(name_, batch.source())) {
    // Acknowledged (sent again it would be refused again) but not stored.
    spdlog::warn(
        "host={} source={} batch={}: not stored: this host already stores {} sources, the most "
        "one host may",
        name_, batch.source(), batch.sequence(), StoredBatches::kMaxStoredSourcesPerHost);
    Tell(IngestEvent::Kind::kBatchFailed, batch.source(), batch.items_size());
    Acknowledge(batch.sequence());
    return Handled::kDone;
  }
  if (static_cast<size_t>(batch.items_size()) > kMaxBatchItems) {
    // No agent of ours sends this (it cuts its own batches): refuse it and end the stream
    // rather than spend memory and time on it, and never acknowledge it.
    absl::Status refused = absl::ResourceExhaustedError(
        absl::StrCat("evidence batch ", batch.sequence(), " of source ", batch.source(), ": ",
                     batch.items_size(), " items, more than ", kMaxBatchItems));
    spdlog::error("host={} {} ({} bytes); stream ended", name_, std::string(refused.message()),
                  batch.ByteSizeLong());
    Tell(IngestEvent::Kind::kBatchFailed, batch.source(), batch.items_size());
    return refused;
  }
  AcceptedItems accepted = AcceptItems(batch, t2);
  StoredBatch done{.source = batch.source(),
                   .sequence = batch.sequence(),
                   .items = accepted.items.size(),
                   .health = HealthWithRefusals(batch.health(), accepted.refusals),
                   .domain_roles = {}};
  if (!accepted.foreign.ok()) {
    FinishEvidence(done, accepted.foreign);
    return Handled::kDone;
  }
  for (const v1::Evidence& item : accepted.items) {
    if (item.kind_case() == v1::Evidence::kDomainRoles) {
      done.domain_roles.push_back(item.domain_roles());
    }
  }
  std::vector<SourceSnapshot> snapshot(1);
  snapshot[0] = SourceSnapshot{
      .host = name_,
      .source = batch.source(),
      .health = done.health,
      .received_at = t2,
      .items = std::move(accepted.items),
      .window = {.since = t2 - ctx_.event_window,
                 .host_offset =
                     ctx_.fleet->OffsetVsCollector(name_).value_or(absl::ZeroDuration())},
      .stream = token_};
  if (ctx_.writer == nullptr) {
    const absl::Status stored = ctx_.store->ReplaceSourcesEvidence(snapshot).front();
    if (!stored.ok()) store_failed_.store(true, std::memory_order_release);
    FinishEvidence(done, stored);
    return Handled::kDone;
  }
  // Finished on the writer's thread, beside the next messages' Handle: FinishEvidence touches
  // only shared state that is thread-safe and the stream's writes.
  ctx_.writer->Submit(std::move(snapshot[0]), [this, done = std::move(done)](absl::Status stored) {
    // Before the resume below, which ends the stream when it is set.
    if (!stored.ok()) store_failed_.store(true, std::memory_order_release);
    FinishEvidence(done, stored);
    // A copy: the last call may end the stream, and with it this session.
    if (std::function<void()> resume = resume_; resume) resume();
  });
  return Handled::kStoring;
}

void AgentSession::FinishEvidence(const StoredBatch& batch, const absl::Status& stored) {
  if (!stored.ok()) {
    // Not acknowledged: the agent keeps the batch and sends it again.
    spdlog::error("host={} evidence batch {} not stored: {}", name_, batch.sequence,
                  stored.ToString());
    Tell(IngestEvent::Kind::kBatchFailed, batch.source, static_cast<int>(batch.items));
    return;
  }
  spdlog::info("host={} source={} batch={} items={} health={} {}", name_, batch.source,
               batch.sequence, batch.items, v1::SourceHealth::State_Name(batch.health.state()),
               batch.health.reason());
  for (const v1::DomainRoles& roles : batch.domain_roles) ctx_.fleet->NoteDomainRoles(name_, roles);
  if (!ctx_.stored->Record(name_, spool_id_, batch.source, batch.sequence)) {
    spdlog::warn(
        "host={} source={} batch sequence {} jumps more than {} ahead; stored, but not "
        "remembered for duplicate detection",
        name_, batch.source, batch.sequence, StoredBatches::kMaxSequenceJump);
  }
  Tell(IngestEvent::Kind::kBatchStored, batch.source, static_cast<int>(batch.items));
  Acknowledge(batch.sequence);
}

AgentSession::AcceptedItems AgentSession::AcceptItems(v1::EvidenceBatch& batch,
                                                      absl::Time t2) const {
  AcceptedItems out;
  out.items.reserve(batch.items_size());
  for (v1::Evidence& item : *batch.mutable_items()) {
    // An agent speaks only for itself; evidence about other hosts names them as subject.
    if (HostKey(item.host()) != name_) {
      out.foreign = absl::PermissionDeniedError(
          absl::StrCat("evidence batch ", batch.sequence(), " carries an item for host '",
                       item.host(), "' on the stream of ", name_));
      return out;
    }
    std::string refusal;
    if (item.has_observed_host_time() &&
        absl::AbsDuration(FromProto(item.observed_host_time()) - t2) > kMaxHostClockError) {
      refusal =
          absl::StrCat(name_, " sent ", item.origin(), " observed at ",
                       absl::FormatTime(FromProto(item.observed_host_time())), ": more than ",
                       absl::FormatDuration(kMaxHostClockError), " from the collector's clock");
    } else if (absl::Status authority = CheckEvidenceAuthority(item, name_, id_.role());
               !authority.ok()) {
      refusal = std::string(authority.message());
    }
    if (!refusal.empty()) {
      // Refused item by item, the rest stored and the batch acknowledged (a refused batch
      // would come back forever); the refusal is logged and kept in the source's health.
      spdlog::warn("host={} source={} batch={} item refused: {}", name_, batch.source(),
                   batch.sequence(), refusal);
      out.refusals.push_back(std::move(refusal));
      continue;
    }
    out.items.push_back(std::move(item));  // the batch is ours: moved, not copied
    out.items.back().set_host(name_);
    *out.items.back().mutable_received_at() = ToProto(t2);
  }
  return out;
}

void AgentSession::SendInventoryIfChanged() {
  // The inventory goes down at connect and again when a host joined or changed, with a reply or
  // heartbeat: probes and the DC source find new Exchange servers without a restart. Changes
  // are coalesced to one inventory per heartbeat interval: while a fleet (re)connects, every
  // join changes the inventory, and sending the whole list to every agent at each one cost
  // traffic and memory of streams times fleet size (issue 17).
  if (!writable_ || ctx_.fleet->InventoryVersion() == inventory_sent_) return;
  const absl::Time now = ctx_.clock->Now();
  if (inventory_sent_at_ && now - *inventory_sent_at_ < ctx_.heartbeat_interval &&
      now >= *inventory_sent_at_) {
    return;
  }
  // To an agent that applies deltas and has a version, the hosts changed since; else (or when
  // the registry's change log no longer reaches that far back) the whole fleet.
  std::optional<v1::Inventory> delta;
  if (inventory_deltas_ && inventory_sent_ != 0)
    delta = ctx_.fleet->InventoryDelta(inventory_sent_);
  inventory_sent_at_ = now;
  if (!delta) {
    HostRegistry::SharedInventory full = ctx_.fleet->FullInventory();
    inventory_sent_ = full.version;
    Tell(IngestEvent::Kind::kInventorySent, "full", full.hosts, full.bytes);
    if (!write_shared_) {
      Send(v1::CollectorMessage(*full.message));
    } else if (writable_.load(std::memory_order_relaxed) &&
               !write_shared_(std::move(full.message))) {
      writable_.store(false, std::memory_order_relaxed);
    }
    return;
  }
  v1::CollectorMessage inventory;
  *inventory.mutable_inventory() = *std::move(delta);
  inventory_sent_ = inventory.inventory().version();
  // Counted so the traffic a join costs can be read off /metrics (issue 17: it must not grow
  // with the fleet). Only when someone listens: ByteSizeLong walks the whole delta.
  if (ctx_.on_ingest) {
    Tell(IngestEvent::Kind::kInventorySent, "delta", inventory.inventory().hosts_size(),
         static_cast<int64_t>(inventory.ByteSizeLong()));
  }
  Send(std::move(inventory));
}

void AgentSession::Acknowledge(uint64_t sequence) {
  v1::CollectorMessage reply;
  reply.mutable_evidence_ack()->set_sequence(sequence);
  Send(std::move(reply));
}

void AgentSession::Send(v1::CollectorMessage&& m) {
  if (writable_.load(std::memory_order_relaxed) && !write_(std::move(m))) {
    writable_.store(false, std::memory_order_relaxed);
  }
}

void AgentSession::Tell(IngestEvent::Kind kind, const std::string& source, int items,
                        int64_t bytes) const {
  if (ctx_.on_ingest) ctx_.on_ingest({kind, name_, source, items, bytes});
}

}  // namespace kerbside::collector
