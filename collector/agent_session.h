#ifndef KERBSIDE_COLLECTOR_AGENT_SESSION_H_
#define KERBSIDE_COLLECTOR_AGENT_SESSION_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collector/host_registry.h"
#include "collector/ingest_event.h"
#include "collector/ingest_writer.h"
#include "collector/store/evidence_store.h"
#include "collector/stored_batches.h"
#include "common/clock.h"
#include "common/identity.h"
#include "kerbside/v1/agent.pb.h"

namespace kerbside::collector {

// What a session shares with the service and every other session.
struct SessionContext {
  HostRegistry* fleet;
  EvidenceStore* store;
  const Clock* clock;
  StoredBatches* stored;
  absl::Duration heartbeat_interval;
  absl::Duration time_exchange_interval;
  absl::Duration event_window;  // how long events are kept after their last occurrence
  std::function<void(const IngestEvent&)> on_ingest;  // may be empty
  // Stores batches off the stream's thread, grouped; null: each batch is stored in Handle.
  IngestWriter* writer = nullptr;
};

// The hello, checked: its free-text fields bounded for display (shown, never obeyed), the
// identity required, and with a certificate, the certificate covering the host and granting
// its role (the role is the certificate's, never the hello's). Errors carry the gRPC code the
// stream is refused with (absl and gRPC codes share their numbers).
absl::StatusOr<v1::HostIdentity> AcceptHello(v1::Hello& hello,
                                             const std::optional<CertificateIdentity>& cert);

// One agent's stream after its hello was accepted: one handler per message kind, called for
// one message at a time. With an IngestWriter, an evidence batch is finished on the writer's
// thread (Handled::kStoring), which then calls the resume callback; Handle may go on meanwhile
// (the finishing touches only thread-safe shared state and the Writer, which must be
// thread-safe). The session must outlive the resume callbacks of its batches.
class AgentSession {
 public:
  // Queues one message to the agent (taken, not copied: an inventory can list the whole fleet);
  // false once the stream is broken.
  using Writer = std::function<bool(v1::CollectorMessage&&)>;
  // Queues a message shared with other streams (the whole inventory); same answer as Writer.
  using SharedWriter = std::function<bool(std::shared_ptr<const v1::CollectorMessage>)>;
  enum class Handled {
    kDone,     // read the next message
    kStoring,  // a batch is with the writer: the resume callback says when it is answered
  };
  AgentSession(SessionContext ctx, v1::HostIdentity id, uint64_t token, std::string spool_id,
               std::string peer, Writer write);

  // The agent's hello said it applies inventory deltas. Before Start().
  void set_inventory_deltas(bool on) { inventory_deltas_ = on; }
  // Whole inventories then go out as the fleet's one shared message (HostRegistry::
  // FullInventory), not a copy each. Without it they are copied into `write` (tests).
  // Before Start().
  void set_shared_writer(SharedWriter write) { write_shared_ = std::move(write); }
  // Called on the writer's thread once each batch Handle left with it is stored and answered
  // (or failed); the last thing the session does on that thread. Before Start().
  void set_resume(std::function<void()> resume) { resume_ = std::move(resume); }
  // Answers the hello and sends the inventory. False when the stream broke.
  bool Start();
  // Handles one message received at `t2` (collector clock, taken on arrival). OK: go on
  // (writable() says whether the stream still takes writes); kStoring: the batch is answered
  // later, at the resume callback. ABORTED: a newer stream of the same host superseded this one (it
  // is not this stream's to disconnect). Any other error: the collector ends the stream with it.
  absl::StatusOr<Handled> Handle(v1::AgentMessage& msg, absl::Time t2);
  bool writable() const { return writable_.load(std::memory_order_relaxed); }
  // A batch of this stream could not be stored. Its later batches are then not stored either
  // (they would be stored ahead of it) nor acknowledged, and the stream should end: the agent
  // reconnects and sends everything unacknowledged again, in order.
  bool store_failed() const { return store_failed_.load(std::memory_order_acquire); }
  const std::string& name() const { return name_; }

 private:
  // Replies whose TimeSample has not come back yet. The collector keeps its own t2/t3 rather
  // than trusting the ones the agent echoes.
  struct PendingExchange {
    uint64_t id;
    absl::Time t2;
    absl::Time t3;
  };
  static constexpr size_t kMaxPendingExchanges = 16;

  // What AcceptItems kept of a batch.
  struct AcceptedItems {
    std::vector<v1::Evidence> items;    // host set, received at t2
    std::vector<std::string> refusals;  // one reason per refused item
    absl::Status foreign;               // an item named another host: nothing is stored
  };

  void OnTimeRequest(const v1::TimeRequest& request, absl::Time t2);
  void OnTimeSample(const v1::TimeSample& sample);
  absl::StatusOr<Handled> OnEvidence(v1::EvidenceBatch& batch, absl::Time t2);
  // Moves the accepted items out of `batch`.
  AcceptedItems AcceptItems(v1::EvidenceBatch& batch, absl::Time t2) const;
  // What is left of a batch once the store has answered: remembered, acknowledged, told.
  struct StoredBatch {
    std::string source;
    uint64_t sequence = 0;
    size_t items = 0;
    v1::SourceHealth health;
    std::vector<v1::DomainRoles> domain_roles;  // noted in the fleet once stored
  };
  void FinishEvidence(const StoredBatch& batch, const absl::Status& stored);
  void SendInventoryIfChanged();
  void Acknowledge(uint64_t sequence);
  void Send(v1::CollectorMessage&& m);
  void Tell(IngestEvent::Kind kind, const std::string& source, int items, int64_t bytes = 0) const;

  SessionContext ctx_;
  const v1::HostIdentity id_;
  const std::string name_;  // HostKey of the hello's NetBIOS name
  const uint64_t token_;    // this stream's claim on the host in the fleet
  const std::string spool_id_;
  const std::string peer_;
  Writer write_;
  SharedWriter write_shared_;
  std::atomic<bool> writable_ = true;            // also written by the writer's thread (an ack)
  std::atomic<bool> store_failed_ = false;       // set on the writer's thread
  uint64_t inventory_sent_ = 0;                  // the fleet inventory version the agent has
  std::optional<absl::Time> inventory_sent_at_;  // collector clock
  bool inventory_deltas_ = false;
  std::function<void()> resume_;
  std::deque<PendingExchange> pending_;
};

// `batch`'s names and reasons escaped and bounded before they are stored or logged (a source
// named "x\x1b[2J" or a reason forging a log line).
void BoundBatchForDisplay(v1::EvidenceBatch& batch);
// The source's health as stored: the agent's, degraded and explained when the collector
// refused some of its items.
v1::SourceHealth HealthWithRefusals(v1::SourceHealth health,
                                    const std::vector<std::string>& refusals);

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_AGENT_SESSION_H_
