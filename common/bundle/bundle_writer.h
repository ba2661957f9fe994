#ifndef KERBSIDE_COMMON_BUNDLE_BUNDLE_WRITER_H_
#define KERBSIDE_COMMON_BUNDLE_BUNDLE_WRITER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/model/fleet_model.h"

namespace kerbside::bundle {

struct BundleFile {
  std::string path;  // relative to the bundle folder: "hosts/EX01/get-queue.json"
  std::string content;
};

struct RenderedBundle {
  std::vector<BundleFile> files;
  // Evidence the bundle format has no file for, said rather than dropped silently: "EX02:
  // clock_reading from collector (the collector's own clock measurement)".
  std::vector<std::string> not_exported;
};

// Renders a fleet model as a support bundle (DESIGN.md §5) in the formats the tools write and
// the bundle loader reads: PowerShell 7 ConvertTo-Json, setspn text, repadmin CSV, w32tm text,
// wevtutil event XML (through pugixml), probes.json. Pure: the caller writes the files.
// Each host.json keeps the host's collection time (or its oldest evidence's); `collected_at`
// stamps hosts that have neither.
RenderedBundle RenderBundle(const model::FleetModel& fleet, absl::Time collected_at);

// Writes the files under `dir` (created if needed). Refuses a folder that already holds a
// bundle.json, so an export never mixes with an older one.
absl::Status WriteBundle(const std::string& dir, const RenderedBundle& bundle);

}  // namespace kerbside::bundle

#endif  // KERBSIDE_COMMON_BUNDLE_BUNDLE_WRITER_H_
