#ifndef KERBSIDE_COMMON_BUNDLE_ACCOUNTS_JSON_H_
#define KERBSIDE_COMMON_BUNDLE_ACCOUNTS_JSON_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kerbside/v1/evidence.pb.h"
#include "nlohmann/json.hpp"

namespace kerbside::bundle {

// hosts/<DC>/computer-accounts.json (format "kerbside-accounts/1"): computer accounts as one DC
// serves them over LDAP — what kerbside-agent's Samba DC source reads. An addition to DESIGN.md
// §5: `setspn -L` shows the SPNs but not msDS-KeyVersionNumber, and two DCs that disagree only
// on the key version are the replication cause's evidence.
//   {"format":"kerbside-accounts/1",
//    "accounts":[{"sam_account_name":"EX02$","dn":"CN=EX02,OU=Servers,DC=contoso,DC=com",
//                 "spns":["SMTPSVC/EX02", ...],"key_version_number":3,
//                 "when_changed":"2026-11-26T09:00:00Z","usn_changed":12873,
//                 "read_from_dc":"dc01.contoso.com"}]}
nlohmann::ordered_json ComputerAccountsToJson(const v1::ComputerAccounts& accounts);
absl::StatusOr<v1::ComputerAccounts> ParseComputerAccountsJson(absl::string_view text,
                                                               absl::string_view file);

}  // namespace kerbside::bundle

#endif  // KERBSIDE_COMMON_BUNDLE_ACCOUNTS_JSON_H_
