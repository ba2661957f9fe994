#include "collector/cli/hosts_view.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/duration_format.h"
#include "common/identity.h"
#include "common/proto_time.h"

namespace kerbside::cli {
namespace {

std::string RoleName(v1::Role role) {
  const std::string name = HostRoleName(role);
  return name.empty() ? "unknown" : name;
}

double Seconds(const google::protobuf::Duration& d) { return absl::ToDoubleSeconds(FromProto(d)); }

nlohmann::ordered_json EstimateJson(const v1::ClockEstimate& e) {
  nlohmann::ordered_json j;
  j["offset_seconds"] = Seconds(e.offset());
  j["uncertainty_seconds"] = Seconds(e.uncertainty());
  j["delay_seconds"] = Seconds(e.delay());
  j["measured_at"] = FormatRfc3339(FromProto(e.measured_at()));
  j["window_samples"] = e.window_samples();
  return j;
}

std::string EstimateText(const v1::ClockEstimate& e) {
  // Loopback and LAN uncertainties are fractions of a millisecond; show them as such.
  const double u = Seconds(e.uncertainty());
  return absl::StrCat(FormatSignedDuration(FromProto(e.offset())), " ±",
                      u < 1 ? absl::StrFormat("%.2fms", u * 1000) : absl::StrFormat("%.3fs", u));
}

// Terminal columns of a UTF-8 string: counts code points, which is right for the "±" we print.
size_t DisplayWidth(const std::string& s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace

nlohmann::ordered_json HostsToJson(const v1::ListHostsResponse& r) {
  nlohmann::ordered_json out;
  out["collector_time"] = FormatRfc3339(FromProto(r.collector_time()));
  out["reference_host"] = r.reference_host().empty() ? nlohmann::ordered_json(nullptr)
                                                     : nlohmann::ordered_json(r.reference_host());
  out["reference_reason"] = r.reference_reason();
  out["hosts"] = nlohmann::ordered_json::array();
  for (const v1::HostStatus& h : r.hosts()) {
    const v1::HostIdentity& id = h.identity();
    nlohmann::ordered_json j;
    j["name"] = id.netbios_name();
    j["fqdn"] = id.fqdn();
    j["role"] = RoleName(id.role());
    j["site"] = id.site();
    j["domain"] = id.domain();
    j["ips"] = std::vector<std::string>(id.ips().begin(), id.ips().end());
    j["pdc_emulator"] = id.pdc_emulator();
    j["agent_version"] = id.agent_version();
    j["connected"] = h.connected();
    j["first_seen"] = FormatRfc3339(FromProto(h.first_seen()));
    j["last_seen"] = FormatRfc3339(FromProto(h.last_seen()));
    j["peer_address"] = h.peer_address();
    j["certificate_subject"] = h.certificate_subject();
    j["clock_vs_collector"] = h.has_clock_vs_collector() ? EstimateJson(h.clock_vs_collector())
                                                         : nlohmann::ordered_json(nullptr);
    j["clock_vs_reference"] = h.has_clock_vs_reference() ? EstimateJson(h.clock_vs_reference())
                                                         : nlohmann::ordered_json(nullptr);
    j["spooled_batches"] = h.has_spooled_batches() ? nlohmann::ordered_json(h.spooled_batches())
                                                   : nlohmann::ordered_json(nullptr);
    out["hosts"].push_back(std::move(j));
  }
  return out;
}

std::string HostsToTable(const v1::ListHostsResponse& r) {
  const absl::Time now = FromProto(r.collector_time());
  const std::string ref_header =
      r.reference_host().empty()
          ? "VS REFERENCE"
          : absl::StrCat("VS ", r.reference_host(), " (", r.reference_reason(), ")");
  std::vector<std::vector<std::string>> rows = {{"HOST", "FQDN", "ROLE", "SITE", "STATE",
                                                 "CLOCK VS COLLECTOR", "DELAY", "MEASURED",
                                                 ref_header}};
  for (const v1::HostStatus& h : r.hosts()) {
    const v1::HostIdentity& id = h.identity();
    std::string role = RoleName(id.role());
    if (id.pdc_emulator()) role += " (PDC)";
    const std::string state =
        h.connected() ? "connected"
                      : absl::StrCat("last seen ", FormatAge(now - FromProto(h.last_seen())));
    std::string clock = "not measured", delay = "-", measured = "-", vs_ref = "-";
    if (h.has_clock_vs_collector()) {
      clock = EstimateText(h.clock_vs_collector());
      delay = absl::StrFormat("%.1fms", Seconds(h.clock_vs_collector().delay()) * 1000);
      measured = FormatAge(now - FromProto(h.clock_vs_collector().measured_at()));
    }
    if (h.has_clock_vs_reference()) {
      vs_ref = EstimateText(h.clock_vs_reference());
    } else if (r.reference_host().empty()) {
      vs_ref = "no reference";
    }
    rows.push_back(
        {id.netbios_name(), id.fqdn(), role, id.site(), state, clock, delay, measured, vs_ref});
  }
  std::vector<size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - DisplayWidth(row[i]) + 2, ' ');
    }
    absl::StripTrailingAsciiWhitespace(&line);
    out += line + "\n";
  }
  if (r.hosts_size() == 0) out += "(no host has connected yet)\n";
  return out;
}

}  // namespace kerbside::cli
