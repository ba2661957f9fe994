#include "collector/stored_batches.h"

namespace kerbside::collector {

bool StoredBatches::AlreadyStored(const std::string& host, const std::string& spool_id,
                                  const std::string& source, uint64_t sequence) {
  if (spool_id.empty()) return false;
  std::lock_guard lock(mu_);
  auto h = hosts_.find(host);
  if (h == hosts_.end() || h->second.spool_id != spool_id) return false;
  auto s = h->second.by_source.find(source);
  return s != h->second.by_source.end() && sequence <= s->second;
}

bool StoredBatches::Record(const std::string& host, const std::string& spool_id,
                           const std::string& source, uint64_t sequence) {
  if (spool_id.empty()) return true;
  std::lock_guard lock(mu_);
  Host& h = hosts_[host];
  if (h.spool_id != spool_id) {
    h.spool_id = spool_id;
    h.by_source.clear();
  }
  auto it = h.by_source.find(source);
  if (it == h.by_source.end()) {
    if (h.by_source.size() >= kMaxSourcesPerHost) return true;
    // The first batch of a source in this spool: its sequence starts where the agent's spool
    // is, which is small for a real agent.
    if (sequence > kMaxSequenceJump) return false;
    h.by_source[source] = sequence;
    return true;
  }
  if (sequence > it->second && sequence - it->second > kMaxSequenceJump) return false;
  if (sequence > it->second) it->second = sequence;
  return true;
}

bool StoredBatches::AdmitSource(const std::string& host, const std::string& source) {
  std::lock_guard lock(mu_);
  std::set<std::string>& sources = admitted_sources_[host];
  if (sources.count(source) > 0) return true;
  if (sources.size() >= kMaxStoredSourcesPerHost) return false;
  sources.insert(source);
  return true;
}

}  // namespace kerbside::collector
