#include "common/bundle/accounts_json.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/proto_time.h"
#include "common/text/lines.h"

namespace kerbside::bundle {
namespace {

constexpr char kFormat[] = "kerbside-accounts/1";

}  // namespace

nlohmann::ordered_json ComputerAccountsToJson(const v1::ComputerAccounts& accounts) {
  nlohmann::ordered_json out = {{"format", kFormat}, {"accounts", nlohmann::ordered_json::array()}};
  for (const v1::ComputerAccount& a : accounts.accounts()) {
    nlohmann::ordered_json j = {
        {"sam_account_name", a.sam_account_name()},
        {"dn", a.dn()},
        {"spns", std::vector<std::string>(a.spns().begin(), a.spns().end())},
        {"key_version_number", a.key_version_number() >= 0
                                   ? nlohmann::ordered_json(a.key_version_number())
                                   : nlohmann::ordered_json(nullptr)},
        {"when_changed", a.has_when_changed()
                             ? nlohmann::ordered_json(FormatRfc3339(FromProto(a.when_changed())))
                             : nlohmann::ordered_json(nullptr)},
        {"usn_changed", a.usn_changed()},
        {"read_from_dc", a.read_from_dc()}};
    out["accounts"].push_back(std::move(j));
  }
  return out;
}

absl::StatusOr<v1::ComputerAccounts> ParseComputerAccountsJson(absl::string_view text,
                                                               absl::string_view file) {
  const nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return text::ParseError(file, 0, "not a JSON object");
  if (!j.contains("format") || !j["format"].is_string() || j["format"] != kFormat) {
    return text::ParseError(file, 0, absl::StrCat("field format: expected \"", kFormat, "\""));
  }
  auto accounts = j.find("accounts");
  if (accounts == j.end() || !accounts->is_array()) {
    return text::ParseError(file, 0, "field accounts: expected an array");
  }
  v1::ComputerAccounts out;
  for (size_t i = 0; i < accounts->size(); ++i) {
    const nlohmann::json& a = (*accounts)[i];
    const std::string where = absl::StrCat("field accounts[", i, "]");
    if (!a.is_object()) return text::ParseError(file, 0, absl::StrCat(where, ": not an object"));
    auto text_field = [&](const char* key, bool required, std::string* value) -> absl::Status {
      auto it = a.find(key);
      if (it == a.end() || it->is_null()) {
        return required ? text::ParseError(file, 0, absl::StrCat(where, ".", key, ": missing"))
                        : absl::OkStatus();
      }
      if (!it->is_string()) {
        return text::ParseError(file, 0, absl::StrCat(where, ".", key, ": expected a string"));
      }
      *value = it->get<std::string>();
      return absl::OkStatus();
    };
    auto int_field = [&](const char* key, int64_t* value) -> absl::Status {
      auto it = a.find(key);
      if (it == a.end() || it->is_null()) return absl::OkStatus();
      if (!it->is_number_integer()) {
        return text::ParseError(file, 0, absl::StrCat(where, ".", key, ": expected an integer"));
      }
      *value = it->get<int64_t>();
      return absl::OkStatus();
    };
    v1::ComputerAccount* c = out.add_accounts();
    std::string sam, dn, dc, when;
    int64_t kvno = -1, usn = 0;
    for (absl::Status s :
         {text_field("sam_account_name", true, &sam), text_field("dn", false, &dn),
          text_field("read_from_dc", false, &dc), text_field("when_changed", false, &when),
          int_field("key_version_number", &kvno), int_field("usn_changed", &usn)}) {
      if (!s.ok()) return s;
    }
    c->set_sam_account_name(sam);
    c->set_dn(dn);
    c->set_read_from_dc(dc);
    c->set_key_version_number(kvno);
    c->set_usn_changed(usn);
    if (!when.empty()) {
      absl::Time t;
      std::string err;
      if (!absl::ParseTime(absl::RFC3339_full, when, &t, &err)) {
        return text::ParseError(file, 0, absl::StrCat(where, ".when_changed: ", err));
      }
      *c->mutable_when_changed() = ToProto(t);
    }
    if (auto spns = a.find("spns"); spns != a.end() && !spns->is_null()) {
      if (!spns->is_array()) {
        return text::ParseError(file, 0, absl::StrCat(where, ".spns: expected an array"));
      }
      for (size_t k = 0; k < spns->size(); ++k) {
        if (!(*spns)[k].is_string()) {
          return text::ParseError(file, 0,
                                  absl::StrCat(where, ".spns[", k, "]: expected a string"));
        }
        c->add_spns((*spns)[k].get<std::string>());
      }
    }
  }
  return out;
}

}  // namespace kerbside::bundle
