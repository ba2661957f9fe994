#include "agent/sources/event_query.h"

#include <cstdint>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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
      {"System", {"Microsoft-Windows-Security-Kerberos", "Kerberos"}, {3, 4, 5, 7, 14}},
      {"System", {"Microsoft-Windows-Time-Service"}, {36, 47, 50, 129, 134, 142}},
      {"System", {"NETLOGON"}, {5719, 3210, 5721, 5722}},
  };
  if (role == v1::ROLE_EXCHANGE) {
    selects.push_back(
        {"Application", {"MSExchangeTransport", "MSExchangeFrontEndTransport"}, {1035, 2017}});
  }
  if (role == v1::ROLE_DC) {
    selects.push_back(
        {"System", {"Microsoft-Windows-Kerberos-Key-Distribution-Center", "KDC"}, {11}});
    selects.push_back({"Security",
                       {"Microsoft-Windows-Security-Auditing"},
                       {4768, 4769, 4771},
                       /*audit_failures_only=*/true});
    selects.push_back({"Directory Service", {}, {1311, 1388, 1864, 1925, 1988, 2042, 2087, 2088}});
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
