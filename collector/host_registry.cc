#include "collector/host_registry.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/model/pdc_emulator.h"
#include "common/proto_time.h"
#include "spdlog/spdlog.h"

namespace kerbside::collector {
namespace {

// Inventory changes kept for deltas: an agent further behind gets the whole list.
constexpr size_t kMaxInventoryLog = 100000;

void FillEstimate(const ClockEstimateValue& e, v1::ClockEstimate* out) {
  *out->mutable_offset() = ToProto(e.offset);
  *out->mutable_uncertainty() = ToProto(e.uncertainty);
  *out->mutable_delay() = ToProto(e.delay);
  *out->mutable_measured_at() = ToProto(e.measured_at);
  out->set_window_samples(e.window_samples);
}

}  // namespace

std::string HostKey(absl::string_view netbios_name) {
  return absl::AsciiStrToUpper(absl::StripAsciiWhitespace(netbios_name));
}

HostRegistry::HostRegistry(EvidenceStore* store, const Clock* clock, HostRegistryOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {
  options_.reference_host = HostKey(options_.reference_host);
}

absl::Status HostRegistry::LoadFromStore() {
  auto records = store_->LoadHosts();
  if (!records.ok()) return records.status();
  absl::MutexLock lock(&mu_);
  for (HostRecord& r : *records) {
    Host h{.identity = r.identity,
           .first_seen = r.first_seen,
           .last_seen = r.last_seen,
           .last_seen_persisted = r.last_seen,
           .peer_address = r.peer_address,
           .certificate_subject = r.certificate_subject,
           .connection_token = 0,
           .filter = ClockFilter(options_.clock_filter_samples, options_.clock_filter_max_age),
           .clock = r.clock,
           .spooled_batches = std::nullopt,
           .pdc_report = std::nullopt};
    hosts_.insert_or_assign(HostKey(r.identity.netbios_name()), std::move(h));
  }
  return absl::OkStatus();
}

uint64_t HostRegistry::Connected(const v1::HostIdentity& identity, const std::string& peer_address,
                                 const std::string& certificate_subject) {
  const absl::Time now = clock_->Now();
  const std::string key = HostKey(identity.netbios_name());
  HostRecord record;
  uint64_t token;
  {
    absl::MutexLock lock(&mu_);
    auto [it, inserted] = hosts_.try_emplace(key);
    Host& h = it->second;
    if (inserted) {
      h.first_seen = now;
      h.filter = ClockFilter(options_.clock_filter_samples, options_.clock_filter_max_age);
    }
    v1::HostIdentity normalized = identity;
    normalized.set_netbios_name(key);
    if (inserted || normalized.SerializeAsString() != h.identity.SerializeAsString()) {
      inventory_log_.emplace_back(++inventory_version_, key);
      if (inventory_log_.size() > kMaxInventoryLog) {
        inventory_log_base_ = inventory_log_.front().first;
        inventory_log_.pop_front();
      }
    }
    h.identity = std::move(normalized);
    h.last_seen = now;
    h.last_seen_persisted = now;
    h.peer_address = peer_address;
    h.certificate_subject = certificate_subject;
    h.spooled_batches.reset();  // this connection's heartbeats will say
    token = next_token_++;
    h.connection_token = token;
    record = HostRecord{h.identity,     h.first_seen,          h.last_seen,
                        h.peer_address, h.certificate_subject, std::nullopt};
  }
  if (absl::Status s = store_->UpsertHost(record); !s.ok()) {
    spdlog::error("store: cannot record host {}: {}", key, s.ToString());
  }
  return token;
}

void HostRegistry::Disconnected(const std::string& name, uint64_t token) {
  const absl::Time now = clock_->Now();
  const std::string key = HostKey(name);
  {
    absl::MutexLock lock(&mu_);
    auto it = hosts_.find(key);
    if (it == hosts_.end() || it->second.connection_token != token) return;
    it->second.connection_token = 0;
    it->second.last_seen = now;
    it->second.last_seen_persisted = now;
  }
  if (absl::Status s = store_->TouchHost(key, now); !s.ok()) {
    spdlog::error("store: cannot record last seen of {}: {}", key, s.ToString());
  }
}

bool HostRegistry::IsCurrent(const std::string& name, uint64_t token) const {
  absl::MutexLock lock(&mu_);
  auto it = hosts_.find(HostKey(name));
  return it != hosts_.end() && it->second.connection_token == token;
}

void HostRegistry::NoteSpooled(const std::string& name, uint64_t batches) {
  absl::MutexLock lock(&mu_);
  auto it = hosts_.find(HostKey(name));
  if (it != hosts_.end()) it->second.spooled_batches = batches;
}

void HostRegistry::Seen(const std::string& name) {
  const absl::Time now = clock_->Now();
  const std::string key = HostKey(name);
  bool persist = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = hosts_.find(key);
    if (it == hosts_.end()) return;
    it->second.last_seen = now;
    if (now - it->second.last_seen_persisted >= options_.last_seen_persist_interval) {
      it->second.last_seen_persisted = now;
      persist = true;
    }
  }
  if (persist) {
    if (absl::Status s = store_->TouchHost(key, now); !s.ok()) {
      spdlog::error("store: cannot record last seen of {}: {}", key, s.ToString());
    }
  }
}

absl::Status HostRegistry::AddClockSample(const std::string& name, const ClockSample& sample) {
  const absl::Time now = clock_->Now();
  const std::string key = HostKey(name);
  std::optional<ClockEstimateValue> estimate;
  {
    absl::MutexLock lock(&mu_);
    auto it = hosts_.find(key);
    if (it == hosts_.end()) {
      return absl::NotFoundError("clock sample for a host that never said hello: " + key);
    }
    it->second.filter.Add(sample);
    estimate = it->second.filter.Estimate(now);
    it->second.clock = estimate;
    it->second.last_seen = now;
  }
  if (!estimate) return absl::OkStatus();
  return store_->SaveClockEstimate(key, *estimate);
}

std::pair<std::string, std::string> HostRegistry::ChooseReferenceLocked() const {
  if (!options_.reference_host.empty()) {
    return {options_.reference_host, "configured"};
  }
  // The forest time root is the PDC emulator (DESIGN.md §3): what the DCs' directories say
  // (fSMORoleOwner), a DC's own claim only while none has said. Roles are the certificates'
  // (agent_service.cc), so a non-DC neither claims nor reports.
  std::vector<model::PdcReport> reports;
  std::vector<std::string> claims;
  for (const auto& [key, h] : hosts_) {
    if (h.identity.role() != v1::ROLE_DC) continue;
    if (h.identity.pdc_emulator()) claims.push_back(key);
    if (h.pdc_report) reports.push_back(*h.pdc_report);
  }
  model::PdcChoice choice = model::ChoosePdcEmulator(reports, claims);
  return {choice.host, choice.reason};
}

void HostRegistry::NoteDomainRoles(const std::string& name, const v1::DomainRoles& roles) {
  const std::string key = HostKey(name);
  absl::MutexLock lock(&mu_);
  auto it = hosts_.find(key);
  if (it == hosts_.end() || it->second.identity.role() != v1::ROLE_DC) return;
  if (roles.pdc_emulator().empty()) {
    it->second.pdc_report.reset();
    return;
  }
  it->second.pdc_report =
      model::PdcReport{key, HostKey(roles.pdc_emulator()), roles.pdc_emulator_deleted()};
}

std::optional<ClockEstimateValue> HostRegistry::EstimateLocked(const Host& h,
                                                               absl::Time now) const {
  // A live filter wins; after a restart the persisted estimate stands until new samples come.
  if (auto live = h.filter.Estimate(now)) return live;
  return h.clock;
}

std::optional<absl::Duration> HostRegistry::OffsetVsCollector(const std::string& name) const {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto it = hosts_.find(name);
  if (it == hosts_.end()) return std::nullopt;
  std::optional<ClockEstimateValue> e = EstimateLocked(it->second, now);
  if (!e) return std::nullopt;
  return e->offset;
}

v1::ListHostsResponse HostRegistry::ListHosts() const {
  const absl::Time now = clock_->Now();
  v1::ListHostsResponse out;
  *out.mutable_collector_time() = ToProto(now);
  absl::MutexLock lock(&mu_);
  auto [ref_name, ref_reason] = ChooseReferenceLocked();
  std::optional<ClockEstimateValue> ref_estimate;
  if (auto it = hosts_.find(ref_name); it != hosts_.end()) {
    ref_estimate = EstimateLocked(it->second, now);
  }
  out.set_reference_host(ref_name);
  out.set_reference_reason(ref_reason);
  for (const auto& [key, h] : hosts_) {
    v1::HostStatus* s = out.add_hosts();
    *s->mutable_identity() = h.identity;
    s->set_connected(h.connection_token != 0);
    if (h.spooled_batches) s->set_spooled_batches(*h.spooled_batches);
    *s->mutable_first_seen() = ToProto(h.first_seen);
    *s->mutable_last_seen() = ToProto(h.last_seen);
    s->set_peer_address(h.peer_address);
    s->set_certificate_subject(h.certificate_subject);
    std::optional<ClockEstimateValue> e = EstimateLocked(h, now);
    if (e) FillEstimate(*e, s->mutable_clock_vs_collector());
    s->set_reference_host(ref_name);
    if (e && ref_estimate) {
      FillEstimate(RelativeEstimate(*e, *ref_estimate), s->mutable_clock_vs_reference());
    }
  }
  return out;
}

v1::Inventory HostRegistry::Inventory(uint64_t* version) const {
  const SharedInventory full = FullInventory();
  if (version != nullptr) *version = full.version;
  return full.message->inventory();
}

std::optional<v1::Inventory> HostRegistry::InventoryDelta(uint64_t since) const {
  absl::MutexLock lock(&mu_);
  if (since < inventory_log_base_ || since > inventory_version_) return std::nullopt;
  v1::Inventory delta;
  delta.set_version(inventory_version_);
  delta.set_base_version(since);
  // Newest first, each host once: the log is in version order.
  absl::flat_hash_set<std::string> seen;
  for (auto it = inventory_log_.rbegin(); it != inventory_log_.rend() && it->first > since; ++it) {
    if (!seen.insert(it->second).second) continue;
    auto h = hosts_.find(it->second);
    if (h != hosts_.end()) *delta.add_hosts() = h->second.identity;
  }
  return delta;
}

HostRegistry::SharedInventory HostRegistry::FullInventory() const {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  const uint64_t behind = inventory_version_ - full_inventory_.version;
  const bool fresh = behind == 0 || (behind <= hosts_.size() / 64 && now >= full_inventory_built_ &&
                                     now - full_inventory_built_ < absl::Seconds(1));
  if (full_inventory_.message != nullptr && fresh) return full_inventory_;
  auto message = std::make_shared<v1::CollectorMessage>();
  v1::Inventory* inv = message->mutable_inventory();
  inv->mutable_hosts()->Reserve(static_cast<int>(hosts_.size()));
  for (const auto& [key, h] : hosts_) *inv->add_hosts() = h.identity;
  inv->set_version(inventory_version_);
  inv->set_full(true);
  full_inventory_.hosts = inv->hosts_size();
  full_inventory_.bytes = static_cast<int64_t>(message->ByteSizeLong());
  full_inventory_.version = inventory_version_;
  full_inventory_.message = std::move(message);
  full_inventory_built_ = now;
  return full_inventory_;
}

uint64_t HostRegistry::InventoryVersion() const {
  absl::MutexLock lock(&mu_);
  return inventory_version_;
}

}  // namespace kerbside::collector
