#include "common/bundle/host_json.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/exchange/ip_range.h"
#include "common/identity.h"
#include "common/json_text.h"
#include "common/text/lines.h"
#include "nlohmann/json.hpp"

namespace kerbside::bundle {
namespace {

absl::StatusOr<nlohmann::json> ParseObject(absl::string_view text, absl::string_view file) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded()) return text::ParseError(file, 0, "not valid JSON");
  if (!j.is_object()) return text::ParseError(file, 0, "expected a JSON object");
  return j;
}

absl::Status FieldError(absl::string_view file, absl::string_view field, absl::string_view why) {
  return text::ParseError(file, 0, absl::StrCat("field \"", field, "\": ", why));
}

// Reads an optional string field; an error when present with another type.
absl::StatusOr<std::string> OptionalString(const nlohmann::json& j, const char* field,
                                           absl::string_view file) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return std::string();
  if (!it->is_string()) return FieldError(file, field, "expected a string");
  return it->get<std::string>();
}

}  // namespace

absl::StatusOr<HostJson> ParseHostJson(absl::string_view text, absl::string_view file) {
  auto j = ParseObject(text, file);
  if (!j.ok()) return j.status();
  HostJson out;
  v1::HostIdentity& id = out.identity;

  auto name = OptionalString(*j, "name", file);
  if (!name.ok()) return name.status();
  if (name->empty()) return FieldError(file, "name", "required");
  id.set_netbios_name(absl::AsciiStrToUpper(*name));

  auto fqdn = OptionalString(*j, "fqdn", file);
  if (!fqdn.ok()) return fqdn.status();
  id.set_fqdn(NormalizeHostName(*fqdn));

  auto role = OptionalString(*j, "role", file);
  if (!role.ok()) return role.status();
  const std::string r = absl::AsciiStrToLower(*role);
  if (r == "exchange") {
    id.set_role(v1::ROLE_EXCHANGE);
  } else if (r == "dc") {
    id.set_role(v1::ROLE_DC);
  } else if (!r.empty()) {
    return FieldError(file, "role", absl::StrCat("'", *role, "' is not exchange or dc"));
  }

  auto site = OptionalString(*j, "site", file);
  if (!site.ok()) return site.status();
  id.set_site(*site);
  auto domain = OptionalString(*j, "domain", file);
  if (!domain.ok()) return domain.status();
  id.set_domain(NormalizeHostName(*domain));

  if (auto it = j->find("ips"); it != j->end() && !it->is_null()) {
    if (!it->is_array()) return FieldError(file, "ips", "expected an array of strings");
    for (const auto& ip : *it) {
      // A literal address exactly as written (the identity keeps the text).
      if (!ip.is_string() ||
          absl::StripAsciiWhitespace(ip.get<std::string>()) != ip.get<std::string>() ||
          !exchange::ParseIpAddress(ip.get<std::string>())) {
        return FieldError(file, "ips",
                          absl::StrCat(kerbside::JsonText(ip), " is not an IP address"));
      }
      id.add_ips(ip.get<std::string>());
    }
  }
  if (auto it = j->find("pdc_emulator"); it != j->end() && !it->is_null()) {
    if (!it->is_boolean()) return FieldError(file, "pdc_emulator", "expected true or false");
    id.set_pdc_emulator(it->get<bool>());
  }
  // Optional facts for next-hop resolution; a version may be written as a number ("15").
  if (auto it = j->find("exchange_version"); it != j->end() && it->is_number()) {
    id.set_exchange_version(it->dump());
  } else {
    auto version = OptionalString(*j, "exchange_version", file);
    if (!version.ok()) return version.status();
    id.set_exchange_version(*version);
  }
  auto dag = OptionalString(*j, "dag", file);
  if (!dag.ok()) return dag.status();
  id.set_dag(*dag);
  if (auto it = j->find("server_roles"); it != j->end() && !it->is_null()) {
    // An array, or one string as Get-ExchangeServer's ServerRole prints ("Mailbox, Edge").
    std::vector<std::string> roles;
    if (it->is_string()) {
      for (absl::string_view r :
           absl::StrSplit(it->get<std::string>(), ',', absl::SkipWhitespace())) {
        roles.emplace_back(absl::StripAsciiWhitespace(r));
      }
    } else if (it->is_array()) {
      for (const auto& r : *it) {
        if (!r.is_string()) {
          return FieldError(file, "server_roles",
                            absl::StrCat(kerbside::JsonText(r), " is not a string"));
        }
        roles.push_back(r.get<std::string>());
      }
    } else {
      return FieldError(file, "server_roles", "expected an array of strings or one string");
    }
    if (roles.size() > 16) return FieldError(file, "server_roles", "more than 16 roles");
    for (const std::string& r : roles) id.add_server_roles(r);
  }
  auto collected = OptionalString(*j, "collected_at", file);
  if (!collected.ok()) return collected.status();
  if (!collected->empty()) {
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, *collected, &t, &err)) {
      return FieldError(file, "collected_at",
                        absl::StrCat("'", *collected, "' is not an RFC 3339 time: ", err));
    }
    out.collected_at = t;
  }
  return out;
}

absl::StatusOr<BundleJson> ParseBundleJson(absl::string_view text, absl::string_view file) {
  auto j = ParseObject(text, file);
  if (!j.ok()) return j.status();
  BundleJson out;
  auto format = OptionalString(*j, "format", file);
  if (!format.ok()) return format.status();
  out.format = *format;
  if (!out.format.empty() && out.format != "kerbside-bundle/1") {
    return FieldError(file, "format", absl::StrCat("'", out.format, "' is not kerbside-bundle/1"));
  }
  if (auto it = j->find("max_clock_skew_seconds"); it != j->end() && !it->is_null()) {
    if (!it->is_number() || it->get<double>() <= 0) {
      return FieldError(file, "max_clock_skew_seconds", "expected a positive number of seconds");
    }
    out.max_clock_skew = absl::Seconds(it->get<double>());
  }
  return out;
}

}  // namespace kerbside::bundle
