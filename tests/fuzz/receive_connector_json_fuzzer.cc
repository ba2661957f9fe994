// Bytes are decoded as a bundle loader would, then parsed: a clean Status or a result, never a
// crash, hang or sanitizer report.
#include <cstddef>
#include <cstdint>

#include "common/exchange/receive_connector.h"
#include "common/text/decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto decoded = kerbside::text::DecodeToUtf8(bytes, "fuzz");
  if (!decoded.ok()) return 0;
  (void)kerbside::exchange::ParseReceiveConnectorsJson(decoded->text, "fuzz");
  return 0;
}
