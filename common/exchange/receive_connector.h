#ifndef KERBSIDE_COMMON_EXCHANGE_RECEIVE_CONNECTOR_H_
#define KERBSIDE_COMMON_EXCHANGE_RECEIVE_CONNECTOR_H_

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

}  // namespace kerbside::exchange

#endif  // KERBSIDE_COMMON_EXCHANGE_RECEIVE_CONNECTOR_H_
