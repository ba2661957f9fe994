#ifndef KERBSIDE_COMMON_WINDOWS_W32TM_H_
#define KERBSIDE_COMMON_WINDOWS_W32TM_H_

// Parsers of w32tm.exe output (decoded UTF-8 text in, typed value or "FILE:LINE: WHAT" error
// out). Detection rests on the shape of the numbers, not on English labels, where it can.

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::windows {

// w32tm /stripchart /computer:X [/samples:N] [/dataonly], one run per "Tracking" line:
//   Tracking X [10.0.0.10:123].            (localized: "正在跟踪 X [10.0.0.10:123]。")
//   Collecting 5 samples.                   (only with /samples)
//   The current time is 4/3/2017 9:56:11 AM.   (kept verbatim in current_time_line)
//   09:56:11, +00.0012345s                  (/dataonly)
//   09:56:11 d:+00.0623991s o:-00.6887759s  [    *    |    ]   (graph; a comma may follow
//                                                               the time on some builds)
//   09:56:13, error: 0x800705B4             (/dataonly)   09:56:13 error: 0x800705B4 (graph)
//   ^C                                      (ends the run)
// Sample times are 24-hour even when the header is 12-hour. Offsets are seconds with a sign,
// at least 2 integer digits and 7 decimals; '.' or ',' as the decimal mark. printed_offset is
// exactly what w32tm printed: the REMOTE clock minus the LOCAL clock (see HostOffset...).
// Prompts and command echoes are skipped; a run-level failure line ("The following error
// occurred: ... (0x80072AF9)") sets the run's error_hresult. Errors: no Tracking line and no
// sample, or a line that starts like a sample ("HH:MM:SS") but is none of the forms above.
absl::StatusOr<std::vector<v1::W32tmStripchart>> ParseW32tmStripchartRuns(absl::string_view text,
                                                                          absl::string_view file);

// The last run of ParseW32tmStripchartRuns (a pasted session may hold several).
absl::StatusOr<v1::W32tmStripchart> ParseW32tmStripchart(absl::string_view text,
                                                         absl::string_view file);

// This host's offset against the stripchart's target: positive = this host is AHEAD. It is
// the printed offset negated (w32tm prints remote minus local). Zero for a sample that failed
// (!sample.ok()): check ok first.
absl::Duration HostOffsetFromStripchart(const v1::W32tmStripchart::Sample& sample);

// w32tm /query /status:
//   Leap Indicator: 0(no warning)
//   Stratum: 4 (secondary reference - syncd by (S)NTP)
//   Precision: -23 (119.209ns per tick)
//   Root Delay: 0.0154902s
//   Root Dispersion: 7.7773722s
//   ReferenceId: 0x14653909 (source IP:  20.101.57.9)   | (source name:  "LOCL") | (unspecified)
//   Last Successful Sync Time: 9/11/2025 2:32:05 PM     (verbatim; "unspecified" = never)
//   Source: time.windows.com,0x9
//   Poll Interval: 10 (1024s)
//   <blank>
//   Phase Offset: -0.0038147s        (and ClockRate, State Machine, Time Source Flags, Server
//   Last Sync Error: 2 (...)          Role, Time since Last Good Sync Time: newer OS only)
// A block starts at the Leap Indicator line, found by its value's shape "N(" (no space before
// the parenthesis), so localized labels work: the nine lines after it are then read by
// position when their label is not an English one. The last block in the file wins.
// unsynchronized = Leap Indicator 3, Source "Local CMOS Clock"/"Free-running System Clock",
// or ReferenceId 0x4C4F434C ("LOCL"). Errors: no block ("The following error occurred: ..."
// is quoted), a malformed number.
absl::StatusOr<v1::W32tmStatus> ParseW32tmStatus(absl::string_view text, absl::string_view file);

}  // namespace kerbside::windows

#endif  // KERBSIDE_COMMON_WINDOWS_W32TM_H_
