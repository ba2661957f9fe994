#include "common/bundle/bundle_writer.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/bundle/accounts_json.h"
#include "common/bundle/clock_json.h"
#include "common/bundle/event_aggregates_json.h"
#include "common/events/event_xml.h"
#include "common/identity.h"
#include "common/json_text.h"
#include "common/model/pdc_emulator.h"
#include "common/probes/probes_json.h"
#include "common/proto_time.h"
#include "nlohmann/json.hpp"

namespace kerbside::bundle {
namespace {

using Json = nlohmann::ordered_json;

// A file-name-safe form of a subject ("SMTPSVC/*" -> "SMTPSVC").
std::string FileWord(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') {
      out += c;
    }
  }
  return out.empty() ? "x" : out;
}

// Pretty JSON for a bundle file. Strings from the hosts are UTF-8 (protobuf checks it), but a
// bad byte must cost a replacement character, never an exception.
template <typename J>
std::string Pretty(const J& j) {
  return kerbside::JsonText(j, 2) + "\n";
}

std::string Seconds7(absl::Duration d) { return absl::StrFormat("%.7f", absl::ToDoubleSeconds(d)); }

std::string QueuesJson(const v1::QueueSnapshot& s) {
  Json arr = Json::array();
  for (const v1::Queue& q : s.queues()) {
    arr.push_back(
        {{"Identity", q.identity()},
         {"DeliveryType", q.delivery_type()},
         {"Status", q.status()},
         {"MessageCount", q.message_count()},
         {"NextHopDomain", q.next_hop_domain()},
         {"LastError", q.last_error().raw().empty() ? Json(nullptr) : Json(q.last_error().raw())},
         {"LastRetryTime",
          q.last_retry_time().empty() ? Json(nullptr) : Json(q.last_retry_time())}});
  }
  return Pretty(arr);
}

std::string ConnectorsJson(const v1::ReceiveConnectors& s) {
  Json arr = Json::array();
  for (const v1::ReceiveConnector& c : s.connectors()) {
    Json bindings = Json::array(), ranges = Json::array();
    for (const v1::Binding& b : c.bindings()) {
      const bool v6 = b.address().find(':') != std::string::npos;
      bindings.push_back(v6 ? absl::StrCat("[", b.address(), "]:", b.port())
                            : absl::StrCat(b.address(), ":", b.port()));
    }
    for (const v1::IpRange& r : c.remote_ip_ranges()) ranges.push_back(r.text());
    arr.push_back({{"Identity", c.identity()},
                   {"Enabled", c.enabled()},
                   {"TransportRole", c.transport_role()},
                   {"Bindings", bindings},
                   {"RemoteIPRanges", ranges},
                   {"AuthMechanism", absl::StrJoin(c.auth_mechanism(), ", ")},
                   {"PermissionGroups", absl::StrJoin(c.permission_groups(), ", ")}});
  }
  return Pretty(arr);
}

std::string SetspnList(const std::string& dn,
                       const google::protobuf::RepeatedPtrField<std::string>& spns) {
  std::string out = absl::StrCat("Registered ServicePrincipalNames for ", dn, ":\n");
  for (const std::string& s : spns) absl::StrAppend(&out, "\t", s, "\n");
  return out;
}

std::string SetspnDuplicates(const v1::SpnDuplicates& d) {
  std::string out = absl::StrCat(d.forest() ? "Checking forest " : "Checking domain ",
                                 d.scope().empty() ? "DC=unknown" : d.scope(), "\n");
  for (const auto& g : d.groups()) {
    absl::StrAppend(&out, g.spn(), " is registered on these accounts:\n");
    for (const std::string& dn : g.account_dns()) absl::StrAppend(&out, "\t", dn, "\n");
    absl::StrAppend(&out, "\n");
  }
  absl::StrAppend(&out, "found ", d.groups_size(), " group of duplicate SPNs.\n");
  return out;
}

std::string SetspnQuery(const v1::SpnQuery& q) {
  std::string out =
      absl::StrCat("Checking domain ", q.scope().empty() ? "DC=unknown" : q.scope(), "\n");
  for (const auto& a : q.accounts()) {
    absl::StrAppend(&out, a.dn(), "\n");
    for (const std::string& s : a.spns()) absl::StrAppend(&out, "\t", s, "\n");
  }
  absl::StrAppend(&out, "\n", q.accounts_size() > 0 ? "Existing SPN found!" : "No such SPN found.",
                  "\n");
  return out;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string RepadminCsv(const v1::ReplicationStatus& r) {
  std::string out =
      "showrepl_COLUMNS,Destination DSA Site,Destination DSA,Naming Context,Source DSA Site,"
      "Source DSA,Transport Type,Number of Failures,Last Failure Time,Last Success Time,"
      "Last Failure Status\n";
  for (const v1::ReplicationLink& l : r.links()) {
    absl::StrAppend(&out, "showrepl_INFO,", CsvField(l.destination_site()), ",",
                    CsvField(l.destination_dsa()), ",", CsvField(l.naming_context()), ",",
                    CsvField(l.source_site()), ",", CsvField(l.source_dsa()), ",",
                    CsvField(l.transport().empty() ? "RPC" : l.transport()), ",",
                    l.consecutive_failures(), ",",
                    CsvField(l.last_failure_time().empty() ? "0" : l.last_failure_time()), ",",
                    CsvField(l.last_success_time().empty() ? "0" : l.last_success_time()), ",",
                    l.last_failure_status(), "\n");
  }
  for (const std::string& e : r.errors()) absl::StrAppend(&out, e, "\n");
  return out;
}

std::string Stripchart(const v1::W32tmStripchart& s) {
  std::string out = absl::StrCat("Tracking ", s.target(), " [",
                                 s.target_address().empty() ? s.target() : s.target_address(),
                                 "].\nCollecting ", s.samples_size(), " samples.\n");
  for (const auto& sample : s.samples()) {
    const std::string t = sample.time_of_day().empty() ? "00:00:00" : sample.time_of_day();
    if (sample.ok()) {
      // w32tm prints a sign, at least two integer digits and seven decimals.
      absl::StrAppend(
          &out, t, ", ",
          absl::StrFormat("%+011.7fs", absl::ToDoubleSeconds(FromProto(sample.printed_offset()))),
          "\n");
    } else {
      absl::StrAppend(&out, t, ", error: ", absl::StrFormat("0x%08X", sample.error_hresult()),
                      "\n");
    }
  }
  return out;
}

std::string W32tmStatus(const v1::W32tmStatus& s) {
  std::string reference = s.reference_address().empty()
                              ? absl::StrCat("(source name:  \"", s.reference_name(), "\")")
                              : absl::StrCat("(source IP:  ", s.reference_address(), ")");
  return absl::StrCat(
      "Leap Indicator: ", s.leap_indicator(), "(no warning)\n", "Stratum: ", s.stratum(),
      " (secondary reference - syncd by (S)NTP)\n", "Precision: ", s.precision(), " (per tick)\n",
      "Root Delay: ", Seconds7(FromProto(s.root_delay())), "s\n",
      "Root Dispersion: ", Seconds7(FromProto(s.root_dispersion())), "s\n",
      "ReferenceId: ", s.reference_id().empty() ? "0x00000000" : s.reference_id(), " ", reference,
      "\n", "Last Successful Sync Time: ",
      s.last_successful_sync_time().empty() ? "unspecified" : s.last_successful_sync_time(), "\n",
      "Source: ", s.source(), s.source_flags().empty() ? "" : "," + s.source_flags(), "\n",
      "Poll Interval: 10 (", absl::ToInt64Seconds(FromProto(s.poll_interval())), "s)\n");
}

}  // namespace

RenderedBundle RenderBundle(const model::FleetModel& fleet, absl::Time collected_at) {
  RenderedBundle out;
  Json bundle = {{"format", "kerbside-bundle/1"}};
  if (fleet.max_clock_skew) {
    bundle["max_clock_skew_seconds"] = absl::ToDoubleSeconds(*fleet.max_clock_skew);
  }
  out.files.push_back({"bundle.json", Pretty(bundle)});
  // The bundle format has one PDC emulator flag per host (host.json); written from the
  // directory's word when a DC reported it, so a bundle judges the same reference as live.
  const std::vector<model::PdcReport> pdc_reports = model::PdcReportsIn(fleet);
  const std::string directory_pdc =
      pdc_reports.empty() ? "" : model::ChoosePdcEmulator(pdc_reports, {}).host;
  for (const auto& [name, host] : fleet.hosts) {
    const std::string dir = absl::StrCat("hosts/", name, "/");
    const v1::HostIdentity& id = host.identity;
    // host.json dates every file of the folder: keep the host's own collection time, else the
    // oldest observation among its evidence (an export may make evidence look older than it
    // is, never fresher), else the export's time.
    std::optional<absl::Time> when = host.collected_at;
    for (const v1::Evidence& e : host.evidence) {
      if (host.collected_at || !e.has_observed_host_time() ||
          e.kind_case() == v1::Evidence::kClockReading) {
        continue;
      }
      const absl::Time t = FromProto(e.observed_host_time());
      if (!when || t < *when) when = t;
    }
    out.files.push_back(
        {dir + "host.json",
         Pretty(Json(
             {{"name", name},
              {"fqdn", id.fqdn()},
              {"role", HostRoleName(id.role())},
              {"site", id.site()},
              {"domain", id.domain()},
              {"ips", std::vector<std::string>(id.ips().begin(), id.ips().end())},
              {"pdc_emulator", pdc_reports.empty() ? id.pdc_emulator() : name == directory_pdc},
              {"exchange_version", id.exchange_version()},
              {"dag", id.dag()},
              {"server_roles",
               std::vector<std::string>(id.server_roles().begin(), id.server_roles().end())},
              {"collected_at", FormatRfc3339(when.value_or(collected_at))}}))});
    // Several items of one kind go to one file where the format allows (events), else numbered.
    std::map<std::string, std::string> events_by_file;
    std::map<std::string, std::vector<v1::EventAggregate>> aggregates_by_file;
    v1::ComputerAccounts accounts;
    std::vector<v1::ClockReading> clock_readings;
    std::map<std::string, int> used;
    auto unique = [&](std::string path) {
      const int n = used[path]++;
      if (n == 0) return path;
      const size_t dot = path.rfind('.');
      return absl::StrCat(path.substr(0, dot), "-", n + 1, path.substr(dot));
    };
    for (const v1::Evidence& e : host.evidence) {
      const std::string subject = FileWord(e.subject());
      switch (e.kind_case()) {
        case v1::Evidence::kQueues:
          out.files.push_back({unique(dir + "get-queue.json"), QueuesJson(e.queues())});
          break;
        case v1::Evidence::kReceiveConnectors:
          out.files.push_back(
              {unique(dir + "get-receiveconnector.json"), ConnectorsJson(e.receive_connectors())});
          break;
        case v1::Evidence::kSpnListing: {
          const v1::SpnListing& l = e.spn_listing();
          const std::string account = !e.subject().empty() ? e.subject() : l.account();
          out.files.push_back(
              {unique(dir + "setspn-l-" + FileWord(account) + ".txt"),
               SetspnList(l.account_dn().empty() ? "CN=" + account : l.account_dn(), l.spns())});
          break;
        }
        case v1::Evidence::kComputerAccounts:
          // kerbside's own file, one per host (each account names the DC it was read from):
          // `setspn -L` would lose msDS-KeyVersionNumber and whenChanged.
          for (const v1::ComputerAccount& a : e.computer_accounts().accounts()) {
            *accounts.add_accounts() = a;
          }
          break;
        case v1::Evidence::kSpnDuplicates:
          out.files.push_back({unique(dir + "setspn-x.txt"), SetspnDuplicates(e.spn_duplicates())});
          break;
        case v1::Evidence::kSpnQuery:
          out.files.push_back(
              {unique(dir + "setspn-q-" + subject + ".txt"), SetspnQuery(e.spn_query())});
          break;
        case v1::Evidence::kReplication:
          out.files.push_back(
              {unique(dir + "repadmin-showrepl.csv"), RepadminCsv(e.replication())});
          break;
        case v1::Evidence::kW32TmStripchart: {
          const std::string target = e.w32tm_stripchart().target();
          const std::string word =
              FileWord(absl::AsciiStrToUpper(target.substr(0, target.find('.'))));
          out.files.push_back({unique(dir + "w32tm-stripchart-" + word + ".txt"),
                               Stripchart(e.w32tm_stripchart())});
          break;
        }
        case v1::Evidence::kW32TmStatus:
          out.files.push_back({unique(dir + "w32tm-status.txt"), W32tmStatus(e.w32tm_status())});
          break;
        case v1::Evidence::kEvents:
          events_by_file[dir + "events-" + subject + ".xml"] += events::RenderEventsXml(e.events());
          break;
        case v1::Evidence::kEventAggregate: {
          // Grouped by the file they came from: hosts/EX02/events-frontend.xml's aggregates go to
          // event-aggregates-frontend.json, with their counts (the examples alone lose them).
          std::string word = subject;
          const std::string base = e.origin().substr(e.origin().rfind('/') + 1);
          if (word == "x" && absl::StartsWithIgnoreCase(base, "events-") &&
              absl::EndsWithIgnoreCase(base, ".xml")) {
            word = FileWord(base.substr(7, base.size() - 11));
          }
          aggregates_by_file[dir + "event-aggregates-" + word + ".json"].push_back(
              e.event_aggregate());
          break;
        }
        case v1::Evidence::kProbes:
          out.files.push_back(
              {unique(dir + "probes.json"), Pretty(ProbeResultsToJson(e.probes()))});
          break;
        case v1::Evidence::kClockReading:
          clock_readings.push_back(e.clock_reading());
          break;
        case v1::Evidence::kDomainRoles:
          // Carried by host.json's pdc_emulator (above); the bundle format has no file of its own.
          break;
        default:
          out.not_exported.push_back(absl::StrCat(name, ": evidence of an unknown kind"));
          break;
      }
    }
    for (auto& [path, xml] : events_by_file) out.files.push_back({path, std::move(xml)});
    if (accounts.accounts_size() > 0) {
      out.files.push_back(
          {dir + "computer-accounts.json", Pretty(ComputerAccountsToJson(accounts))});
    }
    for (const auto& [path, aggregates] : aggregates_by_file) {
      out.files.push_back({path, Pretty(EventAggregatesToJson(aggregates))});
    }
    if (!clock_readings.empty()) {
      out.files.push_back(
          {dir + "clock-readings.json", Pretty(ClockReadingsToJson(clock_readings))});
    }
  }
  return out;
}

absl::Status WriteBundle(const std::string& dir, const RenderedBundle& bundle) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(fs::path(dir) / "bundle.json", ec)) {
    return absl::AlreadyExistsError(
        absl::StrCat(dir, ": already holds a bundle; export into an empty folder"));
  }
  // Only into a new or empty folder: whatever is already there (a link planted to redirect a
  // write to /etc, say) is not ours to write through.
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec))
      return absl::FailedPreconditionError(absl::StrCat(dir, ": not a folder"));
    if (!fs::is_empty(dir, ec) || ec) {
      return absl::FailedPreconditionError(
          absl::StrCat(dir, ": not empty; export into a new or empty folder"));
    }
  }
  for (const BundleFile& f : bundle.files) {
    const fs::path rel(f.path);
    for (const fs::path& part : rel) {
      if (part == ".." || part == "." || rel.is_absolute() || rel.has_root_name()) {
        return absl::InvalidArgumentError(
            absl::StrCat("bundle file '", f.path, "': not a plain path inside the bundle"));
      }
    }
    const fs::path path = fs::path(dir) / rel;
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      return absl::PermissionDeniedError(
          absl::StrCat(path.parent_path().string(), ": cannot create: ", ec.message()));
    }
    // The folder was empty and we made every folder in it: anything at this path appeared
    // since, and is not written through.
    if (fs::symlink_status(path, ec).type() != fs::file_type::not_found) {
      return absl::AlreadyExistsError(
          absl::StrCat(path.string(), ": appeared while exporting; not written through"));
    }
    std::ofstream o(path, std::ios::binary);
    o << f.content;
    if (!o) return absl::DataLossError(absl::StrCat(path.string(), ": cannot write"));
  }
  return absl::OkStatus();
}

}  // namespace kerbside::bundle
