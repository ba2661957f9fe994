#ifndef KERBSIDE_COMMON_KERBEROS_KRB_MESSAGES_H_
#define KERBSIDE_COMMON_KERBEROS_KRB_MESSAGES_H_

// The few Kerberos V5 messages (RFC 4120 §5) the agent needs where libkrb5 is not available
// (the Windows agent): the AS-REQ of the credential-less KDC probe, the KRB-ERROR it gets back
// (whose stime/susec is the KDC's clock), and the ticket inside the AP-REQ that SSPI's
// InitializeSecurityContext produces (its enc-part names the etype and key version the KDC
// used for SMTPSVC/<peer>). Cross-checked against libkrb5 and a real KDC in
// tests/common/kerberos/ and tests/integration/probes_test.sh; fuzzed (tests/fuzz).
// Pure: bytes in, values or an error naming the field out.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace kerbside::kerberos {

struct PrincipalName {
  int32_t name_type = 0;  // 1 NT-PRINCIPAL, 2 NT-SRV-INST, 3 NT-SRV-HST, ...
  std::vector<std::string> components;
  std::string ToString() const;  // "SMTPSVC/ex02.contoso.com"
  bool operator==(const PrincipalName&) const = default;
};

struct KrbError {
  std::optional<absl::Time> client_time;  // ctime + cusec, when the KDC echoed them
  absl::Time server_time;                 // stime + susec: the KDC's clock
  int32_t error_code = 0;                 // 6 C_PRINCIPAL_UNKNOWN, 25 PREAUTH_REQUIRED, ...
  std::string client_realm;
  std::optional<PrincipalName> client_name;
  std::string realm;
  PrincipalName server_name;
  std::string e_text;
  std::string e_data;  // raw (METHOD-DATA for PREAUTH_REQUIRED)
};

// A KRB-ERROR ([APPLICATION 30]).
absl::StatusOr<KrbError> DecodeKrbError(absl::string_view der);

// What a KDC reply is, from its outer tag: 11 AS-REP, 13 TGS-REP, 30 KRB-ERROR; 0 otherwise.
int KrbMessageType(absl::string_view der);

struct AsRequest {
  PrincipalName client;  // NT-PRINCIPAL
  std::string realm;     // also the realm of the server krbtgt/<realm>
  uint32_t nonce = 0;    // 31 bits are enough; a KDC echoes it
  absl::Time till;
  std::vector<int32_t> etypes = {18, 17, 23};  // aes256, aes128, rc4 (what Windows DCs offer)
  uint32_t kdc_options = 0x40000010;           // forwardable, renewable-ok (kinit's default)
};

// An AS-REQ ([APPLICATION 10]) for krbtgt/<realm>@<realm>, without pre-authentication.
std::string EncodeAsRequest(const AsRequest& request);

struct TicketInfo {
  std::string realm;
  PrincipalName server_name;
  int32_t enctype = 0;           // the enc-part's etype: the service key's type
  std::optional<uint32_t> kvno;  // the service key's version (absent for some RODC cases)
};

// The ticket of an AP-REQ, given either the AP-REQ itself ([APPLICATION 14]) or the GSS-API
// Kerberos token around it (RFC 4121 §4.1: [APPLICATION 0] { OID, TOK_ID 01 00, AP-REQ }, with
// the krb5 OID 1.2.840.113554.1.2.2 or Microsoft's 1.2.840.48018.1.2.2).
absl::StatusOr<TicketInfo> DecodeApReqTicket(absl::string_view token);

}  // namespace kerbside::kerberos

#endif  // KERBSIDE_COMMON_KERBEROS_KRB_MESSAGES_H_
