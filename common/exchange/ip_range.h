#ifndef KERBSIDE_COMMON_EXCHANGE_IP_RANGE_H_
#define KERBSIDE_COMMON_EXCHANGE_IP_RANGE_H_

#include <optional>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::exchange {

// Parses a literal IPv4 ("10.1.1.5") or IPv6 ("fe80::1", "::ffff:10.1.1.5", zone "%12"
// ignored) address into network-order bytes: 4 bytes for IPv4, 16 for IPv6. No DNS.
std::optional<std::string> ParseIpAddress(absl::string_view text);

// Formats 4 or 16 network-order bytes ("10.1.1.5", "fe80::1"); "" for other sizes.
std::string FormatIpAddress(absl::string_view bytes);

// Parses one RemoteIPRanges entry in the forms Exchange accepts (Microsoft.Exchange.Data.IPRange):
// single address, CIDR "10.1.1.0/24", range "10.1.1.1-10.1.1.9", netmask "10.1.1.0(255.255.255.0)",
// each IPv4 or IPv6. `text` keeps the entry as written. Error: InvalidArgument naming the entry.
absl::StatusOr<v1::IpRange> ParseIpRange(absl::string_view text);

// True if `ip` (a literal address) lies in `range`. An IPv4-mapped IPv6 address
// (::ffff:a.b.c.d) matches IPv4 ranges. False when either side does not parse.
bool IpRangeContains(const v1::IpRange& range, absl::string_view ip);

// Number of addresses in `range` (1 for a single address, 256 for a /24), saturated at the
// largest uint128 for ::/0. Smaller is more specific: Exchange picks the receive connector whose
// matching RemoteIPRanges entry is the smallest. 0 when the range is malformed.
absl::uint128 IpRangeSize(const v1::IpRange& range);

// Parses a receive connector binding: "0.0.0.0:25", "10.1.1.12:2525", "[::]:2525", ":::25".
absl::StatusOr<v1::Binding> ParseBinding(absl::string_view text);

}  // namespace kerbside::exchange

#endif  // KERBSIDE_COMMON_EXCHANGE_IP_RANGE_H_
