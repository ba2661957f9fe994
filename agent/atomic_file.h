#ifndef KERBSIDE_AGENT_ATOMIC_FILE_H_
#define KERBSIDE_AGENT_ATOMIC_FILE_H_

#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kerbside::agent {

// Writes `bytes` to `path` through a temporary file beside it and a rename (MoveFileEx with
// replace on Windows, rename(2) elsewhere), so a crash leaves either the old or the new content.
// Errors name the file; `what` prefixes them ("spool", "event log bookmark").
absl::Status WriteFileAtomically(const std::filesystem::path& path, const std::string& bytes,
                                 const std::string& what);

// The whole file, refused above `max_bytes` (a file we wrote ourselves that grew past that is
// damaged, not data). NOT_FOUND when it does not exist.
absl::StatusOr<std::string> ReadSmallFile(const std::filesystem::path& path, size_t max_bytes,
                                          const std::string& what);

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_ATOMIC_FILE_H_
