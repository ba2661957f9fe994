#ifndef KERBSIDE_COMMON_BUNDLE_HOST_JSON_H_
#define KERBSIDE_COMMON_BUNDLE_HOST_JSON_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "kerbside/v1/agent.pb.h"

namespace kerbside::bundle {

struct HostJson {
  v1::HostIdentity identity;
  std::optional<absl::Time> collected_at;
};

// hosts/<NAME>/host.json (DESIGN.md §5):
//   {"name":"EX01","fqdn":"ex01.contoso.com","role":"exchange"|"dc","site":"HQ",
//    "domain":"contoso.com","ips":["10.1.1.11"],"pdc_emulator":false,
//    "collected_at":"2026-11-26T10:00:00Z"}
// name is required; the rest is optional. Errors name the file and the field.
absl::StatusOr<HostJson> ParseHostJson(absl::string_view text, absl::string_view file);

struct BundleJson {
  std::string format;
  std::optional<absl::Duration> max_clock_skew;
};

// DIR/bundle.json: {"format":"kerbside-bundle/1","max_clock_skew_seconds":300}.
absl::StatusOr<BundleJson> ParseBundleJson(absl::string_view text, absl::string_view file);

}  // namespace kerbside::bundle

#endif  // KERBSIDE_COMMON_BUNDLE_HOST_JSON_H_
