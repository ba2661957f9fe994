#include "collector/agent_service.h"

#include "absl/strings/str_cat.h"
#include "collector/agent_session.h"
#include "common/grpc_tls.h"
#include "common/proto_time.h"
#include "spdlog/spdlog.h"

namespace kerbside::collector {
namespace {

grpc::Status Refuse(grpc::StatusCode code, const std::string& peer, const std::string& why) {
  spdlog::warn("agent stream refused peer={} reason=\"{}\"", peer, why);
  return grpc::Status(code, why);
}

// absl and gRPC status codes share their numbers.
grpc::Status Refuse(const absl::Status& s, const std::string& peer) {
  return Refuse(static_cast<grpc::StatusCode>(s.code()), peer, std::string(s.message()));
}

}  // namespace

absl::StatusOr<std::optional<CertificateIdentity>> AgentServiceImpl::AuthenticatePeer(
    const grpc::ServerContext& context) const {
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
  auto cert = AuthenticatePeer(*context);
  if (!cert.ok()) return Refuse(cert.status(), peer);

  v1::AgentMessage msg;
  if (!stream->Read(&msg)) return grpc::Status::CANCELLED;
  if (!msg.has_hello()) {
    return Refuse(grpc::StatusCode::FAILED_PRECONDITION, peer,
                  "the first message on the stream must be a hello");
  }
  auto id = AcceptHello(*msg.mutable_hello(), *cert);
  if (!id.ok()) return Refuse(id.status(), peer);
  const std::string name = HostKey(id->netbios_name());
  const absl::Duration hello_skew = FromProto(msg.hello().sent_host_time()) - clock_->Now();
  spdlog::info(
      "agent connected host={} fqdn={} role={} site={} peer={} version={} "
      "hello_clock_difference={}",
      name, id->fqdn(), v1::Role_Name(id->role()), id->site(), peer, id->agent_version(),
      absl::FormatDuration(hello_skew));
  const uint64_t token = fleet_->Connected(*id, peer, *cert ? (*cert)->subject : "");
  open_stream->Identified(name, token);
  // Bounded like every string from the wire; an agent without a spool id gets no dedupe.
  AgentSession session(SessionContext{.fleet = fleet_,
                                      .store = store_,
                                      .clock = clock_,
                                      .stored = &stored_,
                                      .heartbeat_interval = options_.heartbeat_interval,
                                      .time_exchange_interval = options_.time_exchange_interval,
                                      .event_window = options_.event_window,
                                      .on_ingest = options_.on_ingest},
                       *std::move(id), token, msg.hello().spool_id().substr(0, 64), peer,
                       [stream](const v1::CollectorMessage& m) { return stream->Write(m); });

  grpc::Status ended = grpc::Status::OK;  // why the collector ended the stream, if it did
  session.Start();
  while (session.writable() && stream->Read(&msg)) {
    // Taken first, before any other work, so t2 is as close to arrival as we can get.
    const absl::Time t2 = clock_->Now();
    open_stream->Touch();
    absl::Status handled = session.Handle(msg, t2);
    if (absl::IsAborted(handled)) {
      // Superseded: the host belongs to the newer stream now, not ours to disconnect.
      return grpc::Status(grpc::StatusCode::ABORTED, std::string(handled.message()));
    }
    if (!handled.ok()) {
      ended = grpc::Status(static_cast<grpc::StatusCode>(handled.code()),
                           std::string(handled.message()));
      break;
    }
  }
  fleet_->Disconnected(name, token);
  spdlog::info("agent disconnected host={} peer={}", name, peer);
  return ended;
}

}  // namespace kerbside::collector
