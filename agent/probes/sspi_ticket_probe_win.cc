// windows.h first: security.h and sspi.h build on its types.
// clang-format off
#define SECURITY_WIN32
#include <windows.h>
#include <security.h>
#include <sspi.h>
// clang-format on

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/probes/sspi_ticket_probe.h"
#include "common/kerberos/krb_messages.h"
#include "common/kerberos/krb_names.h"
#include "common/proto_time.h"

namespace kerbside::agent::probes {
namespace {

std::wstring Wide(const std::string& s) { return std::wstring(s.begin(), s.end()); }

std::string Narrow(const wchar_t* s) {
  std::string out;
  for (; s != nullptr && *s != 0; ++s) out.push_back(*s < 0x80 ? static_cast<char>(*s) : '?');
  return out;
}

// The SSPI status as Windows names it, with the code.
std::string StatusText(SECURITY_STATUS s) {
  const char* name = nullptr;
  switch (static_cast<uint32_t>(s)) {
    case 0x80090303:
      name = "SEC_E_TARGET_UNKNOWN";
      break;
    case 0x80090311:
      name = "SEC_E_NO_AUTHENTICATING_AUTHORITY";
      break;
    case 0x8009030E:
      name = "SEC_E_NO_CREDENTIALS";
      break;
    case 0x80090324:
      name = "SEC_E_TIME_SKEW";
      break;
    case 0x8009030C:
      name = "SEC_E_LOGON_DENIED";
      break;
    case 0x80090322:
      name = "SEC_E_WRONG_PRINCIPAL";
      break;
    case 0x80090308:
      name = "SEC_E_INVALID_TOKEN";
      break;
    case 0x80090305:
      name = "SEC_E_SECPKG_NOT_FOUND";
      break;
    case 0x80090304:
      name = "SEC_E_INTERNAL_ERROR";
      break;
    case 0x80090318:
      name = "SEC_E_INCOMPLETE_MESSAGE";
      break;
    default:
      name = "SSPI error";
  }
  return absl::StrFormat("%s (0x%08X)", name, static_cast<uint32_t>(s));
}

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
  CredHandle cred{};
  TimeStamp expiry{};
  wchar_t package[] = L"Kerberos";
  const SECURITY_STATUS acquired = AcquireCredentialsHandleW(
      nullptr, package, SECPKG_CRED_OUTBOUND, nullptr, nullptr, nullptr, nullptr, &cred, &expiry);
  // The token buffer is ours, sized as the package says (Wine's Kerberos package does not
  // allocate one for us).
  size_t max_token = 48000;
  PSecPkgInfoW info = nullptr;
  if (QuerySecurityPackageInfoW(package, &info) == SEC_E_OK && info != nullptr) {
    max_token = info->cbMaxToken;
    FreeContextBuffer(info);
  }
  std::string client;
  if (acquired == SEC_E_OK) {
    SecPkgCredentials_NamesW names{};
    if (QueryCredentialsAttributesW(&cred, SECPKG_CRED_ATTR_NAMES, &names) == SEC_E_OK) {
      client = Narrow(names.sUserName);
      FreeContextBuffer(names.sUserName);
    }
  }
  for (const ServiceToProbe& s : services) {
    v1::TicketProbe t;
    t.set_peer(s.peer);
    t.set_service_principal(absl::StrCat(s.service, "@", realm));
    t.set_client_principal(client);
    if (acquired != SEC_E_OK) {
      t.set_failed_step("tgt");
      t.set_error_message(
          absl::StrCat("AcquireCredentialsHandle (Kerberos): ", StatusText(acquired)));
      out.push_back(std::move(t));
      continue;
    }
    std::wstring target = Wide(s.service);
    std::string buffer(max_token, '\0');
    SecBuffer token{static_cast<ULONG>(buffer.size()), SECBUFFER_TOKEN, buffer.data()};
    SecBufferDesc token_desc{SECBUFFER_VERSION, 1, &token};
    CtxtHandle ctx{};
    ULONG attributes = 0;
    const absl::Time start = clock.Now();
    const SECURITY_STATUS st = InitializeSecurityContextW(
        &cred, nullptr, target.data(), ISC_REQ_MUTUAL_AUTH, 0, SECURITY_NATIVE_DREP, nullptr, 0,
        &ctx, &token_desc, &attributes, &expiry);
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
  if (acquired == SEC_E_OK) FreeCredentialsHandle(&cred);
  return out;
}

}  // namespace kerbside::agent::probes
