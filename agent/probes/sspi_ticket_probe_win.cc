#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/probes/sspi_ticket_probe.h"
#include "agent/probes/sspi_util_win.h"
#include "common/kerberos/krb_messages.h"
#include "common/kerberos/krb_names.h"
#include "common/proto_time.h"

namespace kerbside::agent::probes {
namespace {

using sspi::StatusText;

// The Kerberos error an SSPI status stands for, and the step that failed; 0 when none applies.
struct Meaning {
  int krb_error = 0;
  const char* step = "service_ticket";
};
Meaning MeaningOf(SECURITY_STATUS s) {
  switch (static_cast<uint32_t>(s)) {
    case 0x80090303:  // SEC_E_TARGET_UNKNOWN: the KDC has no such SPN
      return {7, "service_ticket"};
    case 0x80090324:  // SEC_E_TIME_SKEW
      return {37, "service_ticket"};
    case 0x8009030E:  // SEC_E_NO_CREDENTIALS: no TGT for this account
    case 0x80090311:  // SEC_E_NO_AUTHENTICATING_AUTHORITY: no KDC reachable
    case 0x8009030C:  // SEC_E_LOGON_DENIED
      return {0, "tgt"};
    default:
      return {};
  }
}

}  // namespace

std::vector<v1::TicketProbe> ProbeTicketsSspi(const std::string& realm,
                                              const std::vector<ServiceToProbe>& services,
                                              const Clock& clock) {
  std::vector<v1::TicketProbe> out;
  sspi::Credentials cred;
  const size_t max_token = sspi::MaxTokenSize();
  const std::string client = cred.client_name();
  for (const ServiceToProbe& s : services) {
    v1::TicketProbe t;
    t.set_peer(s.peer);
    t.set_service_principal(absl::StrCat(s.service, "@", realm));
    t.set_client_principal(client);
    if (cred.status() != SEC_E_OK) {
      t.set_failed_step("tgt");
      t.set_error_message(
          absl::StrCat("AcquireCredentialsHandle (Kerberos): ", StatusText(cred.status())));
      out.push_back(std::move(t));
      continue;
    }
    std::wstring target = sspi::Wide(s.service);
    std::string buffer(max_token, '\0');
    SecBuffer token{static_cast<ULONG>(buffer.size()), SECBUFFER_TOKEN, buffer.data()};
    SecBufferDesc token_desc{SECBUFFER_VERSION, 1, &token};
    CtxtHandle ctx{};
    ULONG attributes = 0;
    const absl::Time start = clock.Now();
    TimeStamp expiry{};
    const SECURITY_STATUS st = InitializeSecurityContextW(
        cred.handle(), nullptr, target.data(), ISC_REQ_MUTUAL_AUTH, 0, SECURITY_NATIVE_DREP,
        nullptr, 0, &ctx, &token_desc, &attributes, &expiry);
    *t.mutable_latency() = ToProto(clock.Now() - start);
    if (st != SEC_E_OK && st != SEC_I_CONTINUE_NEEDED) {
      const Meaning m = MeaningOf(st);
      t.set_failed_step(m.step);
      if (m.krb_error != 0) {
        t.set_krb_error_code(m.krb_error);
        t.set_krb_error_name(kerberos::KrbErrorName(m.krb_error));
      }
      t.set_error_message(
          absl::StrCat("InitializeSecurityContext (Kerberos, ", s.service, "): ", StatusText(st)));
      out.push_back(std::move(t));
      continue;
    }
    const std::string bytes = buffer.substr(0, std::min<size_t>(token.cbBuffer, buffer.size()));
    DeleteSecurityContext(&ctx);
    auto ticket = kerberos::DecodeApReqTicket(bytes);
    if (!ticket.ok()) {
      t.set_failed_step("service_ticket");
      t.set_error_message(absl::StrCat("the token SSPI returned: ", ticket.status().message()));
      out.push_back(std::move(t));
      continue;
    }
    t.set_ok(true);
    t.set_kvno(ticket->kvno.has_value() ? static_cast<int32_t>(*ticket->kvno) : 0);
    t.set_enctype(ticket->enctype);
    t.set_enctype_name(kerberos::KrbEnctypeName(ticket->enctype));
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace kerbside::agent::probes
