#include "common/windows/repadmin.h"

#include <csv.h>

#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/text/lines.h"
#include "nlohmann/json.hpp"

namespace kerbside::windows {
namespace {

using text::Line;
using text::ParseError;

// ---------------------------------------------------------------------------------------------
// CSV (libcsv does the RFC 4180 tokenising; one physical line is one record here because
// repadmin never puts a newline inside a quoted field).

struct CsvCollector {
  std::vector<std::string> fields;
  int records = 0;
};

void OnCsvField(void* data, size_t len, void* collector) {
  auto* c = static_cast<CsvCollector*>(collector);
  c->fields.emplace_back(data == nullptr ? "" : std::string(static_cast<char*>(data), len));
}

void OnCsvRecord(int /*terminator*/, void* collector) {
  ++static_cast<CsvCollector*>(collector)->records;
}

absl::StatusOr<std::vector<std::string>> TokeniseCsvLine(absl::string_view line) {
  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
    return absl::ResourceExhaustedError("csv_init failed");
  }
  CsvCollector collector;
  const size_t used =
      csv_parse(&parser, line.data(), line.size(), OnCsvField, OnCsvRecord, &collector);
  int error = used == line.size() ? CSV_SUCCESS : csv_error(&parser);
  if (error == CSV_SUCCESS && csv_fini(&parser, OnCsvField, OnCsvRecord, &collector) != 0) {
    error = csv_error(&parser);
  }
  csv_free(&parser);
  if (error != CSV_SUCCESS) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed CSV (", csv_strerror(error), ") near column ", used + 1));
  }
  return std::move(collector.fields);
}

// "Destination DC Site" (Windows 2003) and "Destination DSA Site" are the same column.
std::string NormaliseColumn(absl::string_view name) {
  std::vector<std::string> words =
      absl::StrSplit(absl::AsciiStrToLower(absl::StripAsciiWhitespace(name)),
                     absl::ByAnyChar(" \t_"), absl::SkipEmpty());
  for (std::string& w : words) {
    if (w == "dc") w = "dsa";
  }
  return absl::StrJoin(words, " ");
}

constexpr const char* kDefaultColumns[] = {
    "showrepl_COLUMNS",  "Destination DSA Site", "Destination DSA",     "Naming Context",
    "Source DSA Site",   "Source DSA",           "Transport Type",      "Number of Failures",
    "Last Failure Time", "Last Success Time",    "Last Failure Status",
};

using ColumnMap = std::map<std::string, size_t>;

ColumnMap MapColumns(const std::vector<std::string>& header) {
  ColumnMap columns;
  for (size_t i = 0; i < header.size(); ++i) columns.emplace(NormaliseColumn(header[i]), i);
  return columns;
}

absl::Status CheckColumns(const ColumnMap& columns, absl::string_view file, int line) {
  for (const char* required : {"destination dsa", "naming context", "source dsa"}) {
    if (!columns.count(required)) {
      return ParseError(file, line, absl::StrCat("showrepl_COLUMNS has no '", required, "'"));
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Samba JSON.

using Json = nlohmann::json;

absl::StatusOr<std::string> StringAt(const Json& obj, const char* key, bool required) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (!required) return std::string();
    return absl::InvalidArgumentError(absl::StrCat("neighbour has no \"", key, "\""));
  }
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  return absl::InvalidArgumentError(absl::StrCat("\"", key, "\" is not a string"));
}

absl::StatusOr<int64_t> IntAt(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    return absl::InvalidArgumentError(absl::StrCat("neighbour has no \"", key, "\""));
  }
  if (it->is_number_integer()) return it->get<int64_t>();
  int64_t v = 0;
  if (it->is_string() && absl::SimpleAtoi(it->get<std::string>(), &v)) return v;
  return absl::InvalidArgumentError(absl::StrCat("\"", key, "\" is not an integer"));
}

// "CN=NTDS Settings,CN=DC2,CN=Servers,CN=Site,CN=Sites,..." -> {site, server}, as Samba's
// drs_parse_ntds_dn does.
std::optional<std::pair<std::string, std::string>> SiteAndServerFromNtdsDn(absl::string_view dn) {
  std::vector<absl::string_view> parts = absl::StrSplit(dn, ',');
  if (parts.size() < 5 || !absl::EqualsIgnoreCase(parts[0], "CN=NTDS Settings") ||
      !absl::EqualsIgnoreCase(parts[2], "CN=Servers") ||
      !absl::EqualsIgnoreCase(parts[4], "CN=Sites")) {
    return std::nullopt;
  }
  auto value = [](absl::string_view rdn) {
    const size_t eq = rdn.find('=');
    return std::string(eq == absl::string_view::npos ? rdn : rdn.substr(eq + 1));
  };
  return std::make_pair(value(parts[3]), value(parts[1]));
}

absl::Status ReadNeighbour(const Json& n, v1::ReplicationLink::Direction direction,
                           v1::ReplicationLink* link) {
  if (!n.is_object()) return absl::InvalidArgumentError("neighbour is not an object");
  link->set_direction(direction);
  absl::StatusOr<std::string> nc = StringAt(n, "NC dn", true);
  if (!nc.ok()) return nc.status();
  link->set_naming_context(*nc);
  absl::StatusOr<std::string> guid = StringAt(n, "DSA objectGUID", false);
  if (!guid.ok()) return guid.status();
  link->set_partner_dsa_guid(*guid);
  absl::StatusOr<int64_t> failures = IntAt(n, "consecutive failures");
  if (!failures.ok()) return failures.status();
  if (*failures < 0 || *failures > INT32_MAX) {
    return absl::InvalidArgumentError("\"consecutive failures\" out of range");
  }
  link->set_consecutive_failures(static_cast<int32_t>(*failures));
  if (auto it = n.find("is deleted"); it != n.end() && it->is_boolean()) {
    link->set_partner_deleted(it->get<bool>());
  }

  // Partner site and name: "DSA" = "Site\\Server", else from the NTDS DN.
  std::string site, server;
  absl::StatusOr<std::string> dsa = StringAt(n, "DSA", false);
  if (!dsa.ok()) return dsa.status();
  if (const size_t slash = dsa->find('\\'); slash != std::string::npos) {
    site = dsa->substr(0, slash);
    server = dsa->substr(slash + 1);
  } else {
    absl::StatusOr<std::string> ntds_dn = StringAt(n, "NTDS DN", false);
    if (!ntds_dn.ok()) return ntds_dn.status();
    if (auto parsed = SiteAndServerFromNtdsDn(*ntds_dn)) {
      site = parsed->first;
      server = parsed->second;
    } else {
      server = *ntds_dn;  // non-standard DN: keep it whole rather than lose the partner
    }
  }
  if (direction == v1::ReplicationLink::OUTBOUND) {
    link->set_destination_site(site);
    link->set_destination_dsa(server);
  } else {
    link->set_source_site(site);
    link->set_source_dsa(server);
  }
  link->set_transport("RPC");  // Samba replicates over DRSUAPI RPC only

  absl::StatusOr<std::string> success = StringAt(n, "last success", false);
  if (!success.ok()) return success.status();
  link->set_last_success_time(*success == "NTTIME(0)" ? "0" : *success);
  absl::StatusOr<std::string> attempt = StringAt(n, "last attempt time", false);
  if (!attempt.ok()) return attempt.status();
  link->set_last_attempt_time(*attempt == "NTTIME(0)" ? "0" : *attempt);

  absl::StatusOr<std::string> message = StringAt(n, "last attempt message", false);
  if (!message.ok()) return message.status();
  absl::string_view m = *message;
  if (absl::ConsumePrefix(&m, "failed, result ")) {
    const size_t space = m.find(' ');
    uint32_t code = 0;
    if (!absl::SimpleAtoi(m.substr(0, space), &code)) {
      return absl::InvalidArgumentError(
          absl::StrCat("unreadable \"last attempt message\": ", *message));
    }
    // WERROR/HRESULT printed unsigned by Samba; repadmin's signed form is the common one.
    link->set_last_failure_status(static_cast<int32_t>(code));
    if (space != absl::string_view::npos) {
      absl::string_view name = absl::StripAsciiWhitespace(m.substr(space));
      absl::ConsumePrefix(&name, "(");
      absl::ConsumeSuffix(&name, ")");
      link->set_last_failure_message(std::string(name));
    }
    link->set_last_failure_time(link->last_attempt_time());
  }
  return absl::OkStatus();
}

int LineOfOffset(absl::string_view text, size_t offset, int first_line) {
  offset = std::min(offset, text.size());
  int line = first_line;
  for (size_t i = 0; i < offset; ++i) line += text[i] == '\n';
  return line;
}

}  // namespace

absl::StatusOr<v1::ReplicationStatus> ParseRepadminShowreplCsv(absl::string_view text,
                                                               absl::string_view file) {
  const std::vector<Line> lines = text::SplitLines(text);
  v1::ReplicationStatus status;
  std::vector<std::string> default_header(std::begin(kDefaultColumns), std::end(kDefaultColumns));
  ColumnMap columns = MapColumns(default_header);
  size_t header_fields = default_header.size();
  bool any = false;

  for (const Line& line : lines) {
    absl::string_view t = absl::StripAsciiWhitespace(line.text);
    absl::string_view first = t;
    absl::ConsumePrefix(&first, "\"");
    if (!absl::StartsWithIgnoreCase(first, "showrepl_")) continue;
    any = true;
    absl::StatusOr<std::vector<std::string>> fields = TokeniseCsvLine(t);
    if (!fields.ok()) return ParseError(file, line.number, fields.status().message());
    const std::string kind = absl::AsciiStrToLower((*fields)[0]);

    if (kind == "showrepl_columns") {
      columns = MapColumns(*fields);
      header_fields = fields->size();
      if (absl::Status s = CheckColumns(columns, file, line.number); !s.ok()) return s;
      continue;
    }
    if (kind == "showrepl_error") {
      status.add_errors(std::string(t));
      continue;
    }
    if (kind != "showrepl_info") {
      return ParseError(file, line.number, absl::StrCat("unknown row type ", (*fields)[0]));
    }
    if (fields->size() != header_fields) {
      return ParseError(
          file, line.number,
          absl::StrCat("row has ", fields->size(), " fields, header has ", header_fields));
    }
    auto get = [&](const char* column) -> std::string {
      auto it = columns.find(column);
      return it == columns.end() ? std::string() : (*fields)[it->second];
    };
    v1::ReplicationLink* link = status.add_links();
    link->set_direction(v1::ReplicationLink::INBOUND);
    link->set_destination_site(get("destination dsa site"));
    link->set_destination_dsa(get("destination dsa"));
    link->set_naming_context(get("naming context"));
    link->set_source_site(get("source dsa site"));
    link->set_source_dsa(get("source dsa"));
    link->set_transport(get("transport type"));
    link->set_last_failure_time(get("last failure time"));
    link->set_last_success_time(get("last success time"));
    const std::string failures = get("number of failures");
    int32_t failure_count = 0;
    if (!failures.empty() && (!absl::SimpleAtoi(failures, &failure_count) || failure_count < 0)) {
      return ParseError(file, line.number,
                        absl::StrCat("Number of Failures is not a count: '", failures, "'"));
    }
    link->set_consecutive_failures(failure_count);
    const std::string last_status = get("last failure status");
    int64_t code = 0;
    if (!last_status.empty() && !absl::SimpleAtoi(last_status, &code)) {
      return ParseError(file, line.number,
                        absl::StrCat("Last Failure Status is not a number: '", last_status, "'"));
    }
    link->set_last_failure_status(code);
  }
  if (!any) {
    return ParseError(file, 0,
                      lines.empty() ? "empty file" : "no showrepl_ rows: not repadmin /csv output");
  }
  return status;
}

absl::StatusOr<v1::ReplicationStatus> ParseDrsShowreplJson(absl::string_view text,
                                                           absl::string_view file) {
  const std::vector<Line> lines = text::SplitLines(text);
  const Line* start = nullptr;
  for (const Line& line : lines) {
    if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(line.text), "{")) {
      start = &line;
      break;
    }
  }
  if (start == nullptr) {
    return ParseError(file, 0, lines.empty() ? "empty file" : "no JSON object in the file");
  }
  const absl::string_view rest = text.substr(start->text.data() - text.data());

  Json root;
  try {
    std::istringstream in{std::string(rest)};
    in >> root;  // reads one JSON value and ignores what follows (a prompt)
  } catch (const Json::parse_error& e) {
    return ParseError(file, LineOfOffset(rest, e.byte > 0 ? e.byte - 1 : 0, start->number),
                      absl::StrCat("malformed JSON: ", e.what()));
  } catch (const std::exception& e) {
    return ParseError(file, start->number, absl::StrCat("malformed JSON: ", e.what()));
  }
  if (!root.is_object()) return ParseError(file, start->number, "JSON is not an object");
  if (!root.contains("repsFrom") && !root.contains("repsTo")) {
    return ParseError(file, start->number,
                      "no \"repsFrom\"/\"repsTo\": not samba-tool drs showrepl --json output");
  }

  v1::ReplicationStatus status;
  if (auto dsa = root.find("dsa"); dsa != root.end() && dsa->is_object()) {
    if (auto guid = dsa->find("objectGUID"); guid != dsa->end() && guid->is_string()) {
      status.set_dsa_guid(guid->get<std::string>());
    }
  }
  for (const auto& [key, direction] : {std::pair{"repsFrom", v1::ReplicationLink::INBOUND},
                                       std::pair{"repsTo", v1::ReplicationLink::OUTBOUND}}) {
    auto list = root.find(key);
    if (list == root.end()) continue;
    if (!list->is_array()) {
      return ParseError(file, start->number, absl::StrCat("\"", key, "\" is not a list"));
    }
    for (size_t i = 0; i < list->size(); ++i) {
      absl::Status s = ReadNeighbour((*list)[i], direction, status.add_links());
      if (!s.ok()) {
        return ParseError(file, start->number, absl::StrCat(key, "[", i, "]: ", s.message()));
      }
    }
  }
  return status;
}

}  // namespace kerbside::windows
