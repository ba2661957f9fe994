#include "agent/sources/ldap_accounts.h"

#include <algorithm>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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

}  // namespace kerbside::agent
