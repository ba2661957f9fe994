// Correlation time for synthetic fleets of 200, 2,000 and 20,000 hosts (a quarter of the
// Exchange servers with stuck queues), printed with the time per host and its ratio to the
// 200-host run: the cost must grow linearly with the fleet, not with its square. Beside it, in
// the same run, the floor: the least any correlator does, every evidence item read once and
// filed by host and kind. Its own ratio shows how much of the growth per host is the memory
// hierarchy (a 20,000-host fleet does not fit the caches) rather than the algorithm. Then, per
// size, the correlator's own phases timed alone (the index, the pair matrix, the clock graph;
// the rest is grouping, judging and merging), to show where the time of the largest fleet goes,
// with the heap allocations of each: unlike the time, that count does not drift with the
// machine's speed, so a change that saves work shows in it exactly.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collector/correlator/clock_graph.h"
#include "collector/correlator/correlator.h"
#include "collector/correlator/fleet_index.h"
#include "collector/correlator/pair_matrix.h"
#include "common/proto_time.h"

// Every allocation through operator new is counted (then served by the process's malloc, as
// in the collector): containers, strings and protobuf messages all come this way.
std::atomic<uint64_t> g_allocations{0};

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
// GCC takes free() of what operator new returned for a mismatch; here it is the pair's own.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace {

using kerbside::model::FleetModel;
using kerbside::model::HostEvidence;
namespace v1 = kerbside::v1;

const absl::Time kNow = absl::FromUnixSeconds(1795687200);

std::string Name(const char* prefix, int i) { return absl::StrFormat("%s%05d", prefix, i); }
std::string Ip(int i) {
  return absl::StrFormat("10.%d.%d.%d", 1 + i / 65536, (i / 256) % 256, i % 256);
}

v1::Evidence Item(const std::string& host, const std::string& origin) {
  v1::Evidence e;
  e.set_host(host);
  e.set_source("bench");
  e.set_origin(origin);
  *e.mutable_observed_host_time() = kerbside::ToProto(kNow - absl::Minutes(5));
  return e;
}

FleetModel MakeFleet(int hosts) {
  FleetModel fleet;
  fleet.format = "bench";
  const int dcs = std::max(2, hosts / 50);
  const int exchange = hosts - dcs;
  for (int d = 0; d < dcs; ++d) {
    HostEvidence h;
    h.name = Name("DC", d);
    h.has_identity = true;
    h.identity.set_netbios_name(h.name);
    h.identity.set_fqdn(absl::AsciiStrToLower(h.name) + ".contoso.com");
    h.identity.set_role(v1::ROLE_DC);
    h.identity.set_domain("contoso.com");
    h.identity.set_site(absl::StrCat("S", d / 2));  // two DCs per AD site
    h.identity.add_ips(Ip(d));
    h.identity.set_pdc_emulator(d == 0);
    v1::Evidence repl = Item(h.name, "repadmin-showrepl.csv");
    for (int p : {(d + 1) % dcs, (d + dcs - 1) % dcs}) {
      v1::ReplicationLink* l = repl.mutable_replication()->add_links();
      l->set_destination_dsa(h.name);
      l->set_source_dsa(Name("DC", p));
      l->set_naming_context("DC=contoso,DC=com");
      l->set_consecutive_failures(d % 17 == 5 ? 3 : 0);
      l->set_last_failure_status(d % 17 == 5 ? 1722 : 0);
    }
    h.evidence.push_back(std::move(repl));
    if (d > 0) {
      v1::Evidence clock = Item(h.name, "w32tm-stripchart-DC00000.txt");
      auto* s = clock.mutable_w32tm_stripchart();
      s->set_target("DC00000");
      auto* sample = s->add_samples();
      sample->set_ok(true);
      *sample->mutable_printed_offset() = kerbside::ToProto(absl::Milliseconds(-3));
      h.evidence.push_back(std::move(clock));
    }
    fleet.hosts[h.name] = std::move(h);
  }
  for (int i = 0; i < exchange; ++i) {
    HostEvidence h;
    h.name = Name("EX", i);
    h.has_identity = true;
    h.identity.set_netbios_name(h.name);
    h.identity.set_fqdn(absl::AsciiStrToLower(h.name) + ".contoso.com");
    h.identity.set_role(v1::ROLE_EXCHANGE);
    h.identity.set_domain("contoso.com");
    h.identity.set_site(absl::StrCat("S", i % (dcs / 2)));
    h.identity.add_ips(Ip(100000 + i));
    // Every 20th server runs 7 minutes ahead; senders a quarter of the fleet fail toward them.
    const bool skewed = i % 20 == 1;
    v1::Evidence clock = Item(h.name, "w32tm-stripchart-DC00000.txt");
    auto* s = clock.mutable_w32tm_stripchart();
    s->set_target("DC00000");
    auto* sample = s->add_samples();
    sample->set_ok(true);
    *sample->mutable_printed_offset() =
        kerbside::ToProto(skewed ? absl::Seconds(-420) : absl::Milliseconds(2));
    h.evidence.push_back(std::move(clock));
    v1::Evidence queues = Item(h.name, "get-queue.json");
    for (int k = 1; k <= 3; ++k) {
      const int peer = i % 4 == 0 && k == 1 ? (i / 20) * 20 + 1 : (i + k) % exchange;
      v1::Queue* q = queues.mutable_queues()->add_queues();
      q->set_identity(absl::StrCat(h.name, "\\", k));
      q->set_next_hop_domain(absl::AsciiStrToLower(Name("EX", peer)) + ".contoso.com");
      if (i % 4 == 0 && k == 1 && peer != i) {
        q->set_status("Retry");
        q->set_message_count(12);
        v1::LastError* e = q->mutable_last_error();
        e->set_raw("451 4.4.0 ... 454 4.7.0 Temporary authentication failure");
        e->set_failure_class(v1::LastError::AUTH_TEMPORARY);
        e->set_target_fqdn(q->next_hop_domain());
        e->mutable_inner()->set_code(454);
        e->mutable_inner()->set_enhanced_status("4.7.0");
      } else {
        q->set_status("Active");
      }
    }
    h.evidence.push_back(std::move(queues));
    // Each DC lists a share of the Exchange accounts; each DC logs a few 4769 failures.
    v1::Evidence spn = Item(Name("DC", i % dcs), absl::StrCat("setspn-l-", h.name, ".txt"));
    spn.set_subject(h.name);
    spn.mutable_spn_listing()->set_account(h.name);
    spn.mutable_spn_listing()->add_spns("SmtpSvc/" + h.name);
    spn.mutable_spn_listing()->add_spns("SmtpSvc/" + h.identity.fqdn());
    fleet.hosts[Name("DC", i % dcs)].evidence.push_back(std::move(spn));
    if (i % 4 == 0) {
      v1::Evidence ev = Item(Name("DC", i % dcs), "events-security.xml");
      v1::EventRecord* r = ev.mutable_events()->add_events();
      r->set_provider("Microsoft-Windows-Security-Auditing");
      r->set_event_id(4769);
      (*r->mutable_facts())["status"] = "0x25";
      (*r->mutable_facts())["service_name"] = Name("EX", (i / 20) * 20 + 1) + "$";
      fleet.hosts[Name("DC", i % dcs)].evidence.push_back(std::move(ev));
    }
    fleet.hosts[h.name] = std::move(h);
  }
  return fleet;
}

// The floor: every evidence item of the fleet read once and filed by (host, kind).
size_t FileEvidence(const FleetModel& fleet) {
  absl::flat_hash_map<std::pair<std::string, int>, std::vector<const v1::Evidence*>> by_host_kind;
  for (const auto& [key, host] : fleet.hosts) {
    for (const v1::Evidence& e : host.evidence) {
      by_host_kind[{e.host(), static_cast<int>(e.kind_case())}].push_back(&e);
    }
  }
  return by_host_kind.size();
}

// Allocations of one run of `run`.
template <typename F>
uint64_t Allocations(F&& run) {
  const uint64_t before = g_allocations.load(std::memory_order_relaxed);
  run();
  return g_allocations.load(std::memory_order_relaxed) - before;
}

template <typename F>
double BestMs(F&& run) {
  double best = 1e18;
  for (int round = 0; round < 5; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  // Fleet sizes from the command line (e.g. one size under perf), else the three.
  std::vector<int> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  if (sizes.empty()) sizes = {200, 2000, 20000};
  std::printf("%8s %10s %12s %12s %10s %10s %10s\n", "hosts", "diagnoses", "correlate_ms",
              "us_per_host", "ratio_200", "floor_us", "floor_200");
  double base_per_host = 0;
  double base_floor = 0;
  for (int n : sizes) {
    const FleetModel fleet = MakeFleet(n);
    size_t diagnoses = 0;
    const double best_ms = BestMs(
        [&] { diagnoses = kerbside::correlator::Correlate(fleet, kNow, {}).diagnoses.size(); });
    size_t filed = 0;
    const double floor_ms = BestMs([&] { filed += FileEvidence(fleet); });
    if (filed == 0) return 1;  // keeps the floor's work from being optimized away
    const double per_host = best_ms * 1000 / n;
    const double floor_per_host = floor_ms * 1000 / n;
    if (base_per_host == 0) {
      base_per_host = per_host;
      base_floor = floor_per_host;
    }
    std::printf("%8d %10zu %12.1f %12.2f %10.2f %10.2f %10.2f\n", n, diagnoses, best_ms, per_host,
                per_host / base_per_host, floor_per_host, floor_per_host / base_floor);
  }
  std::printf(
      "\nphases (ms, then thousands of heap allocations; the rest: grouping the failures, the "
      "rules, merging)\n");
  std::printf("%8s %8s %8s %8s %8s %10s %8s %8s %8s %8s %10s\n", "hosts", "index", "matrix",
              "clocks", "rest", "correlate", "k_index", "k_matrix", "k_clocks", "k_rest",
              "k_correl");
  for (int n : sizes) {
    const FleetModel fleet = MakeFleet(n);
    namespace c = kerbside::correlator;
    const c::CorrelatorOptions options;
    auto index_run = [&] { c::FleetIndex index(fleet, kNow, options.stale_after); };
    const c::FleetIndex index(fleet, kNow, options.stale_after);
    auto matrix_run = [&] { c::PairMatrix matrix(index); };
    auto clocks_run = [&] { c::ClockGraph clocks(index, options.max_clock_skew); };
    auto total_run = [&] { c::Correlate(fleet, kNow, options); };
    const double index_ms = BestMs(index_run);
    const double matrix_ms = BestMs(matrix_run);
    const double clocks_ms = BestMs(clocks_run);
    const double total_ms = BestMs(total_run);
    const double k = 1000;
    const double index_k = Allocations(index_run) / k;
    const double matrix_k = Allocations(matrix_run) / k;
    const double clocks_k = Allocations(clocks_run) / k;
    const double total_k = Allocations(total_run) / k;
    std::printf("%8d %8.1f %8.1f %8.1f %8.1f %10.1f %8.1f %8.1f %8.1f %8.1f %10.1f\n", n, index_ms,
                matrix_ms, clocks_ms, total_ms - index_ms - matrix_ms - clocks_ms, total_ms,
                index_k, matrix_k, clocks_k, total_k - index_k - matrix_k - clocks_k, total_k);
  }
  std::printf(
      "\nLinear growth keeps ratio_200 near 1 (or near floor_200, the memory hierarchy's own "
      "growth); quadratic growth would make it ~100 at 20,000 hosts. Goal (issue 17): 20,000 "
      "hosts in under 250 ms.\n");
  return 0;
}
