#include "collector/agent_service.h"

#include <deque>

#include "absl/strings/str_cat.h"
#include "collector/evidence_authority.h"
#include "common/grpc_tls.h"
#include "common/proto_time.h"
#include "common/text/escape.h"
#include "common/wire_limits.h"
#include "spdlog/spdlog.h"

namespace kerbside::collector {
namespace {

// Replies whose TimeSample has not come back yet. The collector keeps its own t2/t3 rather than
// trusting the ones the agent echoes.
struct PendingExchange {
  uint64_t id;
  absl::Time t2;
  absl::Time t3;
};
constexpr size_t kMaxPendingExchanges = 16;

grpc::Status Refuse(grpc::StatusCode code, const std::string& peer, const std::string& why) {
  spdlog::warn("agent stream refused peer={} reason=\"{}\"", peer, why);
  return grpc::Status(code, why);
}

}  // namespace

grpc::Status AgentServiceImpl::Connect(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::CollectorMessage, v1::AgentMessage>* stream) {
  const std::string peer = context->peer();
  auto admitted = streams_.Admit(context, peer);
  if (!admitted.ok()) {
    return Refuse(grpc::StatusCode::RESOURCE_EXHAUSTED, peer,
                  std::string(admitted.status().message()));
  }
  const std::unique_ptr<AgentStream> open_stream = *std::move(admitted);
  std::string cert_subject;
  std::optional<CertificateIdentity> cert;
  if (!options_.plaintext) {
    auto c = PeerCertificate(*context);
    if (!c.ok()) return Refuse(grpc::StatusCode::UNAUTHENTICATED, peer, c.status().ToString());
    if (c->role != CertificateRole::kHost) {
      return Refuse(grpc::StatusCode::PERMISSION_DENIED, peer,
                    absl::StrCat("certificate ", c->subject, " is a ", CertificateRoleName(c->role),
                                 " certificate, not a kerbside-host one"));
    }
    cert = *c;
    cert_subject = c->subject;
  }

  v1::AgentMessage msg;
  if (!stream->Read(&msg)) return grpc::Status::CANCELLED;
  if (!msg.has_hello()) {
    return Refuse(grpc::StatusCode::FAILED_PRECONDITION, peer,
                  "the first message on the stream must be a hello");
  }
  // The hello's free-text fields reach logs, tables and alerts: shown, never obeyed (issue 12).
  v1::HostIdentity& mutable_id = *msg.mutable_hello()->mutable_identity();
  for (std::string* field :
       {mutable_id.mutable_site(), mutable_id.mutable_domain(), mutable_id.mutable_agent_version(),
        mutable_id.mutable_fqdn(), mutable_id.mutable_netbios_name(),
        mutable_id.mutable_exchange_version(), mutable_id.mutable_dag()}) {
    *field = text::BoundedForDisplay(*field, 255);
  }
  if (mutable_id.server_roles_size() > 8) {
    mutable_id.mutable_server_roles()->DeleteSubrange(8, mutable_id.server_roles_size() - 8);
  }
  for (std::string& r : *mutable_id.mutable_server_roles()) r = text::BoundedForDisplay(r, 64);
  // A copy: `msg` is read into again below, and its hello goes with the next message.
  const v1::HostIdentity id = mutable_id;
  if (id.netbios_name().empty() || id.fqdn().empty()) {
    return Refuse(grpc::StatusCode::INVALID_ARGUMENT, peer,
                  "hello: identity.netbios_name and identity.fqdn are required");
  }
  if (cert) {
    absl::Status covers = CheckCertificateCoversHost(*cert, id.netbios_name(), id.fqdn());
    if (!covers.ok()) {
      return Refuse(grpc::StatusCode::PERMISSION_DENIED, peer, std::string(covers.message()));
    }
    // The role is the certificate's, never the hello's: an Exchange server that claims to be a
    // DC (and the PDC emulator, the fleet's clock reference) is refused (issue 12).
    absl::Status role = CheckCertificateGrantsRole(*cert, id);
    if (!role.ok()) {
      return Refuse(grpc::StatusCode::PERMISSION_DENIED, peer, std::string(role.message()));
    }
  }
  const std::string name = HostKey(id.netbios_name());
  const absl::Time hello_received = clock_->Now();
  const absl::Duration hello_skew = FromProto(msg.hello().sent_host_time()) - hello_received;
  spdlog::info(
      "agent connected host={} fqdn={} role={} site={} peer={} version={} "
      "hello_clock_difference={}",
      name, id.fqdn(), v1::Role_Name(id.role()), id.site(), peer, id.agent_version(),
      absl::FormatDuration(hello_skew));
  const uint64_t token = fleet_->Connected(id, peer, cert_subject);
  open_stream->Identified(name, token);
  // Bounded like every string from the wire; an agent without a spool id gets no dedupe.
  const std::string spool_id = msg.hello().spool_id().substr(0, 64);
  auto tell = [&](IngestEvent::Kind kind, const std::string& source, int items) {
    if (options_.on_ingest) options_.on_ingest({kind, name, source, items});
  };
  tell(IngestEvent::Kind::kConnected, "", 0);

  v1::CollectorMessage ack;
  ack.mutable_hello_ack()->set_collector_version(KERBSIDE_VERSION);
  *ack.mutable_hello_ack()->mutable_heartbeat_interval() = ToProto(options_.heartbeat_interval);
  *ack.mutable_hello_ack()->mutable_time_exchange_interval() =
      ToProto(options_.time_exchange_interval);
  bool ok = stream->Write(ack);
  // The inventory goes down at connect and again whenever a host joins or changes, with the next
  // reply or heartbeat: probes and the DC source find new Exchange servers without a restart.
  uint64_t inventory_sent = 0;
  auto send_inventory_if_changed = [&]() {
    if (!ok || fleet_->InventoryVersion() == inventory_sent) return;
    v1::CollectorMessage inventory;
    *inventory.mutable_inventory() = fleet_->Inventory(&inventory_sent);
    ok = stream->Write(inventory);
  };
  send_inventory_if_changed();

  std::deque<PendingExchange> pending;
  grpc::Status refused = grpc::Status::OK;  // why the collector ended the stream, if it did
  while (ok && stream->Read(&msg)) {
    // Taken first, before any other work, so t2 is as close to arrival as we can get.
    const absl::Time t2 = clock_->Now();
    open_stream->Touch();
    if (!fleet_->IsCurrent(name, token)) {
      // Two agents claiming one host (a cloned VM, a restarted agent whose old stream is not
      // yet dead): the newest wins, so clock samples of the two never mix.
      spdlog::warn("host={} peer={} superseded by a newer connection of the same host; closing",
                   name, peer);
      return grpc::Status(grpc::StatusCode::ABORTED,
                          "superseded by a newer connection claiming the same host");
    }
    fleet_->Seen(name);
    send_inventory_if_changed();
    switch (msg.kind_case()) {
      case v1::AgentMessage::kHeartbeat:
        break;
      case v1::AgentMessage::kTimeRequest: {
        v1::CollectorMessage reply;
        v1::TimeReply* r = reply.mutable_time_reply();
        r->set_exchange_id(msg.time_request().exchange_id());
        *r->mutable_t1_agent_send() = msg.time_request().t1_agent_send();
        *r->mutable_t2_collector_receive() = ToProto(t2);
        const absl::Time t3 = clock_->Now();
        *r->mutable_t3_collector_send() = ToProto(t3);
        pending.push_back({msg.time_request().exchange_id(), t2, t3});
        if (pending.size() > kMaxPendingExchanges) pending.pop_front();
        ok = stream->Write(reply);
        break;
      }
      case v1::AgentMessage::kTimeSample: {
        const v1::TimeSample& ts = msg.time_sample();
        auto it = std::find_if(pending.begin(), pending.end(),
                               [&](const PendingExchange& p) { return p.id == ts.exchange_id(); });
        if (it == pending.end()) {
          spdlog::warn("host={} time sample for unknown exchange {}; ignored", name,
                       ts.exchange_id());
          break;
        }
        ExchangeTimestamps stamps{FromProto(ts.t1_agent_send()), it->t2, it->t3,
                                  FromProto(ts.t4_agent_receive())};
        pending.erase(it);
        auto sample = ComputeClockSample(stamps);
        if (!sample.ok()) {
          spdlog::warn("host={} {}", name, std::string(sample.status().message()));
          break;
        }
        spdlog::debug("host={} clock offset={} delay={}", name,
                      absl::FormatDuration(sample->offset), absl::FormatDuration(sample->delay));
        if (absl::Status s = fleet_->AddClockSample(name, *sample); !s.ok()) {
          spdlog::error("host={} cannot keep clock sample: {}", name, s.ToString());
        }
        tell(IngestEvent::Kind::kClockSample, "", 0);
        break;
      }
      case v1::AgentMessage::kEvidence: {
        // Names and reasons from the agent are escaped and bounded before they are stored or
        // logged (a source named "x\x1b[2J" or a reason forging a log line).
        v1::EvidenceBatch& batch = *msg.mutable_evidence();
        batch.set_source(text::BoundedForDisplay(batch.source(), 64));
        batch.mutable_health()->set_reason(text::BoundedForDisplay(batch.health().reason(), 2048));
        for (v1::Evidence& item : *batch.mutable_items()) {
          item.set_origin(text::BoundedForDisplay(item.origin(), 512));
          item.set_source(text::BoundedForDisplay(item.source(), 64));
        }
        if (stored_.AlreadyStored(name, spool_id, batch.source(), batch.sequence())) {
          spdlog::info("host={} source={} batch={} already stored; acknowledged again", name,
                       batch.source(), batch.sequence());
          v1::CollectorMessage reply;
          reply.mutable_evidence_ack()->set_sequence(batch.sequence());
          ok = stream->Write(reply);
          break;
        }
        if (!stored_.AdmitSource(name, batch.source())) {
          // Acknowledged (sent again it would be refused again) but not stored.
          spdlog::warn(
              "host={} source={} batch={}: not stored: this host already stores {} "
              "sources, the most one host may",
              name, batch.source(), batch.sequence(), StoredBatches::kMaxStoredSourcesPerHost);
          tell(IngestEvent::Kind::kBatchFailed, batch.source(), batch.items_size());
          v1::CollectorMessage reply;
          reply.mutable_evidence_ack()->set_sequence(batch.sequence());
          ok = stream->Write(reply);
          break;
        }
        if (static_cast<size_t>(batch.items_size()) > kMaxBatchItems) {
          // No agent of ours sends this (it cuts its own batches): refuse it and end the stream
          // rather than spend memory and time on it, and never acknowledge it.
          refused = grpc::Status(
              grpc::StatusCode::RESOURCE_EXHAUSTED,
              absl::StrCat("evidence batch ", batch.sequence(), " of source ", batch.source(), ": ",
                           batch.items_size(), " items, more than ", kMaxBatchItems));
          spdlog::error("host={} {} ({} bytes); stream ended", name, refused.error_message(),
                        msg.ByteSizeLong());
          tell(IngestEvent::Kind::kBatchFailed, batch.source(), batch.items_size());
          ok = false;
          break;
        }
        absl::Status stored = absl::OkStatus();
        std::vector<v1::Evidence> items;
        std::vector<std::string> refused_items;
        items.reserve(batch.items_size());
        for (const v1::Evidence& item : batch.items()) {
          // An agent speaks only for itself; evidence about other hosts names them as subject.
          if (HostKey(item.host()) != name) {
            stored = absl::PermissionDeniedError(
                absl::StrCat("evidence batch ", batch.sequence(), " carries an item for host '",
                             item.host(), "' on the stream of ", name));
            break;
          }
          if (item.has_observed_host_time() &&
              absl::AbsDuration(FromProto(item.observed_host_time()) - t2) > kMaxHostClockError) {
            const std::string why = absl::StrCat(
                name, " sent ", item.origin(), " observed at ",
                absl::FormatTime(FromProto(item.observed_host_time())), ": more than ",
                absl::FormatDuration(kMaxHostClockError), " from the collector's clock");
            spdlog::warn("host={} source={} batch={} item refused: {}", name, batch.source(),
                         batch.sequence(), why);
            refused_items.push_back(why);
            continue;
          }
          if (absl::Status authority = CheckEvidenceAuthority(item, name, id.role());
              !authority.ok()) {
            // Refused item by item, the rest stored and the batch acknowledged (a refused batch
            // would come back forever); the refusal is logged and kept in the source's health.
            spdlog::warn("host={} source={} batch={} item refused: {}", name, batch.source(),
                         batch.sequence(), std::string(authority.message()));
            refused_items.push_back(std::string(authority.message()));
            continue;
          }
          items.push_back(item);
          items.back().set_host(name);
          *items.back().mutable_received_at() = ToProto(t2);
        }
        v1::SourceHealth health = batch.health();
        if (!refused_items.empty()) {
          if (health.state() == v1::SourceHealth::OK) health.set_state(v1::SourceHealth::DEGRADED);
          health.set_reason(absl::StrCat(health.reason(), health.reason().empty() ? "" : "; ",
                                         "the collector refused ", refused_items.size(),
                                         " item(s): ", refused_items.front()));
        }
        if (stored.ok()) {
          const EventWindowPolicy window{
              .since = t2 - options_.event_window,
              .host_offset = fleet_->OffsetVsCollector(name).value_or(absl::ZeroDuration())};
          stored = store_->ReplaceSourceEvidence(name, batch.source(), health, t2, items, window);
        }
        if (stored.ok()) {
          spdlog::info("host={} source={} batch={} items={} health={} {}", name, batch.source(),
                       batch.sequence(), items.size(), v1::SourceHealth::State_Name(health.state()),
                       health.reason());
        }
        if (!stored.ok()) {
          // Not acknowledged: the agent keeps the batch and sends it again.
          spdlog::error("host={} evidence batch {} not stored: {}", name, batch.sequence(),
                        stored.ToString());
          tell(IngestEvent::Kind::kBatchFailed, batch.source(), batch.items_size());
          break;
        }
        for (const v1::Evidence& item : items) {
          if (item.kind_case() == v1::Evidence::kDomainRoles) {
            fleet_->NoteDomainRoles(name, item.domain_roles());
          }
        }
        if (!stored_.Record(name, spool_id, batch.source(), batch.sequence())) {
          spdlog::warn(
              "host={} source={} batch sequence {} jumps more than {} ahead; stored, "
              "but not remembered for duplicate detection",
              name, batch.source(), batch.sequence(), StoredBatches::kMaxSequenceJump);
        }
        tell(IngestEvent::Kind::kBatchStored, batch.source(), static_cast<int>(items.size()));
        v1::CollectorMessage reply;
        reply.mutable_evidence_ack()->set_sequence(batch.sequence());
        ok = stream->Write(reply);
        break;
      }
      case v1::AgentMessage::kHello:
        spdlog::warn("host={} sent a second hello on one stream; ignored", name);
        break;
      case v1::AgentMessage::KIND_NOT_SET:
        spdlog::warn("host={} sent an empty message (newer agent?); ignored", name);
        break;
    }
  }
  fleet_->Disconnected(name, token);
  spdlog::info("agent disconnected host={} peer={}", name, peer);
  return refused;
}

}  // namespace kerbside::collector
