#ifndef KERBSIDE_COLLECTOR_STORED_BATCHES_H_
#define KERBSIDE_COLLECTOR_STORED_BATCHES_H_

// Which evidence batches the collector already stored, per (host, agent spool, source), so a
// batch an agent sends again after a reconnect is acknowledged without storing it twice. The
// sequence comes from the wire: a jump far ahead of the last one stored (a hostile or corrupt
// agent sending 2^64-1) would make every later batch of that source look "already stored", so
// such a sequence is stored but not remembered, and said.

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>

namespace kerbside::collector {

class StoredBatches {
 public:
  // A batch sequence may run at most this far ahead of the last one remembered for its source
  // (an agent sends one batch per source interval; a million is years of batches).
  static constexpr uint64_t kMaxSequenceJump = 1'000'000;
  // Sources remembered per host; beyond, batches are simply stored (no dedupe).
  static constexpr size_t kMaxSourcesPerHost = 256;
  // Distinct source names one host may store evidence under (an agent has about six): each
  // becomes rows, a metric series and a line in `kerbside evidence`, so a host inventing names
  // would grow all three without end.
  static constexpr size_t kMaxStoredSourcesPerHost = 32;

  // Whether `host` may store evidence under `source`: yes for a name already admitted, and for a
  // new one while the host has fewer than kMaxStoredSourcesPerHost. Kept for the collector's
  // life (a restart admits again, which only lets an honest agent rename its sources).
  bool AdmitSource(const std::string& host, const std::string& source);

  bool AlreadyStored(const std::string& host, const std::string& spool_id,
                     const std::string& source, uint64_t sequence);
  // Returns false when the sequence was not remembered because it jumped too far.
  bool Record(const std::string& host, const std::string& spool_id, const std::string& source,
              uint64_t sequence);

 private:
  struct Host {
    std::string spool_id;
    std::map<std::string, uint64_t> by_source;
  };
  std::mutex mu_;
  std::map<std::string, Host> hosts_;                              // guarded by mu_
  std::map<std::string, std::set<std::string>> admitted_sources_;  // guarded by mu_; by host
};

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_STORED_BATCHES_H_
