#ifndef KERBSIDE_AGENT_PROBES_KRB5_UTIL_H_
#define KERBSIDE_AGENT_PROBES_KRB5_UTIL_H_

// libkrb5 plumbing shared by the Kerberos probes: a krb5_context built from kerbside's own
// settings (never /etc/krb5.conf, never KRB5_CONFIG), errors as absl::Status that keep the
// native krb5 code, and names for the protocol error numbers.

#include <krb5.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/kerberos/krb_names.h"

namespace kerbside::agent::probes {

// Profile relations as (path, value), e.g. ({"libdefaults", "kdc_timesync"}, "0").
using ProfileRelations = std::vector<std::pair<std::vector<std::string>, std::string>>;

// The relations every kerbside context starts from: the realm, its KDCs ("host:port",
// numeric or names), no DNS lookups of KDCs or realms, no reverse DNS, and kdc_timesync = 0
// (an integer: "false" is ignored by MIT) so that libkrb5 never quietly corrects its clock
// from a KDC and hides the skew kerbside is looking for.
ProfileRelations BaseRelations(const std::string& realm, const std::vector<std::string>& kdcs);

// An owned krb5_context.
class KrbContext {
 public:
  // The context reads nothing but `relations` (an in-memory profile).
  static absl::StatusOr<KrbContext> Create(const ProfileRelations& relations);
  KrbContext(KrbContext&& o) noexcept : ctx_(std::exchange(o.ctx_, nullptr)) {}
  KrbContext& operator=(KrbContext&& o) noexcept;
  KrbContext(const KrbContext&) = delete;
  KrbContext& operator=(const KrbContext&) = delete;
  ~KrbContext();
  krb5_context get() const { return ctx_; }
  // Hands the context over to the caller, who frees it with krb5_free_context.
  krb5_context release() { return std::exchange(ctx_, nullptr); }

 private:
  explicit KrbContext(krb5_context c) : ctx_(c) {}
  krb5_context ctx_ = nullptr;
};

// "WHAT: <krb5_get_error_message> (krb5 error CODE)", code Unavailable for errors about
// reaching a KDC, FailedPrecondition otherwise. The native code is kept as a payload.
absl::Status KrbStatus(krb5_context ctx, krb5_error_code code, absl::string_view what);
// The native krb5 error code a KrbStatus carries, if any.
std::optional<int32_t> KrbCodeOf(const absl::Status& status);

// Protocol error number (RFC 4120 7.5.9, e.g. 25) from a krb5 error code
// (ERROR_TABLE_BASE_krb5 + number), or -1 when the code is not a protocol error.
int ProtocolErrorNumber(krb5_error_code code);
// "KDC_ERR_PREAUTH_REQUIRED" for 25 (common/kerberos, shared with the Windows agent).
using kerberos::KrbErrorName;
// "aes256-cts-hmac-sha1-96" for 18, "enctype <n>" when unknown.
std::string EnctypeName(int32_t enctype);

}  // namespace kerbside::agent::probes

#endif  // KERBSIDE_AGENT_PROBES_KRB5_UTIL_H_
