#ifndef KERBSIDE_COMMON_WINDOWS_SETSPN_H_
#define KERBSIDE_COMMON_WINDOWS_SETSPN_H_

// Parsers of setspn.exe output (decoded UTF-8 text). Each finds the tool's own header and
// footer lines anywhere in the text, so command echoes and prompts around the output
// ("C:\>setspn -L EX02", "PS C:\...>") are tolerated. When a pasted session holds the same
// command more than once, the last complete output wins. `file` only names the input in
// errors ("FILE:LINE: WHAT").

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::windows {

// setspn -L ACCOUNT:
//   Registered ServicePrincipalNames for CN=EX02,CN=Computers,DC=contoso,DC=com:
//           SMTPSVC/EX02
//   <TAB>SMTPSVC/ex02.contoso.com
// SPN lines are indented (8 spaces or a TAB; any leading whitespace is accepted); the header
// may be followed by none. `account` is the argument from an echoed "setspn -L X" line when
// present, else the first RDN value of the DN (the loader may override it from the file name).
// Errors: no header (the tool's own failure text such as "Could not find account X" is quoted).
absl::StatusOr<v1::SpnListing> ParseSetspnList(absl::string_view text, absl::string_view file);

// setspn -X and setspn -F -X:
//   Checking domain DC=contoso,DC=com      (or "Checking forest DC=..."; absent on 2008)
//   Operation will be performed forestwide, it might take a while.   (-F only)
//   Processing entry 0
//   SMTPSVC/ex02.contoso.com is registered on these accounts:
//           CN=EX02,CN=Computers,DC=contoso,DC=com
//           CN=OLDEX02,CN=Computers,DC=contoso,DC=com
//   found 1 group of duplicate SPNs.
// The "found N group" line is required (it is the only success marker: setspn -X exits 1 even
// on success). kadmin/changepw groups are kept with by_design = true.
absl::StatusOr<v1::SpnDuplicates> ParseSetspnDuplicates(absl::string_view text,
                                                        absl::string_view file);

// setspn -Q PATTERN (also -F -Q, -T DOMAIN -Q):
//   Checking domain DC=contoso,DC=com
//   CN=EX02,CN=Computers,DC=contoso,DC=com
//           SMTPSVC/EX02
//   <blank>
//   Existing SPN found!            or            No such SPN found.
// `pattern` comes from an echoed command line when present.
absl::StatusOr<v1::SpnQuery> ParseSetspnQuery(absl::string_view text, absl::string_view file);

}  // namespace kerbside::windows

#endif  // KERBSIDE_COMMON_WINDOWS_SETSPN_H_
