#ifndef KERBSIDE_AGENT_ENROLLMENT_ENROLLMENT_H_
#define KERBSIDE_AGENT_ENROLLMENT_ENROLLMENT_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/sources/command.h"
#include "common/clock.h"
#include "common/identity.h"

namespace kerbside::agent {

// Enrollment with an AD CS enterprise CA, the way certreq.exe does it (agent keys enroll_*).
//
// Why not the autoenrolled machine certificate in LocalMachine\My with its key used in place:
// Debian 12's gRPC (1.51) takes a client key only as PEM, or as an OpenSSL ENGINE key. The one
// engine OpenSSL ships for Windows keys (capi) reaches only legacy CryptoAPI containers, not
// the CNG key storage providers that current templates use, and signs only PKCS #1 v1.5, which
// TLS 1.3 does not allow. So the agent makes its own key, on the host, and has the CA certify
// it through the template the admin names: the key never leaves the server and never travels
// through SYSVOL; the CA records the certificate, can revoke it, and its template's Enroll
// permission decides which servers get one (the role, see TemplateRole).
struct EnrollmentSettings {
  std::string template_name;  // key enroll_template: e.g. KerbsideExchangeAgent
  std::string ca;             // key enroll_ca: the CA's config string, HOST\CA name
  std::string command;        // key enroll_command: certreq.exe (a test's stand-in elsewhere)
  std::string dir;            // key enroll_dir: key, request and certificate, SYSTEM-only
  absl::Duration timeout = absl::Minutes(2);
  // Renew once this fraction of the certificate's lifetime has passed (as autoenrollment does
  // with its renewal period): 2/3 of a one-year certificate is about four months before expiry.
  double renew_after_fraction = 2.0 / 3.0;
  // After a failed renewal, while the current certificate still works.
  absl::Duration retry_after = absl::Hours(1);
};

// Whether the enrolled certificate on disk can be used, and until when.
struct EnrolledCertificateState {
  // kWait: the certificate is not valid yet (a CA whose clock is ahead, or this host's behind):
  // a new request would not help; it is used once valid.
  enum class Need { kNone, kRenewal, kEnrollment, kWait };
  Need need = Need::kEnrollment;
  bool usable = false;  // it can authenticate now (even when renewal is due)
  std::string reason;   // why renewal or enrollment is needed
  absl::Time renew_at;  // when renewal is due (usable certificates only)
};

// Pure: `cert` as read from disk (an error: missing or damaged), whether the key matches it, the
// host's names and the agent's clock.
EnrolledCertificateState JudgeEnrolledCertificate(const absl::StatusOr<CertificateIdentity>& cert,
                                                  const absl::Status& key_matches,
                                                  absl::string_view netbios_name,
                                                  absl::string_view fqdn, absl::Time now,
                                                  double renew_after_fraction);

class Enroller {
 public:
  using RunTool =
      std::function<absl::StatusOr<CommandResult>(const std::vector<std::string>&, absl::Duration)>;
  struct Enrolled {
    std::string cert_path;
    std::string key_path;
    absl::Time renew_at;  // when the agent should call Ensure() again
  };

  Enroller(EnrollmentSettings settings, std::string netbios_name, std::string fqdn,
           const Clock* clock, RunTool run_tool);

  // A certificate the agent can use now: the one on disk, or a new one from the CA (enrolled,
  // renewed, or a pending request collected). A failed renewal keeps the current certificate
  // and says so in the log. Errors name the file, or quote the CA's answer.
  absl::StatusOr<Enrolled> Ensure();

  std::string cert_path() const;
  std::string key_path() const;

 private:
  absl::StatusOr<Enrolled> Request(const EnrolledCertificateState& current);
  absl::StatusOr<Enrolled> Collect(const std::string& request_id,
                                   const EnrolledCertificateState& current);
  absl::StatusOr<Enrolled> Install(const std::string& key_pem);
  absl::StatusOr<Enrolled> KeepCurrent(const EnrolledCertificateState& current,
                                       const absl::Status& why);
  EnrolledCertificateState ReadCurrent() const;
  std::string PathOf(const char* name) const;

  EnrollmentSettings settings_;
  std::string netbios_name_;
  std::string fqdn_;
  const Clock* clock_;
  RunTool run_tool_;
};

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_ENROLLMENT_ENROLLMENT_H_
