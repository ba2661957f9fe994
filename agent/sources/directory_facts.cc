#include "agent/sources/directory_facts.h"

#include <algorithm>
#include <optional>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/proto_time.h"

namespace kerbside::agent {
namespace {

// RFC 4515 §3: '*', '(', ')', '\' and NUL are written as \XX in a filter value.
std::string EscapeFilterValue(absl::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '*' || c == '(' || c == ')' || c == '\\' || c == '\0') {
      absl::StrAppend(&out, "\\", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

const std::vector<std::string>* Values(const LdapEntry& e, const char* name) {
  auto it = e.attributes.find(absl::AsciiStrToLower(name));
  return it == e.attributes.end() || it->second.empty() ? nullptr : &it->second;
}

}  // namespace

std::string ExchangeAccountsFilter(const std::vector<std::string>& exchange_servers) {
  std::string f = "(|(servicePrincipalName=SMTPSVC/*)(servicePrincipalName=SMTP/*)";
  for (const std::string& s : exchange_servers) {
    absl::StrAppend(&f, "(sAMAccountName=", EscapeFilterValue(absl::AsciiStrToUpper(s)), "$)");
  }
  return f + ")";
}

std::vector<std::string> ExchangeServerNames(const std::vector<std::string>& configured,
                                             const v1::Inventory& inventory) {
  std::set<std::string> names;
  for (const std::string& s : configured) names.insert(absl::AsciiStrToUpper(s));
  for (const v1::HostIdentity& h : inventory.hosts()) {
    if (h.role() == v1::ROLE_EXCHANGE && !h.netbios_name().empty()) {
      names.insert(absl::AsciiStrToUpper(h.netbios_name()));
    }
  }
  return {names.begin(), names.end()};
}

absl::StatusOr<absl::Time> ParseGeneralizedTime(absl::string_view text) {
  // AD writes "YYYYMMDDHHMMSS.0Z": fixed-width digits (absl's %Y would swallow them all), an
  // always-zero fraction and UTC.
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not a GeneralizedTime such as 20261127083753.0Z"));
  };
  if (text.size() < 15 || text.back() != 'Z') return bad();
  int f[6];
  const int widths[6] = {4, 2, 2, 2, 2, 2};
  size_t pos = 0;
  for (int i = 0; i < 6; ++i) {
    absl::string_view part = text.substr(pos, widths[i]);
    for (char c : part) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return bad();
    }
    if (!absl::SimpleAtoi(part, &f[i])) return bad();
    pos += widths[i];
  }
  const absl::string_view rest = text.substr(pos);
  if (rest != "Z" && !(rest.size() >= 3 && rest.front() == '.')) return bad();
  const absl::CivilSecond cs(f[0], f[1], f[2], f[3], f[4], f[5]);
  if (cs.month() != f[1] || cs.day() != f[2] || cs.hour() != f[3]) return bad();
  return absl::FromCivil(cs, absl::UTCTimeZone());
}

absl::StatusOr<v1::ComputerAccounts> ComputerAccountsFromLdap(const std::vector<LdapEntry>& entries,
                                                              const std::string& dc) {
  v1::ComputerAccounts out;
  for (const LdapEntry& e : entries) {
    const auto* sam = Values(e, "sAMAccountName");
    if (sam == nullptr) continue;
    v1::ComputerAccount a;
    a.set_sam_account_name(sam->front());
    a.set_dn(e.dn);
    a.set_read_from_dc(dc);
    a.set_key_version_number(-1);  // not read (no attribute, or no right to read it), not 0
    if (const auto* spns = Values(e, "servicePrincipalName")) {
      std::vector<std::string> sorted = *spns;
      std::sort(sorted.begin(), sorted.end());
      for (std::string& s : sorted) a.add_spns(std::move(s));
    }
    auto bad = [&](const char* attr, const std::string& v) {
      return absl::InvalidArgumentError(
          absl::StrCat(e.dn, ": attribute ", attr, ": '", v, "' is not a number"));
    };
    if (const auto* kvno = Values(e, "msDS-KeyVersionNumber")) {
      int64_t v;
      if (!absl::SimpleAtoi(kvno->front(), &v)) return bad("msDS-KeyVersionNumber", kvno->front());
      a.set_key_version_number(v);
    }
    if (const auto* usn = Values(e, "uSNChanged")) {
      int64_t v;
      if (!absl::SimpleAtoi(usn->front(), &v)) return bad("uSNChanged", usn->front());
      a.set_usn_changed(v);
    }
    if (const auto* wc = Values(e, "whenChanged")) {
      auto t = ParseGeneralizedTime(wc->front());
      if (!t.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(e.dn, ": attribute whenChanged: ", t.status().message()));
      }
      *a.mutable_when_changed() = ToProto(*t);
    }
    *out.add_accounts() = std::move(a);
  }
  std::sort(out.mutable_accounts()->begin(), out.mutable_accounts()->end(),
            [](const v1::ComputerAccount& x, const v1::ComputerAccount& y) {
              return absl::AsciiStrToUpper(x.sam_account_name()) <
                     absl::AsciiStrToUpper(y.sam_account_name());
            });
  return out;
}

namespace {

// RFC 4514 §2.4: "\," "\+" ... and "\XX" hex pairs.
std::string UnescapeRdnValue(absl::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '\\' || i + 1 >= v.size()) {
      out.push_back(v[i]);
      continue;
    }
    const bool hex = i + 2 < v.size() &&
                     absl::ascii_isxdigit(static_cast<unsigned char>(v[i + 1])) &&
                     absl::ascii_isxdigit(static_cast<unsigned char>(v[i + 2]));
    if (hex) {
      const std::string bytes = absl::HexStringToBytes(v.substr(i + 1, 2));
      out.append(bytes);
      i += 2;
    } else {
      out.push_back(v[++i]);
    }
  }
  return out;
}

// The RDNs of a DN, split at commas that are not escaped.
std::vector<std::string> SplitRdns(absl::string_view dn) {
  std::vector<std::string> out(1);
  for (size_t i = 0; i < dn.size(); ++i) {
    if (dn[i] == '\\' && i + 1 < dn.size()) {
      out.back().append(dn.data() + i, 2);
      ++i;
    } else if (dn[i] == ',') {
      out.emplace_back();
    } else {
      out.back().push_back(dn[i]);
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<RoleOwner> RoleOwnerFromNtdsSettingsDn(absl::string_view dn) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("fSMORoleOwner '", dn, "' ", why));
  };
  const std::vector<std::string> rdns = SplitRdns(dn);
  if (rdns.size() < 3) return bad("is not the DN of an NTDS Settings object");
  auto value_of_cn = [](const std::string& rdn) -> std::optional<std::string> {
    const absl::string_view r = absl::StripAsciiWhitespace(rdn);
    if (r.size() < 3 || !absl::EqualsIgnoreCase(r.substr(0, 3), "CN=")) return std::nullopt;
    return UnescapeRdnValue(r.substr(3));
  };
  const auto settings = value_of_cn(rdns[0]);
  const auto server = value_of_cn(rdns[1]);
  if (!settings || !absl::StartsWithIgnoreCase(*settings, "NTDS Settings")) {
    return bad("does not start with CN=NTDS Settings");
  }
  if (!server || server->empty()) return bad("names no server after CN=NTDS Settings");
  RoleOwner owner;
  // A deleted object's RDN is "<name>\nDEL:<guid>" (a line feed, "\0A" in the DN string).
  const size_t mangled = server->find("\nDEL:");
  owner.server = absl::AsciiStrToUpper(server->substr(0, mangled));
  owner.deleted = mangled != std::string::npos || settings->find("\nDEL:") != std::string::npos;
  return owner;
}

absl::StatusOr<v1::DomainRoles> DomainRolesFromLdap(const std::vector<LdapEntry>& entries,
                                                    const std::string& dc) {
  if (entries.empty()) return absl::NotFoundError("the domain naming context was not returned");
  const LdapEntry& e = entries.front();
  const auto* owner_dn = Values(e, "fSMORoleOwner");
  if (owner_dn == nullptr) {
    return absl::NotFoundError(
        absl::StrCat(e.dn, ": no fSMORoleOwner (not readable by this account?)"));
  }
  auto owner = RoleOwnerFromNtdsSettingsDn(owner_dn->front());
  if (!owner.ok()) return owner.status();
  v1::DomainRoles r;
  r.set_read_from_dc(dc);
  r.set_domain_dn(e.dn);
  r.set_pdc_emulator(owner->server);
  r.set_pdc_emulator_dn(owner_dn->front());
  r.set_pdc_emulator_deleted(owner->deleted);
  return r;
}

}  // namespace kerbside::agent
