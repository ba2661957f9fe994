#include "common/bundle/bundle_loader.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/bundle/accounts_json.h"
#include "common/bundle/clock_json.h"
#include "common/bundle/event_aggregates_json.h"
#include "common/bundle/host_json.h"
#include "common/events/event_xml.h"
#include "common/exchange/get_queue.h"
#include "common/exchange/receive_connector.h"
#include "common/identity.h"
#include "common/probes/probes_json.h"
#include "common/proto_time.h"
#include "common/text/decode.h"
#include "common/text/lines.h"
#include "common/windows/repadmin.h"
#include "common/windows/setspn.h"
#include "common/windows/w32tm.h"

namespace kerbside::bundle {
namespace {

namespace fs = std::filesystem;

// Event exports are the one legitimately big kind of file (a day of 4769s on a DC).
constexpr size_t kMaxEventFileBytes = 256u << 20;

// One recognised kind of file: its name pattern (lower case) and its parser. The parser fills
// the Evidence's kind; a file may yield several items (several stripchart runs).
struct FileParser {
  const char* prefix;  // "setspn-l-", or the whole stem ("get-queue") when !has_subject
  const char* suffix;  // ".txt"
  bool has_subject;    // the part between prefix and suffix names what the file is about
  size_t max_bytes;
  std::function<absl::Status(absl::string_view text, const std::string& file,
                             std::vector<v1::Evidence>* out)>
      parse;
};

template <typename T, typename Setter>
absl::Status One(absl::StatusOr<T> parsed, std::vector<v1::Evidence>* out, Setter set) {
  if (!parsed.ok()) return parsed.status();
  v1::Evidence e;
  set(&e, std::move(*parsed));
  out->push_back(std::move(e));
  return absl::OkStatus();
}

// The registry of bundle files (DESIGN.md §5). Order matters only for exact names listed before
// patterns that would also match them.
const std::vector<FileParser>& Parsers() {
  static const auto* parsers = new std::vector<FileParser>{
      {"get-queue", ".json", false, text::kDefaultMaxInputBytes,
       [](absl::string_view t, const std::string& f, std::vector<v1::Evidence>* out) {
         return One(exchange::ParseGetQueueJson(t, f), out,
                    [](v1::Evidence* e, auto v) { *e->mutable_queues() = std::move(v); });
       }},
      {"get-queue", ".txt", false, text::kDefaultMaxInputBytes,
       [](absl::string_view t, const std::string& f, std::vector<v1::Evidence>* out) {
         return One(exchange::ParseGetQueueList(t, f), out,
                    [](v1::Evidence* e, auto v) { *e->mutable_queues() = std::move(v); });
       }},
      {"get-receiveconnector", ".json", false, text::kDefaultMaxInputBytes,
       [](absl::string_view t, const std::string& f, std::vector<v1::Evidence>* out) {
         return One(exchange::ParseReceiveConnectorsJson(t, f), out, [](v1::Evidence* e, auto v) {
           *e->mutable_receive_connectors() = std::move(v);
         });
       }},
      {"get-receiveconnector", ".txt", false, text::kDefaultMaxInputBytes,
       [](absl::string_view t, const std::string& f, std::vector<v1::Evidence>* out) {
         return One(exchange::ParseReceiveConnectorsList(t, f), out, [](v1::Evidence* e, auto v) {
           *e->mutable_receive_connectors() = std::move(v);
         });
       }},
      {"setspn-x", ".txt", false, text::kDefaultMaxInputBytes,
       [](absl::string_view t, const std::string& f, std::vector<v1::Evidence>* out) {
         return One(windows::ParseSetspnDuplicates(t, f), out,
                    [](v1::Evidence* e, auto v) { *e->mutable_spn_duplicates() = std::move(v); });
       }},
      {"setspn-l-", ".txt", true, text::kDefaultMaxInputBytes,
       [](absl::string_view t, const std::string& f, std::vector<v1::Evidence>* out) {
         return One(windows::ParseSetspnList(t, f), out,
                    [](v1::Evidence* e, auto v) { *e->mutable_spn_listing() = std::move(v); });
       }},
      {"setspn-q-", ".txt", true, text::kDefaultMaxInputBytes,
       [](absl::string_view t, const std::string& f, std::vector<v1::Evidence>* out) {
         return One(windows::ParseSetspnQuery(t, f), out,
                    [](v1::Evidence* e, auto v) { *e->mutable_spn_query() = std::move(v); });
       }},
      {"repadmin-showrepl", ".csv", false, text::kDefaultMaxInputBytes,
       [](absl::string_view t, const std::string& f, std::vector<v1::Evidence>* out) {
         return One(windows::ParseRepadminShowreplCsv(t, f), out,
                    [](v1::Evidence* e, auto v) { *e->mutable_replication() = std::move(v); });
       }},
      {"drs-showrepl", ".json", false, text::kDefaultMaxInputBytes,
       [](absl::string_view t, const std::string& f, std::vector<v1::Evidence>* out) {
         return One(windows::ParseDrsShowreplJson(t, f), out,
                    [](v1::Evidence* e, auto v) { *e->mutable_replication() = std::move(v); });
       }},
      {"w32tm-stripchart-", ".txt", true, text::kDefaultMaxInputBytes,
       [](absl::string_view t, const std::string& f, std::vector<v1::Evidence>* out) {
         auto runs = windows::ParseW32tmStripchartRuns(t, f);
         if (!runs.ok()) return runs.status();
         for (v1::W32tmStripchart& run : *runs) {
           v1::Evidence e;
           *e.mutable_w32tm_stripchart() = std::move(run);
           out->push_back(std::move(e));
         }
         return absl::OkStatus();
       }},
      {"w32tm-status", ".txt", false, text::kDefaultMaxInputBytes,
       [](absl::string_view t, const std::string& f, std::vector<v1::Evidence>* out) {
         return One(windows::ParseW32tmStatus(t, f), out,
                    [](v1::Evidence* e, auto v) { *e->mutable_w32tm_status() = std::move(v); });
       }},
      {"probes", ".json", false, text::kDefaultMaxInputBytes,
       [](absl::string_view t, const std::string& f, std::vector<v1::Evidence>* out) {
         return One(ParseProbesJson(t, f), out,
                    [](v1::Evidence* e, auto v) { *e->mutable_probes() = std::move(v); });
       }},
      {"clock-readings", ".json", false, text::kDefaultMaxInputBytes,
       [](absl::string_view t, const std::string& f, std::vector<v1::Evidence>* out) {
         auto readings = ParseClockReadingsJson(t, f);
         if (!readings.ok()) return readings.status();
         for (v1::ClockReading& r : *readings) {
           v1::Evidence e;
           *e.mutable_clock_reading() = std::move(r);
           out->push_back(std::move(e));
         }
         return absl::OkStatus();
       }},
      {"computer-accounts", ".json", false, text::kDefaultMaxInputBytes,
       [](absl::string_view t, const std::string& f, std::vector<v1::Evidence>* out) {
         return One(ParseComputerAccountsJson(t, f), out, [](v1::Evidence* e, auto v) {
           *e->mutable_computer_accounts() = std::move(v);
         });
       }},
      {"event-aggregates-", ".json", true, kMaxEventFileBytes,
       [](absl::string_view t, const std::string& f, std::vector<v1::Evidence>* out) {
         auto aggregates = ParseEventAggregatesJson(t, f);
         if (!aggregates.ok()) return aggregates.status();
         for (v1::EventAggregate& a : *aggregates) {
           v1::Evidence e;
           *e.mutable_event_aggregate() = std::move(a);
           out->push_back(std::move(e));
         }
         return absl::OkStatus();
       }},
      {"events-", ".xml", true, kMaxEventFileBytes,
       [](absl::string_view t, const std::string& f, std::vector<v1::Evidence>* out) {
         return One(events::ParseEventsXml(t, f), out,
                    [](v1::Evidence* e, auto v) { *e->mutable_events() = std::move(v); });
       }},
  };
  return *parsers;
}

// Matches a lower-case file name against a parser; sets `subject` (original case) for
// patterns with one.
bool Matches(const FileParser& p, const std::string& lower, const std::string& original,
             std::string* subject) {
  if (!p.has_subject) return lower == absl::StrCat(p.prefix, p.suffix);
  const size_t prefix = strlen(p.prefix), suffix = strlen(p.suffix);
  if (lower.size() <= prefix + suffix || !absl::StartsWith(lower, p.prefix) ||
      !absl::EndsWith(lower, p.suffix)) {
    return false;
  }
  *subject = original.substr(prefix, original.size() - prefix - suffix);
  return true;
}

absl::StatusOr<std::string> ReadBytes(const fs::path& path, size_t max_bytes,
                                      const std::string& rel) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) return absl::NotFoundError(absl::StrCat(rel, ": ", ec.message()));
  if (size > max_bytes) {
    return text::ParseError(rel, 0,
                            absl::StrCat("file is ", size, " bytes; more than the ", max_bytes,
                                         "-byte limit for this kind of file"));
  }
  auto bytes = ReadFileToString(path.string());
  if (!bytes.ok()) {
    return absl::Status(bytes.status().code(), absl::StrCat(rel, ": cannot read"));
  }
  return bytes;
}

absl::StatusOr<std::string> ReadText(const fs::path& path, size_t max_bytes,
                                     const std::string& rel) {
  auto bytes = ReadBytes(path, max_bytes, rel);
  if (!bytes.ok()) return bytes.status();
  auto decoded = text::DecodeToUtf8(*bytes, rel, max_bytes);
  if (!decoded.ok()) return decoded.status();
  return std::move(decoded->text);
}

std::optional<absl::Time> ModificationTime(const fs::path& path) {
  std::error_code ec;
  const fs::file_time_type t = fs::last_write_time(path, ec);
  if (ec) return std::nullopt;
  return absl::FromChrono(std::chrono::time_point_cast<std::chrono::system_clock::duration>(
      std::chrono::file_clock::to_sys(t)));
}

std::string Lower(std::string s) { return absl::AsciiStrToLower(s); }

// The parser for a file of a host folder, by its name; nullptr when no bundle file has it.
const FileParser* FindParser(const std::string& lower, const std::string& name,
                             std::string* subject) {
  for (const FileParser& p : Parsers()) {
    if (Matches(p, lower, name, subject)) return &p;
  }
  return nullptr;
}

bool Within(const fs::path& path, const fs::path& root) {
  auto [r, p] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return r == root.end();
}

// An entry of the bundle as what it is: links are followed only when they resolve inside `root`
// (canonical), so a bundle cannot make the reader open /etc/shadow or list /; a loop or a
// dangling link is a problem of that entry. Every call takes an error_code: nothing throws.
struct Entry {
  fs::path path;  // what to open (the link's target when it is one)
  fs::file_type type = fs::file_type::none;
  std::string problem;  // set when the entry cannot be used
};

Entry Resolve(const fs::path& entry, const fs::path& root, const std::string& rel) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(entry, ec);
  if (ec) return {{}, fs::file_type::none, absl::StrCat(rel, ": ", ec.message())};
  if (!fs::is_symlink(st)) return {entry, st.type(), ""};
  const fs::path target = fs::canonical(entry, ec);
  if (ec) {
    return {{},
            fs::file_type::none,
            absl::StrCat(rel, ": a link that does not resolve (", ec.message(), "); not followed")};
  }
  if (!Within(target, root)) {
    return {
        {},
        fs::file_type::none,
        absl::StrCat(rel, ": a link out of the bundle (to ", target.string(), "); not followed")};
  }
  const fs::file_status ts = fs::status(target, ec);
  if (ec) return {{}, fs::file_type::none, absl::StrCat(rel, ": ", ec.message())};
  return {target, ts.type(), ""};
}

void LoadHostFolderInto(const fs::path& folder, const std::string& folder_name,
                        const fs::path& root, model::HostEvidence& host) {
  const std::string key = absl::AsciiStrToUpper(folder_name);
  host.name = key;
  host.identity.set_netbios_name(key);
  const std::string rel_dir = absl::StrCat("hosts/", folder_name, "/");

  struct File {
    std::string name;
    Entry entry;
  };
  std::vector<File> files;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    files.push_back({name, Resolve(it->path(), root, rel_dir + name)});
  }
  if (ec) {
    host.problems.push_back({rel_dir, absl::StrCat(rel_dir, ": cannot list: ", ec.message())});
    return;
  }
  std::sort(files.begin(), files.end(),
            [](const File& a, const File& b) { return a.name < b.name; });

  // host.json first: its collected_at dates every other file of the folder.
  for (const File& f : files) {
    const std::string& name = f.name;
    if (Lower(name) != "host.json") continue;
    const std::string rel = rel_dir + name;
    if (!f.entry.problem.empty()) {
      host.problems.push_back({rel, f.entry.problem});
      continue;
    }
    auto text = ReadText(f.entry.path, 1u << 20, rel);
    absl::StatusOr<HostJson> parsed =
        text.ok() ? ParseHostJson(*text, rel) : absl::StatusOr<HostJson>(text.status());
    if (!parsed.ok()) {
      host.problems.push_back({rel, std::string(parsed.status().message())});
      continue;
    }
    if (parsed->identity.netbios_name() != key) {
      host.problems.push_back(
          {rel, absl::StrCat(rel, ": field \"name\": '", parsed->identity.netbios_name(),
                             "' differs from the folder name '", folder_name,
                             "'; the folder name is used")});
      parsed->identity.set_netbios_name(key);
    }
    host.identity = parsed->identity;
    host.has_identity = true;
    host.collected_at = parsed->collected_at;
  }

  for (const File& f : files) {
    const std::string& name = f.name;
    const std::string lower = Lower(name);
    const std::string rel = rel_dir + name;
    if (lower == "host.json") continue;
    if (!f.entry.problem.empty()) {
      host.problems.push_back({rel, f.entry.problem});
      continue;
    }
    if (f.entry.type != fs::file_type::regular) {
      host.ignored.push_back(rel);
      continue;
    }
    std::string subject;
    const FileParser* parser = FindParser(lower, name, &subject);
    if (parser == nullptr) {
      host.ignored.push_back(rel);
      continue;
    }
    auto text = ReadText(f.entry.path, parser->max_bytes, rel);
    std::vector<v1::Evidence> items;
    absl::Status s = text.ok() ? parser->parse(*text, rel, &items) : text.status();
    if (!s.ok()) {
      host.problems.push_back({rel, std::string(s.message())});
      continue;
    }
    const std::optional<absl::Time> observed =
        host.collected_at ? host.collected_at : ModificationTime(f.entry.path);
    for (v1::Evidence& e : items) {
      e.set_host(key);
      e.set_source("bundle");
      e.set_origin(rel);
      e.set_subject(subject);
      if (observed) *e.mutable_observed_host_time() = ToProto(*observed);
      host.evidence.push_back(std::move(e));
    }
  }
}

}  // namespace

absl::StatusOr<std::vector<v1::Evidence>> ParseBundleFile(const std::string& file_name,
                                                          absl::string_view bytes) {
  std::string subject;
  const FileParser* parser = FindParser(Lower(file_name), file_name, &subject);
  if (parser == nullptr) {
    return absl::NotFoundError(absl::StrCat(file_name, ": not a file of the bundle layout"));
  }
  if (bytes.size() > parser->max_bytes) {
    return text::ParseError(file_name, 0,
                            absl::StrCat(bytes.size(), " bytes; more than the ", parser->max_bytes,
                                         "-byte limit for this kind"));
  }
  auto decoded = text::DecodeToUtf8(bytes, file_name, parser->max_bytes);
  if (!decoded.ok()) return decoded.status();
  std::vector<v1::Evidence> items;
  if (absl::Status s = parser->parse(decoded->text, file_name, &items); !s.ok()) return s;
  for (v1::Evidence& e : items) {
    e.set_origin(file_name);
    e.set_subject(subject);
  }
  return items;
}

absl::StatusOr<model::FleetModel> LoadBundle(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat(dir, ": not a folder"));
  }
  // The root as the operator named it, links resolved once: nothing below may leave it.
  const fs::path root = fs::canonical(dir, ec);
  if (ec) return absl::NotFoundError(absl::StrCat(dir, ": ", ec.message()));
  model::FleetModel fleet;
  fleet.format = "kerbside-bundle/1";
  fs::path hosts_dir;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const std::string lower = Lower(name);
    if (lower != "bundle.json" && lower != "hosts") continue;
    const Entry entry = Resolve(it->path(), root, name);
    if (!entry.problem.empty()) {
      fleet.problems.push_back({name, entry.problem});
      continue;
    }
    if (lower == "bundle.json" && entry.type == fs::file_type::regular) {
      auto text = ReadText(entry.path, 1u << 20, name);
      absl::StatusOr<BundleJson> parsed =
          text.ok() ? ParseBundleJson(*text, name) : absl::StatusOr<BundleJson>(text.status());
      if (!parsed.ok()) {
        fleet.problems.push_back({name, std::string(parsed.status().message())});
      } else {
        if (!parsed->format.empty()) fleet.format = parsed->format;
        fleet.max_clock_skew = parsed->max_clock_skew;
      }
    } else if (lower == "hosts" && entry.type == fs::file_type::directory) {
      hosts_dir = entry.path;
    }
  }
  if (ec) return absl::PermissionDeniedError(absl::StrCat(dir, ": cannot list: ", ec.message()));
  if (hosts_dir.empty()) {
    fleet.problems.push_back({"hosts/", "hosts/: no hosts folder: the bundle holds no host"});
    return fleet;
  }
  for (fs::directory_iterator it(hosts_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const Entry entry = Resolve(it->path(), root, "hosts/" + name);
    if (!entry.problem.empty()) {
      fleet.problems.push_back({"hosts/" + name, entry.problem});
      continue;
    }
    if (entry.type != fs::file_type::directory) continue;
    const std::string key = absl::AsciiStrToUpper(name);
    if (fleet.hosts.count(key) != 0) {
      fleet.problems.push_back(
          {"hosts/" + name, absl::StrCat("hosts/", name, ": a second folder for host ", key,
                                         " (names are case-insensitive); skipped")});
      continue;
    }
    LoadHostFolderInto(entry.path, name, root, fleet.hosts[key]);
  }
  if (ec) fleet.problems.push_back({"hosts/", absl::StrCat("hosts/: ", ec.message())});
  return fleet;
}

model::HostEvidence LoadHostFolder(const std::string& folder, const std::string& name) {
  model::HostEvidence host;
  // The folder as configured, links resolved once, is the root its files may not leave.
  std::error_code ec;
  const fs::path root = fs::canonical(folder, ec);
  if (ec) {
    host.name = absl::AsciiStrToUpper(name);
    host.identity.set_netbios_name(host.name);
    host.problems.push_back({folder, absl::StrCat(folder, ": ", ec.message())});
    return host;
  }
  LoadHostFolderInto(root, name, root, host);
  return host;
}

std::optional<absl::Time> NewestCollectedAt(const model::FleetModel& fleet) {
  std::optional<absl::Time> newest;
  for (const auto& [name, host] : fleet.hosts) {
    if (host.collected_at && (!newest || *host.collected_at > *newest)) {
      newest = host.collected_at;
    }
  }
  return newest;
}

std::vector<FileKind> ExpectedKinds(v1::Role role) {
  std::vector<FileKind> kinds = {
      {"w32tm_status", "w32tm-status.txt"},
      {"events", "events-*.xml"},
  };
  if (role == v1::ROLE_EXCHANGE) {
    kinds.insert(kinds.begin(),
                 {{"queues", "get-queue.json or get-queue.txt"},
                  {"receive_connectors", "get-receiveconnector.json or get-receiveconnector.txt"},
                  {"w32tm_stripchart", "w32tm-stripchart-<DC>.txt"},
                  {"probes", "probes.json"}});
  } else if (role == v1::ROLE_DC) {
    kinds.insert(kinds.begin(), {{"spn_listing", "setspn-l-<ACCOUNT>.txt"},
                                 {"spn_duplicates", "setspn-x.txt"},
                                 {"replication", "repadmin-showrepl.csv or drs-showrepl.json"},
                                 {"w32tm_stripchart", "w32tm-stripchart-<PDC>.txt"}});
  }
  return kinds;
}

}  // namespace kerbside::bundle
