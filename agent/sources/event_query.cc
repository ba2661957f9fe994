#include "agent/sources/event_query.h"

#include <cstdint>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/events/event_ids.h"
#include "pugixml.hpp"

namespace kerbside::agent {
namespace {

// The Audit Failure keyword of the Security log (0x10000000000000).
constexpr uint64_t kAuditFailureKeyword = uint64_t{1} << 52;

struct Select {
  const char* channel;
  std::vector<const char*> providers;  // empty: any provider of the channel
  std::vector<int> event_ids;
  bool audit_failures_only = false;
};

template <size_t N>
std::vector<int> Ids(const std::array<uint32_t, N>& ids) {
  return std::vector<int>(ids.begin(), ids.end());
}

std::string XPath(const Select& s, absl::Duration lookback) {
  std::vector<std::string> terms;
  if (!s.providers.empty()) {
    std::vector<std::string> names;
    for (const char* p : s.providers) names.push_back(absl::StrCat("@Name='", p, "'"));
    terms.push_back(absl::StrCat("Provider[", absl::StrJoin(names, " or "), "]"));
  }
  std::vector<std::string> ids;
  for (int id : s.event_ids) ids.push_back(absl::StrCat("EventID=", id));
  terms.push_back(absl::StrCat("(", absl::StrJoin(ids, " or "), ")"));
  if (s.audit_failures_only) {
    terms.push_back(absl::StrCat("band(Keywords,", kAuditFailureKeyword, ")"));
  }
  terms.push_back(absl::StrCat(
      "TimeCreated[timediff(@SystemTime) <= ", absl::ToInt64Milliseconds(lookback), "]"));
  return absl::StrCat("*[System[", absl::StrJoin(terms, " and "), "]]");
}

}  // namespace

std::string EventQueryList(v1::Role role, absl::Duration lookback) {
  std::vector<Select> selects = {
      {"System",
       {"Microsoft-Windows-Security-Kerberos", "Kerberos"},
       Ids(events::kKerberosClientEvents)},
      {"System", {"Microsoft-Windows-Time-Service"}, Ids(events::kTimeServiceEvents)},
      {"System", {"NETLOGON"}, Ids(events::kNetlogonEvents)},
  };
  if (role == v1::ROLE_EXCHANGE) {
    selects.push_back({"Application",
                       {"MSExchangeTransport", "MSExchangeFrontEndTransport"},
                       Ids(events::kExchangeTransportEvents)});
  }
  if (role == v1::ROLE_DC) {
    selects.push_back({"System",
                       {"Microsoft-Windows-Kerberos-Key-Distribution-Center", "KDC"},
                       {static_cast<int>(events::kKdcDuplicateAccount)}});
    selects.push_back({"Security",
                       {"Microsoft-Windows-Security-Auditing"},
                       Ids(events::kKdcAuditEvents),
                       /*audit_failures_only=*/true});
    selects.push_back({"Directory Service", {}, Ids(events::kDirectoryServiceEvents)});
  }
  pugi::xml_document doc;
  pugi::xml_node list = doc.append_child("QueryList");
  // One <Query> per channel, its Selects together (the event log evaluates them as a union).
  unsigned queries = 0;
  for (const Select& s : selects) {
    pugi::xml_node query = list.find_child_by_attribute("Query", "Path", s.channel);
    if (!query) {
      query = list.append_child("Query");
      query.append_attribute("Id") = queries++;
      query.append_attribute("Path") = s.channel;
    }
    pugi::xml_node select = query.append_child("Select");
    select.append_attribute("Path") = s.channel;
    select.text() = XPath(s, lookback).c_str();
  }
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_indent | pugi::format_no_declaration);
  return out.str();
}

}  // namespace kerbside::agent
