// Any bytes: DecodeToUtf8 either fails cleanly or returns valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "common/text/decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto decoded = kerbside::text::DecodeToUtf8(bytes, "fuzz");
  if (decoded.ok() && !kerbside::text::IsValidUtf8(decoded->text)) std::abort();
  return 0;
}
