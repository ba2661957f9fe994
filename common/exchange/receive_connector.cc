#include "common/exchange/receive_connector.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/exchange/ip_range.h"
#include "common/exchange/ps_output.h"
#include "common/text/lines.h"

namespace kerbside::exchange {
namespace {

using internal::Member;
using internal::ScalarText;
using nlohmann::json;
using FlagTable = std::vector<std::pair<int64_t, const char*>>;

// [Flags] values from the decompiled Exchange 2013-era assemblies (github.com/PiratesRE/
// exchange_diff and evilashz/exchange-server-27065, both
// Microsoft.Exchange.Data.Directory/Data/Directory/SystemConfiguration/AuthMechanisms.cs):
// the receive connector's AuthMechanisms, not the send connector's enum of the same name.
const FlagTable& AuthMechanismFlags() {
  static const FlagTable* table = new FlagTable{{0, "None"},
                                                {1, "Tls"},
                                                {2, "Integrated"},
                                                {4, "BasicAuth"},
                                                {8, "BasicAuthRequireTLS"},
                                                {16, "ExchangeServer"},
                                                {32, "ExternalAuthoritative"}};
  return *table;
}

// Microsoft.Exchange.Data.PermissionGroups, [Flags] (PiratesRE/exchange_diff,
// Microsoft.Exchange.Data/PermissionGroups.cs).
const FlagTable& PermissionGroupFlags() {
  static const FlagTable* table = new FlagTable{{0, "None"},
                                                {1, "AnonymousUsers"},
                                                {2, "ExchangeUsers"},
                                                {4, "ExchangeServers"},
                                                {8, "ExchangeLegacyServers"},
                                                {16, "Partners"},
                                                {32, "Custom"}};
  return *table;
}

// TransportRole is a Microsoft.Exchange.Data.Directory.SystemConfiguration.ServerRole [Flags]
// (decompiled ServerRole.cs in evilashz/exchange-server-27065); only the roles a receive
// connector can have are named, other bits print as hex.
const FlagTable& ServerRoleFlags() {
  static const FlagTable* table = new FlagTable{{0, "None"},
                                                {1, "Cafe"},
                                                {2, "Mailbox"},
                                                {4, "ClientAccess"},
                                                {16, "UnifiedMessaging"},
                                                {32, "HubTransport"},
                                                {64, "Edge"},
                                                {16384, "FrontendTransport"}};
  return *table;
}

// "Tls, Integrated" or "{Tls, Integrated}" or a number, as flag names.
std::vector<std::string> FlagsFromText(absl::string_view value, const FlagTable& table) {
  int64_t n = 0;
  if (absl::SimpleAtoi(absl::StripAsciiWhitespace(value), &n)) {
    return internal::FlagNames(n, table);
  }
  return internal::SplitFlList(value, nullptr);
}

// Items of a multi-valued property given as text: "{a, b}", "a, b" or "a".
std::vector<std::string> ListFromText(absl::string_view value, bool* truncated) {
  return internal::SplitFlList(value, truncated);
}

void SplitIdentity(v1::ReceiveConnector& c) {
  const std::string& id = c.identity();
  if (const size_t slash = id.find('\\'); slash != std::string::npos) {
    if (c.server().empty()) c.set_server(id.substr(0, slash));
    if (c.name().empty()) c.set_name(id.substr(slash + 1));
  } else if (c.name().empty()) {
    c.set_name(id);
  }
  if (c.identity().empty() && !c.name().empty()) {
    c.set_identity(c.server().empty() ? c.name() : absl::StrCat(c.server(), "\\", c.name()));
  }
}

std::optional<bool> ParseBool(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  if (absl::EqualsIgnoreCase(value, "true") || value == "1") return true;
  if (absl::EqualsIgnoreCase(value, "false") || value == "0") return false;
  return std::nullopt;
}

absl::Status AddBinding(absl::string_view text, v1::ReceiveConnector& c, absl::string_view file,
                        int line) {
  auto b = ParseBinding(text);
  if (!b.ok()) {
    return text::ParseError(file, line, absl::StrCat(c.identity(), ": ", b.status().message()));
  }
  *c.add_bindings() = *std::move(b);
  return absl::OkStatus();
}

absl::Status AddRange(absl::string_view text, v1::ReceiveConnector& c, absl::string_view file,
                      int line) {
  auto r = ParseIpRange(text);
  if (!r.ok()) {
    return text::ParseError(file, line, absl::StrCat(c.identity(), ": ", r.status().message()));
  }
  *c.add_remote_ip_ranges() = *std::move(r);
  return absl::OkStatus();
}

// An address inside a JSON binding or range: a string, or an IPAddress-like object.
std::optional<std::string> AddressText(const json& value) {
  if (auto s = ScalarText(value)) return s;
  for (const char* key : {"IPAddressToString", "Address"}) {
    if (const json* m = Member(value, key)) {
      if (auto s = ScalarText(*m)) return s;
    }
  }
  return std::nullopt;
}

// The connector's Identity from JSON: "EX02\Default EX02", or an ADObjectId-like object whose
// DistinguishedName "CN=<name>,CN=SMTP Receive Connectors,CN=Protocols,CN=<server>,..." names
// the server.
void IdentityFromJson(const json& value, v1::ReceiveConnector& c) {
  if (auto s = ScalarText(value)) {
    c.set_identity(*s);
    return;
  }
  if (const json* name = Member(value, "Name")) c.set_name(ScalarText(*name).value_or(""));
  if (const json* dn = Member(value, "DistinguishedName")) {
    const std::string d = ScalarText(*dn).value_or("");
    const std::string marker = ",CN=Protocols,CN=";
    if (const size_t at = d.find(marker); at != std::string::npos) {
      const size_t begin = at + marker.size();
      c.set_server(d.substr(begin, d.find(',', begin) - begin));
    }
  }
}

absl::StatusOr<v1::ReceiveConnector> ConnectorFromJson(const json& item, absl::string_view file,
                                                       size_t index) {
  if (!item.is_object()) {
    return text::ParseError(file, 0,
                            absl::StrCat("connector #", index + 1, " is not a JSON object"));
  }
  v1::ReceiveConnector c;
  if (const json* m = Member(item, "Server")) c.set_server(ScalarText(*m).value_or(""));
  if (const json* m = Member(item, "Name")) c.set_name(ScalarText(*m).value_or(""));
  if (const json* m = Member(item, "Identity")) IdentityFromJson(*m, c);
  SplitIdentity(c);
  if (c.identity().empty()) {
    return text::ParseError(file, 0, absl::StrCat("connector #", index + 1, " has no Identity"));
  }
  if (const json* m = Member(item, "Enabled")) {
    c.set_enabled(ParseBool(ScalarText(*m).value_or("")).value_or(false));
  }
  if (const json* m = Member(item, "TransportRole")) {
    const std::vector<std::string> roles =
        FlagsFromText(ScalarText(*m).value_or(""), ServerRoleFlags());
    c.set_transport_role(absl::StrJoin(roles, ", "));
  }
  if (const json* m = Member(item, "Bindings"); m != nullptr && !m->is_null()) {
    std::vector<const json*> items;
    if (m->is_array()) {
      for (const json& e : *m) items.push_back(&e);
    } else {
      items.push_back(m);
    }
    for (const json* e : items) {
      if (auto s = ScalarText(*e)) {
        bool truncated = false;
        for (const std::string& b : ListFromText(*s, &truncated)) {
          if (absl::Status st = AddBinding(b, c, file, 0); !st.ok()) return st;
        }
        if (truncated) c.set_lists_truncated(true);
      } else if (e->is_object()) {
        const json* addr = Member(*e, "Address");
        const json* port = Member(*e, "Port");
        const auto a = addr ? AddressText(*addr) : std::nullopt;
        const auto p = port ? ScalarText(*port) : std::nullopt;
        if (!a || !p) {
          return text::ParseError(file, 0,
                                  absl::StrCat(c.identity(),
                                               ": binding object without Address "
                                               "and Port"));
        }
        const std::string text = absl::StrContains(*a, ':') ? absl::StrCat("[", *a, "]:", *p)
                                                            : absl::StrCat(*a, ":", *p);
        if (absl::Status st = AddBinding(text, c, file, 0); !st.ok()) return st;
      }
    }
  }
  if (const json* m = Member(item, "RemoteIPRanges"); m != nullptr && !m->is_null()) {
    std::vector<const json*> items;
    if (m->is_array()) {
      for (const json& e : *m) items.push_back(&e);
    } else {
      items.push_back(m);
    }
    for (const json* e : items) {
      if (auto s = ScalarText(*e)) {
        bool truncated = false;
        for (const std::string& r : ListFromText(*s, &truncated)) {
          if (absl::Status st = AddRange(r, c, file, 0); !st.ok()) return st;
        }
        if (truncated) c.set_lists_truncated(true);
      } else if (e->is_object()) {
        std::optional<std::string> text;
        if (const json* x = Member(*e, "Expression")) text = ScalarText(*x);
        if (!text) {
          const json* lo = Member(*e, "LowerBound");
          const json* hi = Member(*e, "UpperBound");
          const auto l = lo ? AddressText(*lo) : std::nullopt;
          const auto h = hi ? AddressText(*hi) : std::nullopt;
          if (l && h) text = *l == *h ? *l : absl::StrCat(*l, "-", *h);
        }
        if (!text) {
          return text::ParseError(file, 0,
                                  absl::StrCat(c.identity(),
                                               ": IP range object without "
                                               "Expression or LowerBound/UpperBound"));
        }
        if (absl::Status st = AddRange(*text, c, file, 0); !st.ok()) return st;
      }
    }
  }
  if (const json* m = Member(item, "AuthMechanism")) {
    for (std::string& f : FlagsFromText(ScalarText(*m).value_or(""), AuthMechanismFlags())) {
      c.add_auth_mechanism(std::move(f));
    }
  }
  if (const json* m = Member(item, "PermissionGroups")) {
    for (std::string& f : FlagsFromText(ScalarText(*m).value_or(""), PermissionGroupFlags())) {
      c.add_permission_groups(std::move(f));
    }
  }
  return c;
}

}  // namespace

absl::StatusOr<v1::ReceiveConnectors> ParseReceiveConnectorsJson(absl::string_view text,
                                                                 absl::string_view file) {
  if (absl::Status s = internal::CheckInputSize(text, file); !s.ok()) return s;
  if (absl::StripAsciiWhitespace(text).empty()) return text::ParseError(file, 0, "empty file");
  auto doc = internal::ParsePsJson(text, file);
  if (!doc.ok()) return doc.status();
  v1::ReceiveConnectors out;
  if (doc->is_object()) {
    auto c = ConnectorFromJson(*doc, file, 0);
    if (!c.ok()) return c.status();
    *out.add_connectors() = *std::move(c);
  } else if (doc->is_array()) {
    for (size_t i = 0; i < doc->size(); ++i) {
      auto c = ConnectorFromJson((*doc)[i], file, i);
      if (!c.ok()) return c.status();
      *out.add_connectors() = *std::move(c);
    }
  } else {
    return text::ParseError(file, 0, "JSON is neither an object nor an array of connectors");
  }
  return out;
}

absl::StatusOr<v1::ReceiveConnectors> ParseReceiveConnectorsList(absl::string_view text,
                                                                 absl::string_view file) {
  if (absl::Status s = internal::CheckInputSize(text, file); !s.ok()) return s;
  if (absl::StripAsciiWhitespace(text).empty()) return text::ParseError(file, 0, "empty file");
  v1::ReceiveConnectors out;
  for (const internal::FlRecord& record : internal::ParseFormatList(text)) {
    const internal::FlField* identity = record.Find("Identity");
    const internal::FlField* name = record.Find("Name");
    const internal::FlField* bindings = record.Find("Bindings");
    if (identity == nullptr && name == nullptr && bindings == nullptr) continue;
    v1::ReceiveConnector c;
    if (const internal::FlField* f = record.Find("Server")) c.set_server(f->value);
    if (name != nullptr) c.set_name(name->value);
    if (identity != nullptr) c.set_identity(identity->value);
    SplitIdentity(c);
    if (c.identity().empty()) {
      // A selection without Identity/Name (e.g. "| fl Enabled,Bindings"): still evidence about
      // the connector's bindings and ranges, named by its position.
      c.set_identity(absl::StrCat("#", out.connectors_size() + 1));
    }
    if (const internal::FlField* f = record.Find("Enabled")) {
      c.set_enabled(ParseBool(f->value).value_or(false));
    }
    if (const internal::FlField* f = record.Find("TransportRole")) {
      c.set_transport_role(absl::StrJoin(FlagsFromText(f->value, ServerRoleFlags()), ", "));
    }
    bool truncated = false;
    if (bindings != nullptr) {
      for (const std::string& b : ListFromText(bindings->value, &truncated)) {
        if (absl::Status st = AddBinding(b, c, file, bindings->line); !st.ok()) return st;
      }
    }
    if (const internal::FlField* f = record.Find("RemoteIPRanges")) {
      for (const std::string& r : ListFromText(f->value, &truncated)) {
        if (absl::Status st = AddRange(r, c, file, f->line); !st.ok()) return st;
      }
    }
    c.set_lists_truncated(truncated);
    if (const internal::FlField* f = record.Find("AuthMechanism")) {
      for (std::string& m : FlagsFromText(f->value, AuthMechanismFlags())) {
        c.add_auth_mechanism(std::move(m));
      }
    }
    if (const internal::FlField* f = record.Find("PermissionGroups")) {
      for (std::string& g : FlagsFromText(f->value, PermissionGroupFlags())) {
        c.add_permission_groups(std::move(g));
      }
    }
    *out.add_connectors() = std::move(c);
  }
  if (out.connectors_size() == 0) {
    return text::ParseError(file, 0, "no receive connector found (no Identity, Name or Bindings)");
  }
  return out;
}

bool HasConnectorFlag(const google::protobuf::RepeatedPtrField<std::string>& flags,
                      absl::string_view flag) {
  for (const std::string& x : flags) {
    if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(x), flag)) return true;
  }
  return false;
}

namespace {

bool AnyAddress(const v1::Binding& b) {
  return b.address().empty() || b.address() == "0.0.0.0" || b.address() == "::";
}

bool BindingServes(const v1::Binding& b, int port, const std::vector<std::string>& local_ips) {
  if (b.port() != port) return false;
  if (AnyAddress(b)) return true;
  const auto bound = ParseIpAddress(b.address());
  for (const std::string& ip : local_ips) {
    const auto a = ParseIpAddress(ip);
    if (a && bound && *a == *bound) return true;
  }
  return false;
}

}  // namespace

ConnectorChoice PickReceiveConnector(const v1::ReceiveConnectors& connectors, int port,
                                     const std::vector<std::string>& local_ips,
                                     const std::vector<std::string>& remote_ips) {
  ConnectorChoice best;
  for (const v1::ReceiveConnector& c : connectors.connectors()) {
    if (!c.enabled()) continue;
    bool serves = false, specific = false;
    for (const v1::Binding& b : c.bindings()) {
      if (BindingServes(b, port, local_ips)) {
        serves = true;
        specific |= !AnyAddress(b);
      }
    }
    if (!serves) continue;
    for (const v1::IpRange& r : c.remote_ip_ranges()) {
      for (const std::string& ip : remote_ips) {
        if (!IpRangeContains(r, ip)) continue;
        const absl::uint128 size = IpRangeSize(r);
        const bool better = best.connector == nullptr || size < best.range_size ||
                            (size == best.range_size && specific && !best.specific_binding);
        if (better) best = {&c, &r, size, specific, port, ip};
      }
    }
  }
  return best;
}

}  // namespace kerbside::exchange
