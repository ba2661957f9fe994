// Any bytes: the parser fails with a "fuzz..." error or returns a value that holds its
// invariants; it never crashes, hangs or leaks.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/match.h"
#include "common/windows/repadmin.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = kerbside::windows::ParseRepadminShowreplCsv(text, "fuzz");
  if (!parsed.ok()) {
    if (!absl::StartsWith(parsed.status().message(), "fuzz")) std::abort();
    return 0;
  }
  for (const auto& link : parsed->links()) {
    if (link.consecutive_failures() < 0) std::abort();
  }
  return 0;
}
