#ifndef KERBSIDE_COLLECTOR_HOST_REGISTRY_H_
#define KERBSIDE_COLLECTOR_HOST_REGISTRY_H_

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "collector/store/evidence_store.h"
#include "common/clock.h"
#include "common/model/pdc_emulator.h"
#include "common/time_exchange.h"
#include "kerbside/v1/agent.pb.h"
#include "kerbside/v1/query.pb.h"

namespace kerbside::collector {

struct HostRegistryOptions {
  // Host (NetBIOS name) whose clock the others are compared with. Empty: the PDC emulator.
  std::string reference_host;
  int clock_filter_samples = 8;
  absl::Duration clock_filter_max_age = absl::Minutes(15);
  // last_seen is written to the store at most this often per host while it stays connected.
  absl::Duration last_seen_persist_interval = absl::Seconds(30);
};

// The collector's live registry of hosts: identities, connections and clock estimates (not the
// correlator's FleetModel of their evidence, nor its FleetIndex over that model).
// Thread-safe; writes through to the store so a restart keeps what was learned.
class HostRegistry {
 public:
  HostRegistry(EvidenceStore* store, const Clock* clock, HostRegistryOptions options);

  // Loads every host the store knows, as disconnected.
  absl::Status LoadFromStore();

  // Registers a connected agent. Returns a token; a newer connection of the same host
  // supersedes older ones, whose later Disconnected() calls are then ignored.
  uint64_t Connected(const v1::HostIdentity& identity, const std::string& peer_address,
                     const std::string& certificate_subject);
  void Disconnected(const std::string& name, uint64_t token);
  // False once a newer connection of the same host took over; that stream should end.
  bool IsCurrent(const std::string& name, uint64_t token) const;
  void Seen(const std::string& name);
  // The agent's heartbeat said its spool holds `batches` not yet acknowledged.
  void NoteSpooled(const std::string& name, uint64_t batches);
  absl::Status AddClockSample(const std::string& name, const ClockSample& sample);
  // A DC's directory source read fSMORoleOwner: the PDC emulator, for the clock reference.
  // Ignored for a host whose certificate is not a DC's.
  void NoteDomainRoles(const std::string& name, const v1::DomainRoles& roles);

  // The host's clock minus the collector's (positive = host ahead), when measured.
  std::optional<absl::Duration> OffsetVsCollector(const std::string& name) const;
  v1::ListHostsResponse ListHosts() const;
  // Every known host's identity, a copy of FullInventory()'s (so it too can be a few joins
  // behind while hosts join in a rush); `version` (optional) gets the version it reflects.
  v1::Inventory Inventory(uint64_t* version = nullptr) const;
  // Changes whenever a host joins or changes its identity, so streams can resend the inventory.
  uint64_t InventoryVersion() const;
  // The hosts added or changed after version `since` (one this registry gave out), as a delta
  // to the current version; nullopt when the change log no longer reaches back to `since` (the
  // caller sends the whole inventory instead).
  std::optional<v1::Inventory> InventoryDelta(uint64_t since) const;
  // The whole inventory as one immutable message that every stream sending it shares: a copy
  // of every host's identity per joining agent was about half the collector's CPU while 7,000
  // agents joined (issue 17). While hosts keep joining it is reused for up to a second, and up
  // to hosts/64 changes behind (none below 64 hosts): a joining agent may get a list a few joins
  // old, and the delta at its next heartbeat, from the version it got, brings it up to date.
  struct SharedInventory {
    std::shared_ptr<const v1::CollectorMessage> message;  // its inventory field is set
    uint64_t version = 0;
    int hosts = 0;
    int64_t bytes = 0;  // the message's serialized size
  };
  SharedInventory FullInventory() const;

 private:
  struct Host {
    v1::HostIdentity identity;
    absl::Time first_seen;
    absl::Time last_seen;
    absl::Time last_seen_persisted;
    std::string peer_address;
    std::string certificate_subject;
    uint64_t connection_token = 0;  // 0 = not connected
    ClockFilter filter;
    std::optional<ClockEstimateValue> clock;
    std::optional<uint64_t> spooled_batches;  // the last heartbeat's, this connection
    // This DC's latest reading of fSMORoleOwner (from its directory source); not kept across
    // collector restarts: the source reports again within its interval.
    std::optional<model::PdcReport> pdc_report;
  };
  // The chosen reference and why; empty name when none is known.
  std::pair<std::string, std::string> ChooseReferenceLocked() const;
  std::optional<ClockEstimateValue> EstimateLocked(const Host& h, absl::Time now) const;

  EvidenceStore* store_;
  const Clock* clock_;
  HostRegistryOptions options_;
  mutable absl::Mutex mu_;
  std::map<std::string, Host> hosts_ ABSL_GUARDED_BY(mu_);  // by upper-case NetBIOS name
  uint64_t next_token_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t inventory_version_ ABSL_GUARDED_BY(mu_) = 1;
  // (version, host) of each inventory change, oldest first; bounded, so a delta costs the
  // changes since the agent's version, not the fleet. inventory_log_base_: the version just
  // before the oldest entry, the oldest `since` a delta can start from.
  std::deque<std::pair<uint64_t, std::string>> inventory_log_ ABSL_GUARDED_BY(mu_);
  uint64_t inventory_log_base_ ABSL_GUARDED_BY(mu_) = 1;
  mutable SharedInventory full_inventory_ ABSL_GUARDED_BY(mu_);
  mutable absl::Time full_inventory_built_ ABSL_GUARDED_BY(mu_);  // collector clock
};

// Upper-case NetBIOS form used as the host key everywhere in the collector.
std::string HostKey(absl::string_view netbios_name);

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_HOST_REGISTRY_H_
