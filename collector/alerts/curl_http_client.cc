// The HTTP client of the alert sinks, on libcurl.
#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "collector/alerts/http_client.h"

namespace kerbside::alerts {
namespace {

size_t CollectBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// The two header values Retry-After needs, raw; parsed once the response is complete.
struct RawHeaders {
  std::string retry_after;
  std::string date;
};

size_t CollectHeader(char* data, size_t size, size_t n, void* out) {
  absl::string_view line(data, size * n);
  auto* raw = static_cast<RawHeaders*>(out);
  // A redirect or 100-continue starts a new header block: keep the last response's values.
  if (absl::StartsWith(line, "HTTP/")) *raw = RawHeaders();
  if (absl::StartsWithIgnoreCase(line, "retry-after:")) {
    raw->retry_after = std::string(absl::StripAsciiWhitespace(line.substr(12)));
  } else if (absl::StartsWithIgnoreCase(line, "date:")) {
    raw->date = std::string(absl::StripAsciiWhitespace(line.substr(5)));
  }
  return size * n;
}

std::optional<absl::Time> HttpDate(absl::string_view text) {
  if (text.empty()) return std::nullopt;
  const time_t t = curl_getdate(std::string(text).c_str(), nullptr);
  if (t == -1) return std::nullopt;
  return absl::FromTimeT(t);
}

}  // namespace

void ParseRetryAfter(absl::string_view retry_after, absl::string_view date, HttpResponse* out) {
  out->retry_after.reset();
  out->retry_at.reset();
  int64_t seconds = 0;
  if (absl::SimpleAtoi(retry_after, &seconds)) {
    if (seconds >= 0) out->retry_after = absl::Seconds(seconds);
    return;
  }
  const std::optional<absl::Time> at = HttpDate(retry_after);
  if (!at) return;
  if (const std::optional<absl::Time> sent = HttpDate(date)) {
    out->retry_after = std::max(absl::ZeroDuration(), *at - *sent);
  } else {
    out->retry_at = *at;
  }
}

namespace {

class CurlHttpClient final : public HttpClient {
 public:
  absl::StatusOr<HttpResponse> Post(const HttpRequest& request) override {
    CURL* curl = curl_easy_init();
    if (curl == nullptr) return absl::InternalError("curl: curl_easy_init failed");
    HttpResponse response;
    char error[CURL_ERROR_SIZE] = {0};
    curl_slist* headers = nullptr;
    for (const auto& [name, value] : request.headers) {
      headers = curl_slist_append(headers, absl::StrCat(name, ": ", value).c_str());
    }
    // No "Expect: 100-continue" round trip for small JSON bodies.
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(request.timeout)));
    // Signals are the collector's (SIGTERM handling); curl must not use SIGALRM for timeouts.
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &CollectBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &CollectHeader);
    RawHeaders raw;
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &raw);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "kerbside-collector/" KERBSIDE_VERSION);
    const CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK) {
      return absl::UnavailableError(absl::StrCat("curl: POST ", request.url, ": ",
                                                 error[0] ? error : curl_easy_strerror(rc),
                                                 " (CURLcode ", static_cast<int>(rc), ")"));
    }
    response.status = static_cast<int>(status);
    ParseRetryAfter(raw.retry_after, raw.date, &response);
    return response;
  }
};

}  // namespace

std::unique_ptr<HttpClient> MakeCurlHttpClient() {
  // curl_global_init is not thread-safe; do it once before any worker thread posts.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return std::make_unique<CurlHttpClient>();
}

}  // namespace kerbside::alerts
