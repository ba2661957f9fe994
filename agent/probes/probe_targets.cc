#include "agent/probes/probe_targets.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace kerbside::agent::probes {

absl::StatusOr<HostPort> ParseHostPort(absl::string_view text, int default_port) {
  HostPort hp;
  hp.port = default_port;
  absl::string_view port_text;
  if (text.empty()) return absl::InvalidArgumentError("empty address");
  if (text.front() == '[') {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "': missing ']'"));
    }
    hp.host = std::string(text.substr(1, close - 1));
    absl::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return absl::InvalidArgumentError(absl::StrCat("'", text, "': junk after ']'"));
      }
      port_text = rest.substr(1);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const size_t colon = text.find(':');
    hp.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  } else {
    hp.host = std::string(text);  // a name, IPv4, or a bare IPv6 address
  }
  if (hp.host.empty()) return absl::InvalidArgumentError(absl::StrCat("'", text, "': no host"));
  if (!port_text.empty() || (text.back() == ':')) {
    int port = 0;
    if (!absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "': port is not 1-65535"));
    }
    hp.port = port;
  }
  return hp;
}

std::string FormatHostPort(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

namespace {

bool SameName(const std::string& a, const std::string& b) { return absl::EqualsIgnoreCase(a, b); }

}  // namespace

ProbeTargets MergeTargets(const ProbeTargets& configured, const v1::Inventory& inventory,
                          const std::string& self) {
  ProbeTargets out = configured;
  for (const v1::HostIdentity& h : inventory.hosts()) {
    const std::string name = h.fqdn().empty() ? h.netbios_name() : h.fqdn();
    const std::string host = h.ips().empty() ? name : h.ips(0);
    if (h.role() == v1::ROLE_DC) {
      bool known = false;
      for (const KdcTarget& k : out.kdcs) known |= SameName(k.name, name) || SameName(k.host, host);
      if (!known) out.kdcs.push_back(KdcTarget{name, host});
    } else if (h.role() == v1::ROLE_EXCHANGE && !SameName(h.netbios_name(), self)) {
      bool known = false;
      for (const PeerTarget& p : out.peers) known |= SameName(p.name, name);
      if (!known) out.peers.push_back(PeerTarget{name, host});
    }
  }
  return out;
}

std::vector<std::string> SmtpServiceNames(const std::string& peer) {
  const size_t dot = peer.find('.');
  if (dot == std::string::npos) return {absl::StrCat("SMTPSVC/", peer)};
  return {absl::StrCat("SMTPSVC/", peer.substr(0, dot)), absl::StrCat("SMTPSVC/", peer)};
}

}  // namespace kerbside::agent::probes
