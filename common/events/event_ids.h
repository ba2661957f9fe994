#ifndef KERBSIDE_COMMON_EVENTS_EVENT_IDS_H_
#define KERBSIDE_COMMON_EVENTS_EVENT_IDS_H_

#include <algorithm>
#include <array>
#include <cstdint>

// The Windows events kerbside collects and reads (DESIGN.md §1), named once: the agent's event
// log query, the event parser and the rules use these, so they cannot disagree.
namespace kerbside::events {

// Microsoft-Windows-Security-Kerberos, System log, on any host: the Kerberos client's errors
// (3: a KRB_ERROR received; 4: KRB_AP_ERR_MODIFIED from a server; 5, 7, 14: KDC/client errors).
inline constexpr uint32_t kKerberosError = 3;
inline constexpr uint32_t kKerberosApModified = 4;
inline constexpr std::array<uint32_t, 5> kKerberosClientEvents = {3, 4, 5, 7, 14};

// Microsoft-Windows-Security-Auditing, Security log, on DCs (audit failures): TGT request,
// service ticket request, pre-authentication failed.
inline constexpr uint32_t kTgtRequest = 4768;
inline constexpr uint32_t kServiceTicketRequest = 4769;
inline constexpr uint32_t kPreauthFailed = 4771;
inline constexpr std::array<uint32_t, 3> kKdcAuditEvents = {4768, 4769, 4771};

// Microsoft-Windows-Kerberos-Key-Distribution-Center, System log, on DCs: "There are multiple
// accounts with name ..." (a duplicate SPN).
inline constexpr uint32_t kKdcDuplicateAccount = 11;

// Microsoft-Windows-Time-Service, System log: no time source, unreachable peers, large offsets.
inline constexpr std::array<uint32_t, 6> kTimeServiceEvents = {36, 47, 50, 129, 134, 142};

// NETLOGON, System log: no DC reached (5719) and secure-channel trouble.
inline constexpr uint32_t kNetlogonNoDc = 5719;
inline constexpr std::array<uint32_t, 4> kNetlogonEvents = {5719, 3210, 5721, 5722};

// MSExchangeTransport / MSExchangeFrontEndTransport, Application log, on Exchange servers:
// 1035 "Inbound authentication failed ... ExchangeAuth" on the target, 2017 outbound.
inline constexpr uint32_t kInboundAuthFailed = 1035;
inline constexpr std::array<uint32_t, 2> kExchangeTransportEvents = {1035, 2017};

// Directory Service log (NTDS), on DCs: replication failures (1311 topology, 1388 and 1988
// lingering objects, 1864 not replicated for long, 1925 link failed, 2042 tombstone lifetime,
// 2087 DNS lookup failed), and 2088 (DNS failed, replication succeeded by NetBIOS: collected,
// not a failure).
inline constexpr std::array<uint32_t, 7> kReplicationFailureEvents = {1311, 1388, 1864, 1925,
                                                                      1988, 2042, 2087};
inline constexpr std::array<uint32_t, 8> kDirectoryServiceEvents = {1311, 1388, 1864, 1925,
                                                                    1988, 2042, 2087, 2088};
// Those whose insertion strings carry the Win32 status of the failed replication.
inline constexpr std::array<uint32_t, 3> kReplicationEventsWithStatus = {1925, 2087, 2088};

template <size_t N>
constexpr bool IsOneOf(uint32_t id, const std::array<uint32_t, N>& ids) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace kerbside::events

#endif  // KERBSIDE_COMMON_EVENTS_EVENT_IDS_H_
