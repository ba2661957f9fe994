#ifndef KERBSIDE_COLLECTOR_ALERTS_HTTP_CLIENT_H_
#define KERBSIDE_COLLECTOR_ALERTS_HTTP_CLIENT_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
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
  std::optional<absl::Duration> retry_after;  // the server's Retry-After, in seconds form
};

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
