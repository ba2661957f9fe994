#ifndef KERBSIDE_COLLECTOR_ALERTS_HTTP_CLIENT_H_
#define KERBSIDE_COLLECTOR_ALERTS_HTTP_CLIENT_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace kerbside::alerts {

struct HttpRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  absl::Duration timeout = absl::Seconds(10);
};

struct HttpResponse {
  int status = 0;
  std::string body;
  // The server's Retry-After as a delay: its delta-seconds form, or its HTTP-date form measured
  // against the response's own Date header (so neither clock's error counts).
  std::optional<absl::Duration> retry_after;
  // Retry-After's HTTP-date when the response had no usable Date: the caller measures it
  // against its own clock.
  std::optional<absl::Time> retry_at;
};

// Retry-After (RFC 9110 §10.2.3) from the raw header values ("" when absent): "120" -> 120 s;
// "Wed, 21 Oct 2026 07:28:00 GMT" -> that instant minus `date` (never negative), or, without a
// parsable `date`, the instant itself in `retry_at`. Garbage gives neither. Pure; HTTP-dates
// are read by libcurl's curl_getdate.
void ParseRetryAfter(absl::string_view retry_after, absl::string_view date, HttpResponse* out);

// POSTs alert payloads. An error Status means no HTTP answer at all (refused, timeout, TLS);
// any HTTP status, 4xx and 5xx included, is a response.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual absl::StatusOr<HttpResponse> Post(const HttpRequest& request) = 0;
};

// libcurl (OpenSSL flavour). Errors keep curl's own code: "... (CURLcode 7)".
std::unique_ptr<HttpClient> MakeCurlHttpClient();

}  // namespace kerbside::alerts

#endif  // KERBSIDE_COLLECTOR_ALERTS_HTTP_CLIENT_H_
