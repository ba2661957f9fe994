#ifndef KERBSIDE_AGENT_PROBES_TICKET_PROBE_H_
#define KERBSIDE_AGENT_PROBES_TICKET_PROBE_H_

// Service tickets as ExchangeAuth asks for them: a TGT from this host's keytab, then
// SMTPSVC/<peer> and SMTPSVC/<peer fqdn>. Success gives the ticket's kvno and enctype (the
// collector compares the kvno with what the target and each DC hold: a stale DC shows);
// failure gives the KDC's error (KDC_ERR_S_PRINCIPAL_UNKNOWN = spn_missing, KRB_AP_ERR_SKEW).

#include <krb5.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/probes/probe_targets.h"
#include "common/clock.h"
#include "kerbside/v1/evidence.pb.h"

namespace kerbside::agent::probes {

struct TicketProbeOptions {
  std::string realm;
  // KDCs as "host:port" (numeric or names). libkrb5 does the sending here, and a KDC that
  // swallows packets costs it ~27 s whatever its settings say, so the runner lists only KDCs
  // the KDC probe found answering.
  std::vector<std::string> kdcs;
  bool prefer_tcp = false;       // udp_preference_limit = 1: when only TCP answered
  std::string keytab;            // "FILE:/etc/krb5.keytab" or a path
  std::string client_principal;  // empty: the first principal in the keytab
};

// This host logged in with its keytab: a krb5 context of kerbside's own settings and a
// MEMORY ccache holding the TGT. One per thread (krb5 contexts are not shared).
class KerberosClient {
 public:
  struct ServiceTicket {
    int32_t kvno = 0;
    int32_t enctype = 0;  // of the ticket's encrypted part: the target's key type
    std::string kdc;      // who answered the TGS-REQ
  };

  // Gets the TGT. On failure the status keeps the krb5 code (KrbCodeOf) and `kdc` says
  // which KDC answered, if one did.
  static absl::StatusOr<std::unique_ptr<KerberosClient>> Login(const TicketProbeOptions& options,
                                                               std::string* kdc);
  ~KerberosClient();

  // TGS exchange for `service` ("SMTPSVC/ex02"; the realm is added). With `store` the ticket
  // goes into the ccache (for GSS-API), otherwise KRB5_GC_NO_STORE.
  absl::StatusOr<ServiceTicket> GetServiceTicket(const std::string& service, bool store,
                                                 std::string* kdc);

  krb5_context context() const { return ctx_; }
  krb5_ccache ccache() const { return ccache_; }
  const std::string& client_name() const { return client_name_; }

 private:
  KerberosClient() = default;
  static void Trace(krb5_context, const krb5_trace_info* info, void* data);

  krb5_context ctx_ = nullptr;
  krb5_principal client_ = nullptr;
  krb5_ccache ccache_ = nullptr;
  std::string client_name_;
  std::string last_kdc_;  // from libkrb5's trace: "Received answer ... from <addr>"
};

// "<addr>" from a libkrb5 trace line "[pid] t: Received answer (N bytes) from stream 1.2.3.4:88",
// or empty for other lines.
std::string KdcFromTraceLine(const std::string& line);

// One TicketProbe per (peer, service) pair; all of them carry the TGT failure if there is one.
std::vector<v1::TicketProbe> ProbeTickets(const TicketProbeOptions& options,
                                          const std::vector<ServiceToProbe>& services,
                                          const Clock& clock);

}  // namespace kerbside::agent::probes

#endif  // KERBSIDE_AGENT_PROBES_TICKET_PROBE_H_
