#ifndef KERBSIDE_COLLECTOR_STORE_EVIDENCE_STORE_H_
#define KERBSIDE_COLLECTOR_STORE_EVIDENCE_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collector/store/records.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::collector {

// Hosts, their clocks and what their sources said: what ingest writes and the fleet model, the
// live correlator and /metrics read. Implementations are thread-safe.
class EvidenceStore {
 public:
  virtual ~EvidenceStore() = default;

  // Inserts or updates identity, peer and certificate; keeps first_seen of an existing host.
  virtual absl::Status UpsertHost(const HostRecord& host) = 0;
  virtual absl::Status TouchHost(const std::string& name, absl::Time last_seen) = 0;
  virtual absl::Status SaveClockEstimate(const std::string& name,
                                         const ClockEstimateValue& estimate) = 0;
  virtual absl::StatusOr<std::vector<HostRecord>> LoadHosts() = 0;

  // A source's batch is a full snapshot: replaces everything that source said about the host,
  // with its health, atomically. Events are the exception: they join the window of recent
  // events (one entry per host, source, channel and event key, advanced by each read as
  // common/events/event_window.h says), so an exported log that rotates does not erase what it
  // held and a re-read counts once. Records are aggregated first and several files of one
  // channel combined (events::CombineBatchReads). The window is pruned to `window.since` in
  // the same change.
  // One batch: ReplaceSourcesEvidence with one snapshot.
  absl::Status ReplaceSourceEvidence(const std::string& host, const std::string& source,
                                     const v1::SourceHealth& health, absl::Time received_at,
                                     const std::vector<v1::Evidence>& items,
                                     const EventWindowPolicy& window) {
    return ReplaceSourcesEvidence({SourceSnapshot{.host = host,
                                                  .source = source,
                                                  .health = health,
                                                  .received_at = received_at,
                                                  .items = items,
                                                  .window = window}})
        .front();
  }
  // Several sources' batches, each as ReplaceSourceEvidence would store it, in one transaction
  // (ingest groups what arrived together: a commit per batch cost most of the ingest time,
  // issue 17), yet each on its own: one that fails leaves no trace and does not stop the
  // others, except later batches of the same host and source, which fail unstored
  // (FAILED_PRECONDITION): stored, they would be ahead of the one that failed, and when it came
  // again (an agent keeps and resends what was not acknowledged) the window would take its
  // events for an old re-read and drop them. One status per snapshot, in order.
  virtual std::vector<absl::Status> ReplaceSourcesEvidence(
      const std::vector<SourceSnapshot>& snapshots) = 0;
  // Every snapshot item (not events) of `host` (of every host when empty).
  virtual absl::StatusOr<std::vector<v1::Evidence>> LoadEvidence(const std::string& host) = 0;
  // The window of recent events of `host` (every host when empty): the event aggregates whose
  // last occurrence, on the collector's clock, is at or after `since`; received_at is the last
  // batch that reported each.
  virtual absl::StatusOr<std::vector<v1::Evidence>> LoadEventWindow(const std::string& host,
                                                                    absl::Time since) = 0;
  virtual absl::StatusOr<int64_t> CountEventWindow(const std::string& host) = 0;
  virtual absl::StatusOr<std::vector<SourceHealthRecord>> LoadSourceHealth() = 0;
  virtual absl::StatusOr<int64_t> CountEvidence(const std::string& host) = 0;
};

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_STORE_EVIDENCE_STORE_H_
