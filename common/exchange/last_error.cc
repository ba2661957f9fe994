#include "common/exchange/last_error.h"

#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace kerbside::exchange {
namespace {

// Nesting seen in practice is three deep (proxy, primary target, target); the cap only bounds
// work on hostile input.
constexpr int kMaxNesting = 16;

// Collapses every run of whitespace (Format-List wraps, CRLF inside JSON strings) to one space.
std::string CollapseWhitespace(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (const char c : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

struct ReplyAt {
  size_t begin;  // offset of the basic code
  size_t end;    // offset just past the enhanced status code
  int code;
  std::string enhanced;
};

size_t CountDigits(absl::string_view s, size_t i, size_t max) {
  size_t n = 0;
  while (i + n < s.size() && n < max && absl::ascii_isdigit(s[i + n])) ++n;
  return n;
}

// A reply "NNN C.S.D" (basic code 2xx-5xx, enhanced class 2/4/5) starting exactly at `i`.
std::optional<ReplyAt> ReplyStartingAt(absl::string_view s, size_t i) {
  if (i + 9 > s.size()) return std::nullopt;
  if (i > 0 && (absl::ascii_isalnum(s[i - 1]) || s[i - 1] == '.')) return std::nullopt;
  if (CountDigits(s, i, 4) != 3 || s[i] < '2' || s[i] > '5') return std::nullopt;
  size_t j = i + 3;
  if (s[j] != ' ') return std::nullopt;
  while (j < s.size() && s[j] == ' ') ++j;
  const size_t esc_begin = j;
  if (j >= s.size() || (s[j] != '2' && s[j] != '4' && s[j] != '5')) return std::nullopt;
  ++j;
  for (int part = 0; part < 2; ++part) {
    if (j >= s.size() || s[j] != '.') return std::nullopt;
    const size_t n = CountDigits(s, j + 1, 4);
    if (n == 0 || n > 3) return std::nullopt;
    j += 1 + n;
  }
  if (j < s.size() && (absl::ascii_isalnum(s[j]) ||
                       (s[j] == '.' && j + 1 < s.size() && absl::ascii_isdigit(s[j + 1])))) {
    return std::nullopt;
  }
  int code = 0;
  (void)absl::SimpleAtoi(s.substr(i, 3), &code);
  return ReplyAt{i, j, code, std::string(s.substr(esc_begin, j - esc_begin))};
}

std::optional<ReplyAt> FindReply(absl::string_view s, size_t from) {
  for (size_t i = from; i + 9 <= s.size(); ++i) {
    if (auto r = ReplyStartingAt(s, i)) return r;
  }
  return std::nullopt;
}

v1::SmtpReply MakeReply(const ReplyAt& r, absl::string_view text) {
  v1::SmtpReply reply;
  reply.set_code(r.code);
  reply.set_enhanced_status(r.enhanced);
  reply.set_text(std::string(absl::StripAsciiWhitespace(text)));
  return reply;
}

// Value after `key` up to the next '}' (for the [{KEY=value};...] shape).
absl::string_view BracketValue(absl::string_view text, absl::string_view key) {
  const size_t at = text.find(key);
  if (at == absl::string_view::npos) return {};
  const size_t begin = at + key.size();
  const size_t end = text.find('}', begin);
  return absl::StripAsciiWhitespace(
      text.substr(begin, end == absl::string_view::npos ? absl::string_view::npos : end - begin));
}

// Position of `needle` in `haystack`, ignoring ASCII case.
size_t FindIgnoreCase(absl::string_view haystack, absl::string_view needle, size_t from = 0) {
  if (needle.empty() || haystack.size() < needle.size()) return absl::string_view::npos;
  for (size_t i = from; i + needle.size() <= haystack.size(); ++i) {
    if (absl::EqualsIgnoreCase(haystack.substr(i, needle.size()), needle)) return i;
  }
  return absl::string_view::npos;
}

// The word after `prefix` (letters, digits, '_'), e.g. "TimeSkew" after "Security status ".
std::string WordAfter(absl::string_view text, absl::string_view prefix) {
  const size_t at = FindIgnoreCase(text, prefix);
  if (at == absl::string_view::npos) return "";
  size_t i = at + prefix.size();
  const size_t begin = i;
  while (i < text.size() && (absl::ascii_isalnum(text[i]) || text[i] == '_')) ++i;
  return std::string(text.substr(begin, i - begin));
}

v1::LastError::FailureClass Classify(const v1::LastError& e, absl::string_view message) {
  const std::string l = absl::AsciiStrToLower(message);
  const v1::SmtpReply& in = e.inner();
  const auto has = [&](absl::string_view s) { return absl::StrContains(l, s); };
  if ((in.code() == 454 && absl::StartsWith(in.enhanced_status(), "4.7.")) ||
      !e.security_status().empty() || has("temporary authentication failure")) {
    return v1::LastError::AUTH_TEMPORARY;
  }
  if (has("cannot achieve exchange server authentication") ||
      (in.code() == 451 && in.enhanced_status() == "5.7.3" && !has("tls"))) {
    return v1::LastError::EXCHANGE_AUTH_NOT_OFFERED;
  }
  if (has("dns query failed") || has("smtpsend.dns") || has("nonexistentdomain") ||
      has("dns error") || has("dns failure")) {
    return v1::LastError::DNS;
  }
  if (e.winsock_error() == 10061 || has("actively refused") || has("connection refused") ||
      has("10061")) {
    return v1::LastError::CONNECTION_REFUSED;
  }
  // Socket-level timeouts first: "421 4.4.1 Connection timed out" without them is Exchange's
  // own verdict after a failed TLS negotiation (KB 4051498), classified TLS below.
  if (e.winsock_error() == 10060 || has("did not properly respond") || has("10060")) {
    return v1::LastError::CONNECTION_TIMED_OUT;
  }
  if ((in.code() == 421 && (in.enhanced_status() == "4.4.1" || in.enhanced_status() == "4.4.2")) ||
      has("tls") || has("certificate") || has("ssl")) {
    return v1::LastError::TLS;
  }
  if (has("timed out") || has("timeout")) return v1::LastError::CONNECTION_TIMED_OUT;
  return v1::LastError::OTHER;
}

}  // namespace

v1::LastError ParseLastError(absl::string_view text) {
  v1::LastError e;
  e.set_raw(std::string(absl::StripAsciiWhitespace(text)));
  const std::string all = CollapseWhitespace(text);
  if (all.empty()) return e;

  absl::string_view message = all;
  if (const size_t led = all.find("{LED="); led != std::string::npos) {
    e.set_last_retry_host_time(std::string(BracketValue(all, "{LRT=")));
    // LED text may contain braces and semicolons of its own, so it ends at the last ";{FQDN="
    // (or the closing "}]") rather than at the first '}'.
    const absl::string_view after = absl::string_view(all).substr(led + 5);
    size_t end = after.rfind(";{FQDN=");
    if (end == absl::string_view::npos) end = after.rfind("}]");
    if (end == absl::string_view::npos) end = after.size();
    message = after.substr(0, end);
    absl::ConsumeSuffix(&message, "}");
    const size_t tail = led + 5 + end;
    e.set_target_fqdn(std::string(BracketValue(absl::string_view(all).substr(tail), "{FQDN=")));
    e.set_target_ip(std::string(BracketValue(absl::string_view(all).substr(tail), "{IP=")));
  }
  message = absl::StripAsciiWhitespace(message);

  // Walk the nesting: after each reply, the next reply that opens a quote (' or ") is nested
  // inside it, up to that quote's closing twin.
  absl::string_view scope = message;
  std::optional<ReplyAt> reply = FindReply(scope, 0);
  if (reply) {
    *e.add_replies() = MakeReply(*reply, scope.substr(reply->end));
    for (int depth = 0; depth < kMaxNesting; ++depth) {
      std::optional<ReplyAt> nested;
      size_t quote = reply->end;
      while ((quote = scope.find_first_of("'\"", quote)) != absl::string_view::npos) {
        size_t start = quote + 1;
        while (start < scope.size() && scope[start] == ' ') ++start;
        nested = ReplyStartingAt(scope, start);
        if (nested) break;
        ++quote;
      }
      if (!nested) break;
      const size_t close = scope.find(scope[quote], nested->end);
      const absl::string_view inner =
          scope.substr(quote + 1, close == absl::string_view::npos ? absl::string_view::npos
                                                                   : close - quote - 1);
      const size_t shift = quote + 1;
      reply = ReplyAt{nested->begin - shift, nested->end - shift, nested->code, nested->enhanced};
      scope = inner;
      *e.add_replies() = MakeReply(*reply, scope.substr(reply->end));
    }
    *e.mutable_outer() = e.replies(0);
    *e.mutable_inner() = e.replies(e.replies_size() - 1);
  }

  e.set_security_status(WordAfter(message, "Security status "));
  int winsock = 0;
  if (absl::SimpleAtoi(WordAfter(message, "Winsock error code: "), &winsock)) {
    e.set_winsock_error(winsock);
  }
  if (const size_t at = FindIgnoreCase(message, "The last endpoint attempted was ");
      at != absl::string_view::npos) {
    absl::string_view endpoint = message.substr(at + 32);
    const size_t stop = endpoint.find_first_of(" '\"};]");
    if (stop != absl::string_view::npos) endpoint = endpoint.substr(0, stop);
    while (absl::ConsumeSuffix(&endpoint, ".")) {
    }
    e.set_last_endpoint(std::string(endpoint));
  }
  e.set_via_frontend_proxy(FindIgnoreCase(message, "Proxy session setup failed on Frontend") !=
                           absl::string_view::npos);
  e.set_failure_class(Classify(e, message));
  return e;
}

}  // namespace kerbside::exchange
