// Any text is a LastError: parsing must not crash, and an inner reply implies an outer one.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "common/exchange/last_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  const kerbside::v1::LastError e = kerbside::exchange::ParseLastError(text);
  if (e.has_inner() != e.has_outer()) std::abort();
  if (e.replies_size() > 0 && (e.inner().code() < 200 || e.inner().code() > 599)) std::abort();
  return 0;
}
