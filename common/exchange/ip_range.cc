#include "common/exchange/ip_range.h"

#include <array>
#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace kerbside::exchange {
namespace {

std::optional<std::array<uint8_t, 4>> ParseIpv4(absl::string_view text) {
  // Part by part without splitting into a vector: the correlator tries every name it resolves
  // as an address first, most of them host names (issue 17).
  std::array<uint8_t, 4> out{};
  size_t part = 0;
  int v = 0;
  int digits = 0;
  for (const char c : text) {
    if (c == '.') {
      if (digits == 0 || ++part == 4) return std::nullopt;
      v = digits = 0;
      continue;
    }
    if (!absl::ascii_isdigit(c) || ++digits > 3) return std::nullopt;
    v = v * 10 + (c - '0');
    if (v > 255) return std::nullopt;
    out[part] = static_cast<uint8_t>(v);
  }
  if (part != 3 || digits == 0) return std::nullopt;
  return out;
}

std::optional<std::array<uint8_t, 16>> ParseIpv6(absl::string_view text) {
  if (const size_t zone = text.find('%'); zone != absl::string_view::npos) {
    text = text.substr(0, zone);
  }
  if (text.size() < 2 || text.size() > 45) return std::nullopt;
  std::array<uint8_t, 16> out{};
  // Groups before and after "::", each as 16-bit values; an embedded IPv4 tail adds two.
  std::vector<uint16_t> head, tail;
  bool compressed = false;
  absl::string_view rest = text;
  if (absl::StartsWith(rest, "::")) {
    compressed = true;
    rest.remove_prefix(2);
  }
  std::vector<uint16_t>* groups = compressed ? &tail : &head;
  while (!rest.empty()) {
    const size_t colon = rest.find(':');
    const absl::string_view group = rest.substr(0, colon);
    if (group.find('.') != absl::string_view::npos) {
      if (colon != absl::string_view::npos) return std::nullopt;
      const auto v4 = ParseIpv4(group);
      if (!v4) return std::nullopt;
      groups->push_back(static_cast<uint16_t>(((*v4)[0] << 8) | (*v4)[1]));
      groups->push_back(static_cast<uint16_t>(((*v4)[2] << 8) | (*v4)[3]));
      rest = {};
      break;
    }
    if (group.empty() || group.size() > 4) return std::nullopt;
    uint16_t v = 0;
    for (const char c : group) {
      if (!absl::ascii_isxdigit(c)) return std::nullopt;
      const int d = absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10;
      v = static_cast<uint16_t>((v << 4) | d);
    }
    groups->push_back(v);
    if (colon == absl::string_view::npos) {
      rest = {};
      break;
    }
    rest.remove_prefix(colon + 1);
    if (absl::StartsWith(rest, ":")) {
      if (compressed) return std::nullopt;  // a second "::"
      compressed = true;
      groups = &tail;
      rest.remove_prefix(1);
    } else if (rest.empty()) {
      return std::nullopt;  // trailing single ':'
    }
  }
  const size_t total = head.size() + tail.size();
  if (compressed ? total > 7 : total != 8) return std::nullopt;
  for (size_t i = 0; i < head.size(); ++i) {
    out[2 * i] = static_cast<uint8_t>(head[i] >> 8);
    out[2 * i + 1] = static_cast<uint8_t>(head[i] & 0xFF);
  }
  const size_t start = 8 - tail.size();
  for (size_t i = 0; i < tail.size(); ++i) {
    out[2 * (start + i)] = static_cast<uint8_t>(tail[i] >> 8);
    out[2 * (start + i) + 1] = static_cast<uint8_t>(tail[i] & 0xFF);
  }
  return out;
}

absl::uint128 ToUint128(absl::string_view bytes) {
  absl::uint128 v = 0;
  for (const char c : bytes) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

std::string FromUint128(absl::uint128 v, size_t size) {
  std::string out(size, '\0');
  for (size_t i = size; i-- > 0;) {
    out[i] = static_cast<char>(static_cast<uint8_t>(v & 0xFF));
    v >>= 8;
  }
  return out;
}

// The IPv4 form of an IPv4-mapped IPv6 address, else the address unchanged.
std::string Unmap(std::string bytes) {
  static constexpr char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\xFF', '\xFF'};
  if (bytes.size() == 16 && absl::string_view(bytes).substr(0, 12) ==
                                absl::string_view(kMappedPrefix, sizeof(kMappedPrefix))) {
    return bytes.substr(12);
  }
  return bytes;
}

absl::Status RangeError(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("bad IP range \"", text, "\": ", why));
}

}  // namespace

std::optional<std::string> ParseIpAddress(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.find(':') != absl::string_view::npos) {
    const auto v6 = ParseIpv6(text);
    if (!v6) return std::nullopt;
    return std::string(v6->begin(), v6->end());
  }
  const auto v4 = ParseIpv4(text);
  if (!v4) return std::nullopt;
  return std::string(v4->begin(), v4->end());
}

std::string FormatIpAddress(absl::string_view bytes) {
  const auto b = [&](size_t i) { return static_cast<unsigned>(static_cast<uint8_t>(bytes[i])); };
  if (bytes.size() == 4) return absl::StrFormat("%u.%u.%u.%u", b(0), b(1), b(2), b(3));
  if (bytes.size() != 16) return "";
  uint16_t g[8];
  for (size_t i = 0; i < 8; ++i) g[i] = static_cast<uint16_t>((b(2 * i) << 8) | b(2 * i + 1));
  // RFC 5952: compress the longest run (>= 2) of zero groups, the first one on a tie.
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len && j - i >= 2) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    absl::StrAppendFormat(&out, "%x", g[i]);
  }
  return out;
}

absl::StatusOr<v1::IpRange> ParseIpRange(absl::string_view text) {
  const absl::string_view t = absl::StripAsciiWhitespace(text);
  v1::IpRange range;
  range.set_text(std::string(t));
  if (t.empty()) return RangeError(text, "empty");
  std::string first, last;
  if (const size_t dash = t.find('-'); dash != absl::string_view::npos) {
    const auto lo = ParseIpAddress(t.substr(0, dash));
    const auto hi = ParseIpAddress(t.substr(dash + 1));
    if (!lo || !hi) return RangeError(text, "bounds are not IP addresses");
    first = *lo;
    last = *hi;
  } else if (const size_t slash = t.find('/'); slash != absl::string_view::npos) {
    const auto base = ParseIpAddress(t.substr(0, slash));
    int bits = -1;
    if (!base || !absl::SimpleAtoi(t.substr(slash + 1), &bits)) {
      return RangeError(text, "not ADDRESS/LENGTH");
    }
    const int width = static_cast<int>(base->size()) * 8;
    if (bits < 0 || bits > width) return RangeError(text, "prefix length out of range");
    const absl::uint128 all = width == 128 ? absl::Uint128Max() : (absl::uint128(1) << 32) - 1;
    const absl::uint128 host = bits == width ? 0 : (all >> bits);
    const absl::uint128 net = ToUint128(*base) & ~host & all;
    first = FromUint128(net, base->size());
    last = FromUint128(net | host, base->size());
  } else if (const size_t paren = t.find('('); paren != absl::string_view::npos) {
    if (t.back() != ')') return RangeError(text, "netmask not closed by ')'");
    const auto base = ParseIpAddress(t.substr(0, paren));
    const auto mask = ParseIpAddress(t.substr(paren + 1, t.size() - paren - 2));
    if (!base || !mask || base->size() != mask->size()) {
      return RangeError(text, "not ADDRESS(NETMASK)");
    }
    const absl::uint128 m = ToUint128(*mask);
    const size_t width = base->size() * 8;
    const absl::uint128 all = width == 128 ? absl::Uint128Max() : (absl::uint128(1) << 32) - 1;
    const absl::uint128 host = ~m & all;
    if ((host & (host + 1)) != 0) return RangeError(text, "netmask is not contiguous");
    const absl::uint128 net = ToUint128(*base) & m;
    first = FromUint128(net, base->size());
    last = FromUint128(net | host, base->size());
  } else {
    const auto single = ParseIpAddress(t);
    if (!single) return RangeError(text, "not an IP address");
    first = last = *single;
  }
  if (first.size() != last.size()) return RangeError(text, "bounds of different families");
  if (first > last) return RangeError(text, "lower bound above upper bound");
  range.set_first(first);
  range.set_last(last);
  return range;
}

bool IpRangeContains(const v1::IpRange& range, absl::string_view ip) {
  auto addr = ParseIpAddress(ip);
  if (!addr) return false;
  std::string a = *addr, first = range.first(), last = range.last();
  if (a.size() != first.size()) {
    a = Unmap(a);
    first = Unmap(first);
    last = Unmap(last);
    if (a.size() != first.size() || first.size() != last.size()) return false;
  }
  // Network-order bytes of equal length compare like the numbers they encode.
  return first <= a && a <= last;
}

absl::uint128 IpRangeSize(const v1::IpRange& range) {
  if (range.first().size() != range.last().size() ||
      (range.first().size() != 4 && range.first().size() != 16)) {
    return 0;
  }
  const absl::uint128 lo = ToUint128(range.first()), hi = ToUint128(range.last());
  if (hi < lo) return 0;
  const absl::uint128 span = hi - lo;
  return span == absl::Uint128Max() ? span : span + 1;
}

absl::StatusOr<v1::Binding> ParseBinding(absl::string_view text) {
  const absl::string_view t = absl::StripAsciiWhitespace(text);
  absl::string_view host, port;
  if (absl::StartsWith(t, "[")) {
    const size_t close = t.find(']');
    if (close == absl::string_view::npos || close + 1 >= t.size() || t[close + 1] != ':') {
      return absl::InvalidArgumentError(absl::StrCat("bad binding \"", text, "\""));
    }
    host = t.substr(1, close - 1);
    port = t.substr(close + 2);
  } else {
    const size_t colon = t.rfind(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("bad binding \"", text, "\": no port"));
    }
    host = t.substr(0, colon);
    port = t.substr(colon + 1);
    // ":::25" is IPv6 "::" with port 25, as IPBinding's parser reads it (last ':' splits).
  }
  int p = -1;
  if (!absl::SimpleAtoi(port, &p) || p < 0 || p > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad binding \"", text, "\": bad port"));
  }
  // IPBinding reads an empty address as 0.0.0.0.
  const auto addr = host.empty() ? ParseIpAddress("0.0.0.0") : ParseIpAddress(host);
  if (!addr) {
    return absl::InvalidArgumentError(absl::StrCat("bad binding \"", text, "\": bad address"));
  }
  v1::Binding binding;
  binding.set_address(FormatIpAddress(*addr));
  binding.set_port(p);
  return binding;
}

}  // namespace kerbside::exchange
