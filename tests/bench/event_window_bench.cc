// The collector's window of recent events: the cost of ingesting a source's batch whose events
// merge into the window (a SELECT and an upsert per event key), beside the baseline of the same
// number of snapshot items (delete and insert), in the same process and store. An agent re-sends
// its whole host folder every interval, so the figure that matters is the steady state: batch
// after batch of the same keys. Also the rows kept (must stay one per key) and the read.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/store/sqlite_store.h"
#include "common/events/event_aggregate.h"
#include "common/proto_time.h"

namespace {

namespace v1 = kerbside::v1;
using kerbside::ToProto;
using kerbside::collector::EventWindowPolicy;
using kerbside::collector::SqliteStore;

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

// `keys` distinct 1035 keys (one per client IP), each seen 20 + `more` times, as the
// host-folder source sends them: aggregated.
std::vector<v1::Evidence> EventBatch(int keys, int more = 0) {
  v1::EventBatch records;
  const int per_key = 20 + more;
  for (int k = 0; k < keys; ++k) {
    for (int i = 0; i < per_key; ++i) {
      v1::EventRecord* r = records.add_events();
      r->set_provider("MSExchangeFrontEndTransport");
      r->set_event_id(1035);
      r->set_channel("Application");
      // Record ids interleave the keys as a log does: occurrence i of every key, then i + 1.
      r->set_record_id(static_cast<uint64_t>(1 + i * keys + k));
      *r->mutable_time_created() = ToProto(kNow - absl::Minutes(60 - 3 * i));
      const std::string ip = absl::StrCat("10.1.", k / 250, ".", k % 250);
      (*r->mutable_facts())["source_ip"] = ip;
      (*r->mutable_facts())["connector"] = "Default Frontend EX02";
      for (const char* v : {"IllegalMessage", "Default Frontend EX02", "ExchangeAuth"}) {
        r->add_fields()->set_value(v);
      }
      r->add_fields()->set_value(ip);
    }
  }
  std::vector<v1::Evidence> out;
  for (v1::EventAggregate& a : kerbside::events::AggregateEvents(records)) {
    v1::Evidence e;
    e.set_host("EX02");
    e.set_source("host_folder");
    e.set_origin("hosts/EX02/events-frontend.xml");
    *e.mutable_observed_host_time() = ToProto(kNow);
    *e.mutable_event_aggregate() = std::move(a);
    out.push_back(std::move(e));
  }
  return out;
}

// The baseline: as many snapshot items of about the same size.
std::vector<v1::Evidence> SnapshotBatch(const std::vector<v1::Evidence>& events) {
  std::vector<v1::Evidence> out;
  for (const v1::Evidence& e : events) {
    v1::Evidence s;
    s.set_host("EX02");
    s.set_source("host_folder");
    s.set_origin("hosts/EX02/w32tm-status.txt");
    s.mutable_w32tm_status()->set_source(std::string(e.event_aggregate().ByteSizeLong(), 'x'));
    out.push_back(std::move(s));
  }
  return out;
}

// `batch(i)` is the i-th read; built before the clock starts.
double MsPerBatch(SqliteStore* store, const std::vector<std::vector<v1::Evidence>>& reads) {
  v1::SourceHealth ok;
  ok.set_state(v1::SourceHealth::OK);
  const int batches = static_cast<int>(reads.size());
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < batches; ++i) {
    const std::vector<v1::Evidence>& batch = reads[static_cast<size_t>(i)];
    const absl::Time received = kNow + absl::Seconds(i);
    const EventWindowPolicy window{.since = received - absl::Hours(24),
                                   .host_offset = absl::ZeroDuration()};
    if (!store->ReplaceSourceEvidence("EX02", "host_folder", ok, received, batch, window).ok()) {
      std::fprintf(stderr, "ingest failed\n");
      std::exit(1);
    }
  }
  const std::chrono::duration<double, std::milli> d = std::chrono::steady_clock::now() - start;
  return d.count() / batches;
}

}  // namespace

int main() {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("kerbside-window-bench-", getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::printf("%-6s %-8s %-9s %14s %14s %7s %10s %10s\n", "keys", "batches", "reads", "window ms/b",
              "snapshot ms/b", "ratio", "rows kept", "read ms");
  int db = 0;
  for (int keys : {10, 100, 1000}) {
    const int batches = keys >= 1000 ? 20 : 100;
    // "same": the export unchanged between reads (the steady state); "growing": one new
    // occurrence of every key per read (the row is rebuilt each time).
    for (const bool growing : {false, true}) {
      auto store = SqliteStore::Open((dir / absl::StrCat("w", ++db, ".db")).string());
      auto baseline = SqliteStore::Open((dir / absl::StrCat("s", db, ".db")).string());
      if (!store.ok() || !baseline.ok()) {
        std::fprintf(stderr, "cannot open the store in %s\n", dir.c_str());
        return 1;
      }
      std::vector<std::vector<v1::Evidence>> reads, snapshots;
      for (int i = 0; i < batches; ++i) {
        reads.push_back(growing || i == 0 ? EventBatch(keys, growing ? i : 0) : reads.front());
        snapshots.push_back(SnapshotBatch(reads.back()));
      }
      const double window_ms = MsPerBatch(store->get(), reads);
      const double snapshot_ms = MsPerBatch(baseline->get(), snapshots);
      const auto read_start = std::chrono::steady_clock::now();
      auto rows = (*store)->LoadEventWindow("EX02", kNow - absl::Hours(24));
      const std::chrono::duration<double, std::milli> read =
          std::chrono::steady_clock::now() - read_start;
      const bool counted_once =
          rows.ok() && !rows->empty() &&
          rows->front().event_aggregate().count() == 20 + (growing ? batches - 1 : 0);
      std::printf("%-6d %-8d %-9s %14.3f %14.3f %7.2f %10zu %10.3f%s\n", keys, batches,
                  growing ? "growing" : "same", window_ms, snapshot_ms, window_ms / snapshot_ms,
                  rows.ok() ? rows->size() : 0, read.count(), counted_once ? "" : "  COUNT WRONG");
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}
