#ifndef KERBSIDE_AGENT_ENROLLMENT_CERTREQ_H_
#define KERBSIDE_AGENT_ENROLLMENT_CERTREQ_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kerbside::agent {

// What the CA did with a request, as certreq.exe -submit or -retrieve prints it.
enum class CertreqDisposition {
  kIssued,   // "Certificate retrieved(Issued) Issued"
  kPending,  // "Certificate request is pending: Taken Under Submission (0)": a CA manager approves
  kDenied,   // "Certificate not issued (Denied) Denied by Policy Module ..."
};

struct CertreqOutcome {
  CertreqDisposition disposition = CertreqDisposition::kDenied;
  std::string request_id;  // the CA's RequestId ("" when certreq printed none)
  std::string message;     // the CA's words after the disposition, e.g. the policy module's reason
};

// Parses certreq's console output (already decoded to UTF-8, CRLF or LF). Output that names no
// disposition (certreq could not reach the CA, say: "Certreq: ... 0x800706ba (WIN32: 1722
// RPC_S_SERVER_UNAVAILABLE)") is UNAVAILABLE with certreq's own lines in the message.
absl::StatusOr<CertreqOutcome> ParseCertreqOutput(absl::string_view text);

// The CA's RequestId in certreq's output, "" if none. Not localized, unlike the rest: an answer
// that cannot be parsed but carries an id is a request the CA holds.
std::string FindCertreqRequestId(absl::string_view text);

// certreq -submit -q -f -config CA -attrib CertificateTemplate:TEMPLATE CSR CERT: submits the
// request without any dialog (-q: the service has no desktop), overwriting CERT (-f).
std::vector<std::string> CertreqSubmitArgv(const std::string& command, const std::string& ca,
                                           const std::string& template_name,
                                           const std::string& csr_path,
                                           const std::string& cert_path);

// certreq -retrieve -q -f -config CA ID CERT: fetches a request that was pending.
std::vector<std::string> CertreqRetrieveArgv(const std::string& command, const std::string& ca,
                                             const std::string& request_id,
                                             const std::string& cert_path);

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_ENROLLMENT_CERTREQ_H_
