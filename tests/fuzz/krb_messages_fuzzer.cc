// Any bytes as a KRB-ERROR and as an AP-REQ/GSS token: the decoders fail with an error naming
// the field or return values within their bounds; they never crash, hang or read past the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "common/kerberos/krb_messages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto error = kerbside::kerberos::DecodeKrbError(bytes);
  if (!error.ok()) {
    if (error.status().message().empty()) std::abort();
  } else if (error->server_name.components.size() > 16 || error->e_data.size() > size) {
    std::abort();
  }
  auto ticket = kerbside::kerberos::DecodeApReqTicket(bytes);
  if (!ticket.ok()) {
    if (ticket.status().message().empty()) std::abort();
  } else if (ticket->server_name.components.size() > 16 || ticket->realm.size() > size) {
    std::abort();
  }
  (void)kerbside::kerberos::KrbMessageType(bytes);
  return 0;
}
