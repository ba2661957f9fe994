#include "collector/agent_streams.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace kerbside::collector {

AgentStream::~AgentStream() { owner_->Remove(id_); }
void AgentStream::Identified(const std::string& host, uint64_t fleet_token) {
  owner_->Identified(id_, host, fleet_token);
}
void AgentStream::Touch() { owner_->Touch(id_); }

AgentStreams::AgentStreams(const Clock* clock, AgentStreamLimits limits, absl::Duration sweep_every)
    : clock_(clock), limits_(limits), watchdog_wait_(clock) {
  if (sweep_every <= absl::ZeroDuration()) return;
  watchdog_ = std::thread([this, sweep_every] {
    while (!watchdog_wait_.SleepUntil(clock_->Now() + sweep_every)) Sweep();
  });
}

AgentStreams::~AgentStreams() {
  watchdog_wait_.Stop();
  if (watchdog_.joinable()) watchdog_.join();
}

absl::StatusOr<std::unique_ptr<AgentStream>> AgentStreams::Admit(grpc::ServerContextBase* context,
                                                                 const std::string& peer) {
  absl::MutexLock lock(&mu_);
  if (entries_.size() >= limits_.max_streams) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the collector holds ", entries_.size(),
                     " agent streams, its limit (max_agent_streams); try again later"));
  }
  const uint64_t id = next_id_++;
  entries_[id] = Entry{context, peer, "", clock_->Now()};
  return std::unique_ptr<AgentStream>(new AgentStream(this, context, id));
}

void AgentStreams::Remove(uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  auto host = by_host_.find(it->second.host);
  if (host != by_host_.end() && host->second == id) by_host_.erase(host);
  entries_.erase(it);
}

void AgentStreams::CancelLocked(uint64_t id, Entry& e, const char* why) {
  if (e.cancelled) return;
  e.cancelled = true;
  spdlog::warn("agent stream {} host={} peer={} closed: {}", id,
               e.host.empty() ? "(no hello)" : e.host, e.peer, why);
  // Safe while the entry exists: the handler removes it before it returns, under mu_.
  e.context->TryCancel();
}

void AgentStreams::Identified(uint64_t id, const std::string& host, uint64_t fleet_token) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  it->second.host = host;
  it->second.last_heard = clock_->Now();
  it->second.fleet_token = fleet_token;
  auto [current, inserted] = by_host_.try_emplace(host, id);
  if (inserted || current->second == id) return;
  auto other = entries_.find(current->second);
  if (other == entries_.end()) {
    current->second = id;
    return;
  }
  if (other->second.fleet_token < fleet_token) {
    CancelLocked(other->first, other->second, "superseded by a newer stream of the same host");
    current->second = id;
  } else {
    // This hello reached the registry last but the fleet first: the other stream is the newer.
    CancelLocked(id, it->second, "superseded by a newer stream of the same host");
  }
}

void AgentStreams::Touch(uint64_t id) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(id);
  if (it != entries_.end()) it->second.last_heard = now;
}

int AgentStreams::Sweep() {
  const absl::Time now = clock_->Now();
  int cancelled = 0;
  absl::MutexLock lock(&mu_);
  for (auto& [id, e] : entries_) {
    if (e.cancelled) continue;
    const bool hello = !e.host.empty();
    const absl::Duration limit = hello ? limits_.idle_timeout : limits_.hello_timeout;
    if (now - e.last_heard <= limit) continue;
    CancelLocked(id, e,
                 hello ? "silent for longer than the idle timeout (agent_idle_timeout)"
                       : "no hello within the hello timeout (agent_hello_timeout)");
    ++cancelled;
  }
  return cancelled;
}

size_t AgentStreams::open() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace kerbside::collector
