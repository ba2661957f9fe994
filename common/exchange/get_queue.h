#ifndef KERBSIDE_COMMON_EXCHANGE_GET_QUEUE_H_
#define KERBSIDE_COMMON_EXCHANGE_GET_QUEUE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::exchange {

// `Get-Queue | Select-Object Identity,DeliveryType,Status,MessageCount,NextHopDomain,LastError,
// LastRetryTime | ConvertTo-Json` (other properties are ignored). Accepts one object (one queue)
// or an array; Windows PowerShell 5.1 style (enums as numbers, dates as "\/Date(ms)\/", mapped to
// names and ISO 8601 UTC) and PowerShell 7 style (names, ISO dates); Identity as a string or an
// object. Prompt/echo lines around the JSON are skipped. Errors: "FILE:LINE: ..." for empty
// input, invalid JSON, a non-object queue, a queue without Identity, input over 8 MiB.
absl::StatusOr<v1::QueueSnapshot> ParseGetQueueJson(absl::string_view text, absl::string_view file);

// `Get-Queue | Format-List` text: "Identity : EX01\1234" blocks, padded or collapsed labels,
// wrapped values joined, prompt/echo lines ignored. Records without Identity (or QueueIdentity)
// are skipped. Errors: empty input, no queue record, input over 8 MiB.
absl::StatusOr<v1::QueueSnapshot> ParseGetQueueList(absl::string_view text, absl::string_view file);

}  // namespace kerbside::exchange

#endif  // KERBSIDE_COMMON_EXCHANGE_GET_QUEUE_H_
