#include "tests/lab/exsim/exchange_files.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "pugixml.hpp"

namespace kerbside::lab {
namespace {

// "11/27/2026 7:58:01 AM": the en-US short date and long time Exchange formats LRT with.
std::string EnUsTime(absl::Time t) {
  const absl::CivilSecond c = absl::ToCivilSecond(t, absl::UTCTimeZone());
  const int hour12 = c.hour() % 12 == 0 ? 12 : c.hour() % 12;
  return absl::StrFormat("%d/%d/%04d %d:%02d:%02d %s", c.month(), c.day(), c.year(), hour12,
                         c.minute(), c.second(), c.hour() < 12 ? "AM" : "PM");
}

}  // namespace

std::string LastErrorText(const QueueState& q) {
  return absl::StrCat("[{LRT=", EnUsTime(q.last_retry), "};{LED=", q.last_error,
                      " Attempted failover to alternate host, but that did not succeed. Either "
                      "there are no alternate hosts, or delivery failed to all alternate hosts. "
                      "The last endpoint attempted was ",
                      q.peer_ip, ":", q.peer_port, "};{FQDN=", q.next_hop_domain,
                      "};{IP=", q.peer_ip, "}]");
}

std::string GetQueueJson(const std::vector<QueueState>& queues) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const QueueState& q : queues) {
    nlohmann::ordered_json j;
    j["Identity"] = q.identity;
    j["DeliveryType"] = "SmtpRelayToServers";
    j["Status"] = q.retry ? "Retry" : "Ready";
    j["MessageCount"] = q.message_count;
    j["NextHopDomain"] = q.next_hop_domain;
    j["LastError"] = q.last_error.empty() ? nlohmann::ordered_json(nullptr)
                                          : nlohmann::ordered_json(LastErrorText(q));
    // ConvertTo-Json's DateTime: "\/Date(ms since the Unix epoch)\/"; JSON reads "\/" as "/".
    j["LastRetryTime"] = q.last_retry == absl::InfinitePast()
                             ? nlohmann::ordered_json(nullptr)
                             : nlohmann::ordered_json(
                                   absl::StrCat("/Date(", absl::ToUnixMillis(q.last_retry), ")/"));
    out.push_back(std::move(j));
  }
  return out.dump(4) + "\n";
}

std::string EventsXml(const std::vector<TransportEvent>& events) {
  std::ostringstream out;
  for (const TransportEvent& e : events) {
    pugi::xml_document doc;
    pugi::xml_node ev = doc.append_child("Event");
    ev.append_attribute("xmlns") = "http://schemas.microsoft.com/win/2004/08/events/event";
    pugi::xml_node sys = ev.append_child("System");
    sys.append_child("Provider").append_attribute("Name") = "MSExchangeTransport";
    pugi::xml_node id = sys.append_child("EventID");
    id.append_attribute("Qualifiers") = "32772";
    id.text() = e.event_id;
    sys.append_child("Level").text() = 3;
    sys.append_child("TimeCreated").append_attribute("SystemTime") =
        absl::FormatTime("%Y-%m-%dT%H:%M:%E7SZ", e.time, absl::UTCTimeZone()).c_str();
    sys.append_child("EventRecordID").text() = static_cast<unsigned long long>(e.record_id);
    sys.append_child("Channel").text() = "Application";
    sys.append_child("Computer").text() = e.computer.c_str();
    pugi::xml_node data = ev.append_child("EventData");
    for (const std::string& d : e.data) data.append_child("Data").text() = d.c_str();
    doc.save(out, "", pugi::format_raw | pugi::format_no_declaration);
    out << "\n";
  }
  return out.str();
}

}  // namespace kerbside::lab
