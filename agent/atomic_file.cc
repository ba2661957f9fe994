#include "agent/atomic_file.h"

#include <fstream>
#include <iterator>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace kerbside::agent {

namespace fs = std::filesystem;

absl::Status WriteFileAtomically(const fs::path& path, const std::string& bytes,
                                 const std::string& what) {
  const fs::path tmp = fs::path(path).concat(".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return absl::InternalError(absl::StrCat(what, ": cannot write ", tmp.string()));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) return absl::InternalError(absl::StrCat(what, ": write failed: ", tmp.string()));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat(what, ": rename ", tmp.string(), " to ", path.string(), ": ", ec.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSmallFile(const fs::path& path, size_t max_bytes,
                                          const std::string& what) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) {
      return absl::NotFoundError(absl::StrCat(what, ": ", path.string(), " does not exist"));
    }
    return absl::InternalError(absl::StrCat(what, ": ", path.string(), ": ", ec.message()));
  }
  if (size > max_bytes) {
    return absl::DataLossError(absl::StrCat(what, ": ", path.string(), " holds ", size,
                                            " bytes, more than the ", max_bytes, " expected"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InternalError(absl::StrCat(what, ": cannot read ", path.string()));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::InternalError(absl::StrCat(what, ": read failed: ", path.string()));
  return text;
}

}  // namespace kerbside::agent
