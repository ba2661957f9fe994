#ifndef KERBSIDE_COMMON_BUNDLE_BUNDLE_LOADER_H_
#define KERBSIDE_COMMON_BUNDLE_BUNDLE_LOADER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/model/fleet_model.h"

namespace kerbside::bundle {

// What a file of hosts/<NAME>/ holds, and the file names that collect it.
struct FileKind {
  std::string kind;         // evidence kind: the v1.Evidence field name ("queues", ...)
  std::string description;  // the file names, for "missing" reports
};

// Loads a support bundle (format kerbside-bundle/1, DESIGN.md §5) into the fleet model.
// Every file is optional. File and folder names are matched case-insensitively. A file that
// cannot be read or parsed becomes a Problem of its host ("hosts/EX01/get-queue.json:12: why")
// and everything else still loads. Fails only when `dir` is not a readable folder.
absl::StatusOr<model::FleetModel> LoadBundle(const std::string& dir);

// One host's folder in the bundle layout (what Collect-KerbsideBundle.ps1 writes on a server,
// and what the agent's host-folder source reads): evidence and per-file problems, with origins
// "hosts/<name>/<file>".
model::HostEvidence LoadHostFolder(const std::string& folder, const std::string& name);

// One file of a host folder given as bytes, as a tool wrote it (any of the encodings the
// loader accepts): `file_name` ("w32tm-status.txt", "setspn-l-EX02.txt") picks the parser and
// names the origin in errors, exactly as if the bytes had been read from that file. The items
// carry the kind, the subject and the origin; the caller stamps host, source and time.
// NOT_FOUND when no bundle file has that name; a parse error names the file and line.
absl::StatusOr<std::vector<v1::Evidence>> ParseBundleFile(const std::string& file_name,
                                                          absl::string_view bytes);

// When the bundle was collected: the newest collected_at of its host.json files. An offline
// bundle is judged as of that moment, so reading it days later does not make it stale.
std::optional<absl::Time> NewestCollectedAt(const model::FleetModel& fleet);

// The kinds of evidence a host of this role is expected to have in a bundle, for reporting
// what was not collected (absence of evidence is "not checked", never "healthy").
std::vector<FileKind> ExpectedKinds(v1::Role role);

}  // namespace kerbside::bundle

#endif  // KERBSIDE_COMMON_BUNDLE_BUNDLE_LOADER_H_
