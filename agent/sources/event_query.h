#ifndef KERBSIDE_AGENT_SOURCES_EVENT_QUERY_H_
#define KERBSIDE_AGENT_SOURCES_EVENT_QUERY_H_

#include <string>

#include "absl/time/time.h"
#include "kerbside/v1/agent.pb.h"

namespace kerbside::agent {

// The structured XML QueryList the event log source subscribes to: exactly the events the
// rules read (common/events/event_xml.h extracts their facts), by channel and provider, each
// Select limited to events not older than `lookback` (a first start, or a bookmark older than
// that, reads no further back than the collector's event window keeps).
//  - every host, System: Kerberos 3/4/5/7/14 (Microsoft-Windows-Security-Kerberos, or
//    "Kerberos" on older servers), Time-Service 36/47/50/129/134/142, NETLOGON
//    5719/3210/5721/5722;
//  - Exchange servers, Application: MSExchangeTransport and MSExchangeFrontEndTransport
//    1035 (receive: 454 4.7.0 on the target) and 2017 (send);
//  - DCs, System: KDC 11 (duplicate SPN); Security: 4768/4769/4771 audit failures only (a busy
//    DC logs thousands of successful 4769 a second; the failures carry the status the rules
//    read); Directory Service: 1311, 1388, 1864, 1925, 1988, 2042, 2087, 2088.
// Built with pugixml. Pure.
std::string EventQueryList(v1::Role role, absl::Duration lookback);

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_SOURCES_EVENT_QUERY_H_
