#ifndef KERBSIDE_COMMON_EXCHANGE_LAST_ERROR_H_
#define KERBSIDE_COMMON_EXCHANGE_LAST_ERROR_H_

#include "absl/strings/string_view.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::exchange {

// Parses an Exchange queue's LastError. Accepts
//   - the plain text of Exchange 2007/2010 and of the KB articles:
//       451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary
//       authentication failure." Attempted failover to alternate host, ...
//   - the 2013+ shape [{LRT=<local time>};{LED=<text>};{FQDN=<fqdn>};{IP=<ip>}], whose LED may
//     nest the replies again behind a Front End proxy:
//       450 4.7.0 Proxy session setup failed on Frontend with '451 4.4.0 Primary target IP
//       address responded with: "451 4.4.0 Security status InvalidToken." ...'
//   - text folded by Format-List (line breaks and runs of spaces are treated as one space).
// Extracts the outer reply (first "NNN N.N.N"), the innermost quoted reply, "Security status X",
// "Winsock error code: N", "The last endpoint attempted was ADDR:PORT", and classifies the
// failure. Any text is a valid LastError, so this never fails: unrecognised text gives
// failure_class OTHER with `raw` kept, empty text FAILURE_CLASS_UNSPECIFIED.
v1::LastError ParseLastError(absl::string_view text);

}  // namespace kerbside::exchange

#endif  // KERBSIDE_COMMON_EXCHANGE_LAST_ERROR_H_
