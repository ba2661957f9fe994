#ifndef KERBSIDE_COMMON_EXCHANGE_RECEIVE_CONNECTOR_H_
#define KERBSIDE_COMMON_EXCHANGE_RECEIVE_CONNECTOR_H_

#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::exchange {

// `Get-ReceiveConnector | Select-Object Identity,Enabled,TransportRole,Bindings,RemoteIPRanges,
// AuthMechanism,PermissionGroups | ConvertTo-Json`. One object or an array. Accepted per field:
//   Identity        "EX02\Default EX02", or an ADObjectId-like object (Name + DistinguishedName);
//                   top-level Server/Name fill in when selected
//   Enabled         true/false, "True"/"False", 0/1
//   TransportRole   a name ("HubTransport") or the ServerRole [Flags] number (32, 16384, ...)
//   Bindings        array of "0.0.0.0:25" / "[::]:2525" strings or of IPEndPoint-like objects
//                   {Address, Port}; or one string, "{a, b}" lists included
//   RemoteIPRanges  array of strings (address, CIDR, lo-hi, netmask) or of IPRange-like objects
//                   (Expression, or LowerBound + UpperBound); or one string
//   AuthMechanism   "Tls, Integrated, ..." or the [Flags] number
//   PermissionGroups "ExchangeUsers, ExchangeServers, ..." or the [Flags] number
// The object shapes are UNVERIFIED (no public ConvertTo-Json of these types was found); they
// follow the properties of the decompiled Microsoft.Exchange.Data IPBinding/IPRange classes.
// Errors: "FILE:LINE: ..." for empty input, invalid JSON, a connector without identity or
// with an unparsable binding or range, input over 8 MiB.
absl::StatusOr<v1::ReceiveConnectors> ParseReceiveConnectorsJson(absl::string_view text,
                                                                 absl::string_view file);

// `Get-ReceiveConnector | Format-List` text (all properties or a selection). Multi-valued
// properties print as "{a, b}"; a list cut by $FormatEnumerationLimit ("...") sets
// lists_truncated. Records with neither Identity, Name nor Bindings are skipped.
absl::StatusOr<v1::ReceiveConnectors> ParseReceiveConnectorsList(absl::string_view text,
                                                                 absl::string_view file);

// True when `connector` lists `flag` ("ExchangeServer", "ExchangeServers") among its
// AuthMechanism or PermissionGroups flag names (case-insensitive).
bool HasConnectorFlag(const google::protobuf::RepeatedPtrField<std::string>& flags,
                      absl::string_view flag);

// The receive connector Exchange picks for a connection to `port` of the server with addresses
// `local_ips` from a client with one of `remote_ips`: among the enabled connectors bound to that
// port (on any address or on one of `local_ips`), the one whose matching RemoteIPRanges entry
// is the smallest; on a tie, one bound to a specific address. `connector` is null when none
// accepts the client.
struct ConnectorChoice {
  const v1::ReceiveConnector* connector = nullptr;
  const v1::IpRange* range = nullptr;  // the matching entry
  absl::uint128 range_size = 0;
  bool specific_binding = false;
  int port = 0;
  std::string remote_ip;  // the client address that matched
};
ConnectorChoice PickReceiveConnector(const v1::ReceiveConnectors& connectors, int port,
                                     const std::vector<std::string>& local_ips,
                                     const std::vector<std::string>& remote_ips);

}  // namespace kerbside::exchange

#endif  // KERBSIDE_COMMON_EXCHANGE_RECEIVE_CONNECTOR_H_
