#ifndef KERBSIDE_COMMON_WINDOWS_REPADMIN_H_
#define KERBSIDE_COMMON_WINDOWS_REPADMIN_H_

// Parsers of AD replication status (decoded UTF-8 text in, typed value or "FILE:LINE: WHAT"
// error out).

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::windows {

// repadmin /showrepl * /csv. Lines are CSV records (RFC 4180, tokenised by libcsv) and only
// those whose first field starts with "showrepl_" are read; banners ("Repadmin: running
// command /showrepl against full DC ..."), prompts and blank lines are skipped.
//   showrepl_COLUMNS,Destination DSA Site,Destination DSA,Naming Context,Source DSA Site,
//     Source DSA,Transport Type,Number of Failures,Last Failure Time,Last Success Time,
//     Last Failure Status
//   showrepl_INFO,HQ,DC1,"DC=contoso,DC=com",HQ,DC2,RPC,3,2026-11-26 09:00:00,
//     2026-11-25 10:00:00,1722
//   showrepl_ERROR,...            (kept verbatim in `errors`)
// Columns are mapped by header name (case-insensitive; "DSA" and the Windows 2003 "DC" are
// the same), and every repeated header re-maps the rows after it. INFO rows before any header
// use the standard column order above. Last Failure Status is signed decimal (HRESULTs are
// negative, e.g. -2146893022); times stay as written (local time, "0" = never). All links are
// INBOUND. Errors: no showrepl_ line at all, a row whose field count differs from its header,
// a non-numeric count or status, a header without Destination/Source DSA or Naming Context.
absl::StatusOr<v1::ReplicationStatus> ParseRepadminShowreplCsv(absl::string_view text,
                                                               absl::string_view file);

// samba-tool drs showrepl --json (Samba 4.8+, python/samba/netcmd/drs.py json_output):
//   {"dsa": {"objectGUID": ...}, "repsFrom": [NEIGHBOUR...], "repsTo": [NEIGHBOUR...],
//    "NTDSConnections": [...]}
//   NEIGHBOUR = {"NC dn", "DSA objectGUID", "last attempt time", "last attempt message",
//                "consecutive failures", "last success", "NTDS DN", "is deleted", "DSA"?}
// "DSA" ("Site\\Server") is absent when the NTDS DN is not a standard one; the site and server
// are then read from the NTDS DN when possible. "last attempt message" is "was successful" or
// "failed, result <unsigned WERROR> (<name>)"; the code is stored as a signed 32-bit value like
// repadmin's (so 0x80090322 reads -2146893022) and the name as last_failure_message, with
// last_failure_time = the attempt time. Samba prints "NTTIME(0)" for never: stored as "0".
// repsFrom links are INBOUND (source_* = the partner), repsTo OUTBOUND (destination_* = the
// partner); the reporting DC's name is not in the JSON. Text before the first line starting
// with '{' and after the JSON value is ignored (prompts, warnings).
absl::StatusOr<v1::ReplicationStatus> ParseDrsShowreplJson(absl::string_view text,
                                                           absl::string_view file);

}  // namespace kerbside::windows

#endif  // KERBSIDE_COMMON_WINDOWS_REPADMIN_H_
