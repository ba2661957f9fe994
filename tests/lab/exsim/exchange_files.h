#ifndef KERBSIDE_TESTS_LAB_EXSIM_EXCHANGE_FILES_H_
#define KERBSIDE_TESTS_LAB_EXSIM_EXCHANGE_FILES_H_

// What the transport simulator writes into its host folder, in the formats of the real tools
// (../shared/FORMATS.md): `Get-Queue | ConvertTo-Json` as the Exchange Management Shell writes
// it (enums as names through remoting, LastRetryTime as "\/Date(ms)\/", LastError in the
// Exchange 2013+ "[{LRT=..};{LED=..};{FQDN=..};{IP=..}]" shape) and Application-log events as
// `wevtutil qe Application /f:xml` prints them (Event elements, no root). Pure functions; the
// round trip through kerbside's own parsers is tested.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace kerbside::lab {

// One delivery queue to one peer server.
struct QueueState {
  std::string identity;         // "EX01\\12"
  std::string next_hop_domain;  // the peer's FQDN (DeliveryType SmtpRelayToServers)
  bool retry = false;           // Status Retry (last attempt failed) or Ready
  int message_count = 0;
  std::string last_error;  // the LED text; empty when the last attempt succeeded
  std::string peer_ip;     // {IP=...} of the LastError
  int peer_port = 25;
  absl::Time last_retry = absl::InfinitePast();  // InfinitePast: never retried (null)
};

// Exchange's LastError for a failed attempt ("451 4.4.0 Primary target IP address responded
// with: \"454 4.7.0 ...\" Attempted failover ...") in the 2013+ bracketed shape, with the
// LRT written as the en-US culture writes it ("11/27/2026 7:58:01 AM", UTC here).
std::string LastErrorText(const QueueState& q);

// The whole file: a JSON array of every queue (ConvertTo-Json writes one object without an
// array when there is one queue; kerbside reads both, the array is kept for a stable shape).
std::string GetQueueJson(const std::vector<QueueState>& queues);

// One Application-log event from MSExchangeTransport.
struct TransportEvent {
  uint32_t event_id = 0;  // 1035 inbound, 2017 outbound authentication failed
  uint64_t record_id = 0;
  absl::Time time;
  std::string computer;           // "ex02.lab.test"
  std::vector<std::string> data;  // the EventData values, in order
};

// `wevtutil qe Application /f:xml` output for `events`: one <Event> element per line.
std::string EventsXml(const std::vector<TransportEvent>& events);

}  // namespace kerbside::lab

#endif  // KERBSIDE_TESTS_LAB_EXSIM_EXCHANGE_FILES_H_
