#include "agent/enrollment/enrollment.h"

#include <filesystem>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "agent/atomic_file.h"
#include "agent/enrollment/certreq.h"
#include "agent/enrollment/key_request.h"
#include "spdlog/spdlog.h"

namespace kerbside::agent {
namespace {

namespace fs = std::filesystem;

// The files of enroll_dir. agent.* are in use; request.* belong to a request not yet issued.
constexpr char kKey[] = "agent.key";
constexpr char kCert[] = "agent.crt";
constexpr char kRequestKey[] = "request.key";
constexpr char kRequestCsr[] = "request.csr";
constexpr char kRequestId[] = "request.id";
constexpr char kIssued[] = "issued.crt";  // certreq's output file
constexpr size_t kMaxPemBytes = 64 * 1024;

std::string Time(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", t, absl::UTCTimeZone());
}

void Remove(const std::string& path) {
  std::error_code ec;
  fs::remove(path, ec);
}

}  // namespace

EnrolledCertificateState JudgeEnrolledCertificate(const absl::StatusOr<CertificateIdentity>& cert,
                                                  const absl::Status& key_matches,
                                                  absl::string_view netbios_name,
                                                  absl::string_view fqdn, absl::Time now,
                                                  double renew_after_fraction) {
  using Need = EnrolledCertificateState::Need;
  EnrolledCertificateState s;
  if (!cert.ok()) {
    s.reason =
        absl::IsNotFound(cert.status())
            ? std::string("no enrolled certificate yet")
            : absl::StrCat("the enrolled certificate cannot be read: ", cert.status().message());
    return s;
  }
  if (!key_matches.ok()) {
    s.reason = absl::StrCat("the enrolled key cannot be used: ", key_matches.message());
    return s;
  }
  if (absl::Status covers = CheckCertificateCoversHost(*cert, netbios_name, fqdn); !covers.ok()) {
    s.reason = absl::StrCat("the enrolled certificate is another host's: ", covers.message());
    return s;
  }
  if (now < cert->not_before) {
    s.need = Need::kWait;
    s.reason = absl::StrCat("the enrolled certificate is not valid before ", Time(cert->not_before),
                            " (is this host's clock behind?)");
    return s;
  }
  if (now >= cert->not_after) {
    s.reason = absl::StrCat("the enrolled certificate expired at ", Time(cert->not_after));
    return s;
  }
  s.usable = true;
  s.renew_at = cert->not_before + (cert->not_after - cert->not_before) * renew_after_fraction;
  if (now >= s.renew_at) {
    s.need = Need::kRenewal;
    s.reason = absl::StrCat("renewal due since ", Time(s.renew_at), " (expires ",
                            Time(cert->not_after), ")");
    return s;
  }
  s.need = Need::kNone;
  return s;
}

Enroller::Enroller(EnrollmentSettings settings, std::string netbios_name, std::string fqdn,
                   const Clock* clock, RunTool run_tool)
    : settings_(std::move(settings)),
      netbios_name_(std::move(netbios_name)),
      fqdn_(std::move(fqdn)),
      clock_(clock),
      run_tool_(std::move(run_tool)) {}

std::string Enroller::PathOf(const char* name) const {
  return (fs::path(settings_.dir) / name).string();
}
std::string Enroller::cert_path() const { return PathOf(kCert); }
std::string Enroller::key_path() const { return PathOf(kKey); }

EnrolledCertificateState Enroller::ReadCurrent() const {
  absl::StatusOr<CertificateIdentity> cert = absl::NotFoundError("not read");
  absl::Status key_matches = absl::OkStatus();
  auto cert_pem = ReadSmallFile(PathOf(kCert), kMaxPemBytes, "enrolled certificate");
  if (cert_pem.ok()) {
    cert = ParseCertificatePem(*cert_pem);
    if (!cert.ok()) {
      cert = absl::InvalidArgumentError(absl::StrCat(PathOf(kCert), ": ", cert.status().message()));
    }
    auto key_pem = ReadSmallFile(PathOf(kKey), kMaxPemBytes, "enrolled key");
    key_matches = key_pem.ok() ? CheckKeyMatchesCertificate(*key_pem, *cert_pem) : key_pem.status();
  } else {
    cert = cert_pem.status();
  }
  return JudgeEnrolledCertificate(cert, key_matches, netbios_name_, fqdn_, clock_->Now(),
                                  settings_.renew_after_fraction);
}

absl::StatusOr<Enroller::Enrolled> Enroller::Ensure() {
  std::error_code ec;
  fs::create_directories(settings_.dir, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("enroll_dir ", settings_.dir, ": ", ec.message()));
  }
  // The folder holds a private key: only its owner may look in (on Windows the data folder's
  // ACL, SYSTEM and Administrators, is inherited instead).
  fs::permissions(settings_.dir, fs::perms::owner_all, fs::perm_options::replace, ec);

  const EnrolledCertificateState current = ReadCurrent();
  if (current.need == EnrolledCertificateState::Need::kNone) {
    return Enrolled{cert_path(), key_path(), current.renew_at};
  }
  if (current.need == EnrolledCertificateState::Need::kWait) {
    return absl::UnavailableError(current.reason);
  }
  spdlog::info("certificate enrollment (template {}, CA {}): {}", settings_.template_name,
               settings_.ca, current.reason);
  auto pending = ReadSmallFile(PathOf(kRequestId), 64, "pending request id");
  if (pending.ok() && !pending->empty()) return Collect(*pending, current);
  return Request(current);
}

absl::StatusOr<Enroller::Enrolled> Enroller::Request(const EnrolledCertificateState& current) {
  auto made = MakeKeyAndRequest(fqdn_, netbios_name_);
  if (!made.ok()) return KeepCurrent(current, made.status());
  for (const auto& [name, text] :
       {std::pair<const char*, const std::string*>{kRequestKey, &made->key_pem},
        {kRequestCsr, &made->csr_pem}}) {
    if (absl::Status s = WriteFileAtomically(PathOf(name), *text, "certificate request"); !s.ok()) {
      return KeepCurrent(current, s);
    }
  }
  Remove(PathOf(kIssued));
  auto run = run_tool_(CertreqSubmitArgv(settings_.command, settings_.ca, settings_.template_name,
                                         PathOf(kRequestCsr), PathOf(kIssued)),
                       settings_.timeout);
  if (!run.ok()) return KeepCurrent(current, run.status());
  // The certificate file decides, not the text: certreq's messages are localized (a German
  // Windows does not print "Certificate retrieved(Issued)"); RequestId is not.
  if (fs::exists(PathOf(kIssued))) return Install(made->key_pem);
  const std::string said = run->out + run->err;
  auto outcome = ParseCertreqOutput(said);
  if (!outcome.ok() && !FindCertreqRequestId(said).empty()) {
    // Words we cannot read (a localized certreq) but a request the CA holds: wait for it rather
    // than send another.
    outcome = CertreqOutcome{CertreqDisposition::kPending, FindCertreqRequestId(said),
                             absl::StrCat("certreq said: ", said)};
  }
  if (!outcome.ok()) {
    return KeepCurrent(current,
                       absl::Status(outcome.status().code(),
                                    absl::StrCat(settings_.command, " exit ", run->exit_code, ": ",
                                                 outcome.status().message())));
  }
  switch (outcome->disposition) {
    case CertreqDisposition::kIssued:
      return Install(made->key_pem);
    case CertreqDisposition::kPending:
      if (absl::Status s =
              WriteFileAtomically(PathOf(kRequestId), outcome->request_id, "pending request id");
          !s.ok()) {
        return KeepCurrent(current, s);
      }
      return KeepCurrent(current, absl::UnavailableError(absl::StrCat(
                                      "request ", outcome->request_id, " is pending at ",
                                      settings_.ca, " (", outcome->message,
                                      "): a CA manager must issue it (certutil "
                                      "-resubmit ",
                                      outcome->request_id, "); the agent collects it then")));
    case CertreqDisposition::kDenied:
      break;
  }
  Remove(PathOf(kRequestKey));
  Remove(PathOf(kRequestCsr));
  return KeepCurrent(current, absl::PermissionDeniedError(
                                  absl::StrCat(settings_.ca, " denied the request for template ",
                                               settings_.template_name, ": ", outcome->message)));
}

absl::StatusOr<Enroller::Enrolled> Enroller::Collect(const std::string& request_id,
                                                     const EnrolledCertificateState& current) {
  auto key_pem = ReadSmallFile(PathOf(kRequestKey), kMaxPemBytes, "pending request key");
  if (!key_pem.ok()) {
    // The request's key is gone: that request can never be used. Start again.
    Remove(PathOf(kRequestId));
    return Request(current);
  }
  Remove(PathOf(kIssued));
  auto run =
      run_tool_(CertreqRetrieveArgv(settings_.command, settings_.ca, request_id, PathOf(kIssued)),
                settings_.timeout);
  if (!run.ok()) return KeepCurrent(current, run.status());
  if (fs::exists(PathOf(kIssued))) return Install(*key_pem);
  auto outcome = ParseCertreqOutput(run->out + run->err);
  if (!outcome.ok()) return KeepCurrent(current, outcome.status());
  switch (outcome->disposition) {
    case CertreqDisposition::kIssued:
      return Install(*key_pem);
    case CertreqDisposition::kPending:
      return KeepCurrent(current, absl::UnavailableError(
                                      absl::StrCat("request ", request_id, " is still pending at ",
                                                   settings_.ca, ": ", outcome->message)));
    case CertreqDisposition::kDenied:
      break;
  }
  Remove(PathOf(kRequestId));
  Remove(PathOf(kRequestKey));
  Remove(PathOf(kRequestCsr));
  return KeepCurrent(current,
                     absl::PermissionDeniedError(absl::StrCat(settings_.ca, " denied request ",
                                                              request_id, ": ", outcome->message)));
}

absl::StatusOr<Enroller::Enrolled> Enroller::Install(const std::string& key_pem) {
  auto issued = ReadSmallFile(PathOf(kIssued), kMaxPemBytes, "issued certificate");
  if (!issued.ok()) return issued.status();
  auto cert = ParseCertificatePem(*issued);
  if (!cert.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(PathOf(kIssued), ": ", cert.status().message()));
  }
  if (absl::Status s = CheckKeyMatchesCertificate(key_pem, *issued); !s.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(PathOf(kIssued), ": ", s.message()));
  }
  if (absl::Status s = CheckCertificateCoversHost(*cert, netbios_name_, fqdn_); !s.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(PathOf(kIssued),
                     ": the CA issued a certificate for other names (does the template "
                     "build the subject from AD without the DNS name?): ",
                     s.message()));
  }
  // The key first: a crash between the two leaves a key without its certificate, which the next
  // start sees as "cannot be used" and enrolls again, never a certificate without its key.
  if (absl::Status s = WriteFileAtomically(key_path(), key_pem, "enrolled key"); !s.ok()) return s;
  if (absl::Status s = WriteFileAtomically(cert_path(), *issued, "enrolled certificate"); !s.ok()) {
    return s;
  }
  for (const char* name : {kRequestKey, kRequestCsr, kRequestId, kIssued}) Remove(PathOf(name));
  const EnrolledCertificateState now = ReadCurrent();
  spdlog::info("certificate enrolled from {} (template {}): {} valid {} to {}, renewal at {}",
               settings_.ca, settings_.template_name, cert->subject, Time(cert->not_before),
               Time(cert->not_after), Time(now.renew_at));
  if (!now.usable) return absl::UnavailableError(now.reason);
  return Enrolled{cert_path(), key_path(),
                  now.need == EnrolledCertificateState::Need::kNone
                      ? now.renew_at
                      : clock_->Now() + settings_.retry_after};
}

absl::StatusOr<Enroller::Enrolled> Enroller::KeepCurrent(const EnrolledCertificateState& current,
                                                         const absl::Status& why) {
  if (!current.usable) {
    return absl::Status(why.code(),
                        absl::StrCat("certificate enrollment (template ", settings_.template_name,
                                     ", CA ", settings_.ca, "): ", why.message()));
  }
  const absl::Time retry = clock_->Now() + settings_.retry_after;
  spdlog::warn(
      "certificate renewal (template {}, CA {}): {}; keeping the current certificate, "
      "trying again at {}",
      settings_.template_name, settings_.ca, std::string(why.message()), Time(retry));
  return Enrolled{cert_path(), key_path(), retry};
}

}  // namespace kerbside::agent
