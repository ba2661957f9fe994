#include "collector/cli/bundle_view.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/bundle/bundle_loader.h"
#include "common/identity.h"
#include "common/model/queue_state.h"

namespace kerbside::cli {
namespace {

std::string RoleName(v1::Role role) {
  const std::string name = HostRoleName(role);
  return name.empty() ? "unknown role" : name;
}

struct HostCounts {
  int queues = 0, stuck_queues = 0, receive_connectors = 0, spn_accounts = 0, spns = 0;
  int duplicate_spn_groups = 0, replication_links = 0, replication_links_failing = 0;
  int clock_samples = 0, clock_sample_errors = 0, events = 0, kdc_probes = 0, ticket_probes = 0,
      smtp_probes = 0;
  bool w32tm_status = false;
  std::map<std::string, int> events_by_id;  // "Provider/ID"
  std::set<std::string> kinds;              // evidence kinds present
};

HostCounts Count(const model::HostEvidence& host) {
  HostCounts c;
  for (const v1::Evidence& e : host.evidence) {
    const auto* field = e.GetDescriptor()->FindFieldByNumber(e.kind_case());
    if (field != nullptr) c.kinds.insert(field->name());
    switch (e.kind_case()) {
      case v1::Evidence::kQueues:
        for (const v1::Queue& q : e.queues().queues()) {
          ++c.queues;
          if (model::IsQueueStuck(q)) ++c.stuck_queues;
        }
        break;
      case v1::Evidence::kReceiveConnectors:
        c.receive_connectors += e.receive_connectors().connectors_size();
        break;
      case v1::Evidence::kSpnListing:
        ++c.spn_accounts;
        c.spns += e.spn_listing().spns_size();
        break;
      case v1::Evidence::kSpnQuery:
        c.spn_accounts += e.spn_query().accounts_size();
        for (const auto& a : e.spn_query().accounts()) c.spns += a.spns_size();
        break;
      case v1::Evidence::kSpnDuplicates:
        c.duplicate_spn_groups += e.spn_duplicates().groups_size();
        break;
      case v1::Evidence::kReplication:
        for (const v1::ReplicationLink& l : e.replication().links()) {
          ++c.replication_links;
          if (l.consecutive_failures() > 0) ++c.replication_links_failing;
        }
        break;
      case v1::Evidence::kW32TmStripchart:
        for (const auto& s : e.w32tm_stripchart().samples()) {
          if (s.ok()) {
            ++c.clock_samples;
          } else {
            ++c.clock_sample_errors;
          }
        }
        break;
      case v1::Evidence::kW32TmStatus:
        c.w32tm_status = true;
        break;
      case v1::Evidence::kClockReading:
        ++c.clock_samples;
        break;
      case v1::Evidence::kEvents:
        for (const v1::EventRecord& r : e.events().events()) {
          ++c.events;
          ++c.events_by_id[absl::StrCat(r.provider(), "/", r.event_id())];
        }
        break;
      case v1::Evidence::kEventAggregate:
        // Every occurrence counts, not just the examples an aggregate keeps.
        c.events += static_cast<int>(e.event_aggregate().count());
        c.events_by_id[absl::StrCat(e.event_aggregate().provider(), "/",
                                    e.event_aggregate().event_id())] +=
            static_cast<int>(e.event_aggregate().count());
        break;
      case v1::Evidence::kComputerAccounts:
        c.spn_accounts += e.computer_accounts().accounts_size();
        for (const auto& a : e.computer_accounts().accounts()) c.spns += a.spns_size();
        break;
      case v1::Evidence::kProbes:
        c.kdc_probes += e.probes().kdc_size();
        c.ticket_probes += e.probes().tickets_size();
        c.smtp_probes += e.probes().smtp_size();
        for (const auto& k : e.probes().kdc()) {
          if (k.has_kdc_clock()) ++c.clock_samples;
        }
        break;
      default:
        break;
    }
  }
  return c;
}

std::vector<std::string> Missing(const model::HostEvidence& host, const HostCounts& c) {
  std::vector<std::string> out;
  if (!host.has_identity) out.push_back("host.json");
  for (const bundle::FileKind& k : bundle::ExpectedKinds(host.identity.role())) {
    // The PDC emulator is the time reference: it has no DC to run a stripchart against.
    if (k.kind == "w32tm_stripchart" && host.identity.pdc_emulator()) continue;
    const bool present = c.kinds.count(k.kind) != 0 ||
                         (k.kind == "spn_listing" &&
                          (c.kinds.count("spn_query") || c.kinds.count("computer_accounts"))) ||
                         (k.kind == "events" && c.kinds.count("event_aggregate"));
    if (!present) out.push_back(k.description);
  }
  return out;
}

}  // namespace

bool BundleHasProblems(const model::FleetModel& fleet) {
  if (!fleet.problems.empty()) return true;
  for (const auto& [name, host] : fleet.hosts) {
    if (!host.problems.empty()) return true;
  }
  return false;
}

nlohmann::ordered_json BundleCheckToJson(const std::string& dir, const model::FleetModel& fleet) {
  nlohmann::ordered_json out;
  out["bundle"] = dir;
  out["format"] = fleet.format;
  out["max_clock_skew_seconds"] =
      fleet.max_clock_skew ? nlohmann::ordered_json(absl::ToDoubleSeconds(*fleet.max_clock_skew))
                           : nlohmann::ordered_json(nullptr);
  out["ok"] = !BundleHasProblems(fleet);
  out["problems"] = nlohmann::ordered_json::array();
  for (const model::Problem& p : fleet.problems) {
    out["problems"].push_back({{"file", p.origin}, {"error", p.message}});
  }
  out["hosts"] = nlohmann::ordered_json::array();
  for (const auto& [name, host] : fleet.hosts) {
    const HostCounts c = Count(host);
    nlohmann::ordered_json h;
    h["name"] = name;
    h["fqdn"] = host.identity.fqdn();
    h["role"] = RoleName(host.identity.role());
    h["site"] = host.identity.site();
    h["pdc_emulator"] = host.identity.pdc_emulator();
    h["files_read"] = static_cast<int>(host.evidence.size());
    h["counts"] = {{"queues", c.queues},
                   {"stuck_queues", c.stuck_queues},
                   {"receive_connectors", c.receive_connectors},
                   {"spn_accounts", c.spn_accounts},
                   {"spns", c.spns},
                   {"duplicate_spn_groups", c.duplicate_spn_groups},
                   {"replication_links", c.replication_links},
                   {"replication_links_failing", c.replication_links_failing},
                   {"clock_samples", c.clock_samples},
                   {"clock_sample_errors", c.clock_sample_errors},
                   {"w32tm_status", c.w32tm_status},
                   {"kdc_probes", c.kdc_probes},
                   {"ticket_probes", c.ticket_probes},
                   {"smtp_probes", c.smtp_probes},
                   {"events", c.events}};
    h["events_by_id"] = nlohmann::ordered_json::object();
    for (const auto& [id, n] : c.events_by_id) h["events_by_id"][id] = n;
    h["missing"] = Missing(host, c);
    h["failed"] = nlohmann::ordered_json::array();
    for (const model::Problem& p : host.problems) {
      h["failed"].push_back({{"file", p.origin}, {"error", p.message}});
    }
    h["ignored"] = host.ignored;
    out["hosts"].push_back(std::move(h));
  }
  return out;
}

std::string BundleCheckToText(const std::string& dir, const model::FleetModel& fleet) {
  std::string out = absl::StrCat("Bundle ", dir, " (", fleet.format, ", max clock skew ",
                                 fleet.max_clock_skew ? absl::FormatDuration(*fleet.max_clock_skew)
                                                      : std::string("not set: 5m default"),
                                 ")\n");
  for (const model::Problem& p : fleet.problems)
    absl::StrAppend(&out, "  FAILED ", p.message, "\n");
  for (const auto& [name, host] : fleet.hosts) {
    const HostCounts c = Count(host);
    absl::StrAppend(&out, "\n", name, " (", RoleName(host.identity.role()),
                    host.identity.pdc_emulator() ? ", PDC emulator" : "",
                    host.identity.site().empty() ? "" : ", site " + host.identity.site(), ")\n");
    std::vector<std::string> read;
    if (c.kinds.count("queues")) {
      read.push_back(absl::StrCat(c.queues, " queues (", c.stuck_queues, " stuck)"));
    }
    if (c.kinds.count("receive_connectors")) {
      read.push_back(absl::StrCat(c.receive_connectors, " receive connectors"));
    }
    if (c.spn_accounts > 0 || c.kinds.count("spn_listing") || c.kinds.count("spn_query")) {
      read.push_back(absl::StrCat(c.spns, " SPNs on ", c.spn_accounts, " accounts"));
    }
    if (c.kinds.count("spn_duplicates")) {
      read.push_back(absl::StrCat(c.duplicate_spn_groups, " duplicate SPN groups"));
    }
    if (c.kinds.count("replication")) {
      read.push_back(absl::StrCat(c.replication_links, " replication links (",
                                  c.replication_links_failing, " failing)"));
    }
    if (c.clock_samples > 0 || c.clock_sample_errors > 0) {
      read.push_back(absl::StrCat(
          c.clock_samples, " clock samples",
          c.clock_sample_errors > 0 ? absl::StrCat(" (", c.clock_sample_errors, " errors)") : ""));
    }
    if (c.w32tm_status) read.push_back("w32tm status");
    if (c.kinds.count("probes")) {
      read.push_back(absl::StrCat(c.kdc_probes, " KDC, ", c.ticket_probes, " ticket, ",
                                  c.smtp_probes, " SMTP probes"));
    }
    if (c.events > 0) {
      std::vector<std::string> ids;
      for (const auto& [id, n] : c.events_by_id) ids.push_back(absl::StrCat(id, " x", n));
      read.push_back(absl::StrCat(c.events, " events (", absl::StrJoin(ids, ", "), ")"));
    }
    absl::StrAppend(&out, "  read: ", read.empty() ? "nothing" : absl::StrJoin(read, "; "), "\n");
    const std::vector<std::string> missing = Missing(host, c);
    if (!missing.empty()) {
      absl::StrAppend(&out, "  not collected: ", absl::StrJoin(missing, ", "), "\n");
    }
    for (const model::Problem& p : host.problems) {
      absl::StrAppend(&out, "  FAILED ", p.message, "\n");
    }
    if (!host.ignored.empty()) {
      absl::StrAppend(&out, "  ignored (not bundle files): ", absl::StrJoin(host.ignored, ", "),
                      "\n");
    }
  }
  if (fleet.hosts.empty()) absl::StrAppend(&out, "(no host folders)\n");
  return out;
}

}  // namespace kerbside::cli
