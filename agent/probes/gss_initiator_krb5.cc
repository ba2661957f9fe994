#include "agent/probes/gss_initiator_krb5.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>

#include "absl/strings/str_cat.h"

namespace kerbside::agent::probes {
namespace {

std::string GssMessage(OM_uint32 major, OM_uint32 minor) {
  std::string out;
  for (int type : {GSS_C_GSS_CODE, GSS_C_MECH_CODE}) {
    const OM_uint32 code = type == GSS_C_GSS_CODE ? major : minor;
    if (type == GSS_C_MECH_CODE && minor == 0) break;
    OM_uint32 ctx = 0, min = 0;
    do {
      gss_buffer_desc buf = GSS_C_EMPTY_BUFFER;
      if (gss_display_status(&min, code, type, GSS_C_NO_OID, &ctx, &buf) != GSS_S_COMPLETE) break;
      if (!out.empty()) out += "; ";
      out.append(static_cast<const char*>(buf.value), buf.length);
      gss_release_buffer(&min, &buf);
    } while (ctx != 0);
  }
  return out;
}

absl::Status GssError(const char* call, OM_uint32 major, OM_uint32 minor) {
  return absl::UnauthenticatedError(absl::StrCat(call, ": ", GssMessage(major, minor)));
}

class Krb5GssInitiator : public GssInitiator {
 public:
  explicit Krb5GssInitiator(std::unique_ptr<KerberosClient> kc) : kc_(std::move(kc)) {}
  ~Krb5GssInitiator() override {
    OM_uint32 minor;
    if (ctx_ != GSS_C_NO_CONTEXT) gss_delete_sec_context(&minor, &ctx_, GSS_C_NO_BUFFER);
    if (name_ != GSS_C_NO_NAME) gss_release_name(&minor, &name_);
    if (cred_ != GSS_C_NO_CREDENTIAL) gss_release_cred(&minor, &cred_);
  }

  // The credential is the login's ccache (TGT + the service ticket already in it); the name is
  // the full principal, no canonicalisation.
  absl::Status Init(const std::string& principal) {
    OM_uint32 minor = 0;
    OM_uint32 major = gss_krb5_import_cred(&minor, kc_->ccache(), nullptr, nullptr, &cred_);
    if (GSS_ERROR(major)) return GssError("gss_krb5_import_cred", major, minor);
    gss_buffer_desc nb{principal.size(), const_cast<char*>(principal.data())};
    major = gss_import_name(&minor, &nb, GSS_KRB5_NT_PRINCIPAL_NAME, &name_);
    if (GSS_ERROR(major)) return GssError("gss_import_name", major, minor);
    return absl::OkStatus();
  }

  absl::Status Step(const std::string& in, std::string* out) override {
    OM_uint32 minor = 0;
    gss_buffer_desc input{in.size(), const_cast<char*>(in.data())};
    gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
    const OM_uint32 major = gss_init_sec_context(
        &minor, cred_, &ctx_, name_, const_cast<gss_OID>(gss_mech_krb5),
        GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG, 0, GSS_C_NO_CHANNEL_BINDINGS,
        in.empty() ? GSS_C_NO_BUFFER : &input, nullptr, &output, nullptr, nullptr);
    out->assign(static_cast<const char*>(output.value), output.length);
    gss_release_buffer(&minor, &output);
    if (GSS_ERROR(major)) return GssError("gss_init_sec_context", major, minor);
    complete_ = major == GSS_S_COMPLETE;
    return absl::OkStatus();
  }

  bool complete() const override { return complete_; }

  absl::StatusOr<std::string> Unwrap(const std::string& wrapped, size_t plain_size) override {
    OM_uint32 minor = 0;
    gss_buffer_desc input{wrapped.size(), const_cast<char*>(wrapped.data())};
    gss_buffer_desc plain = GSS_C_EMPTY_BUFFER;
    const OM_uint32 major = gss_unwrap(&minor, ctx_, &input, &plain, nullptr, nullptr);
    if (GSS_ERROR(major)) return GssError("gss_unwrap", major, minor);
    std::string out(static_cast<const char*>(plain.value), plain.length);
    gss_release_buffer(&minor, &plain);
    if (out.size() != plain_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("gss_unwrap: ", out.size(), " octets where ", plain_size, " were expected"));
    }
    return out;
  }

  absl::StatusOr<std::string> Wrap(const std::string& plain) override {
    OM_uint32 minor = 0;
    gss_buffer_desc input{plain.size(), const_cast<char*>(plain.data())};
    gss_buffer_desc wrapped = GSS_C_EMPTY_BUFFER;
    const OM_uint32 major =
        gss_wrap(&minor, ctx_, /*conf_req_flag=*/0, GSS_C_QOP_DEFAULT, &input, nullptr, &wrapped);
    if (GSS_ERROR(major)) return GssError("gss_wrap", major, minor);
    std::string out(static_cast<const char*>(wrapped.value), wrapped.length);
    gss_release_buffer(&minor, &wrapped);
    return out;
  }

 private:
  std::unique_ptr<KerberosClient> kc_;
  gss_cred_id_t cred_ = GSS_C_NO_CREDENTIAL;
  gss_name_t name_ = GSS_C_NO_NAME;
  gss_ctx_id_t ctx_ = GSS_C_NO_CONTEXT;
  bool complete_ = false;
};

}  // namespace

GssInitiatorFactory Krb5GssInitiatorFactory(const TicketProbeOptions& options) {
  return [options](const std::string& service) -> absl::StatusOr<std::unique_ptr<GssInitiator>> {
    std::string kdc;
    auto kc = KerberosClient::Login(options, &kdc);
    if (!kc.ok())
      return absl::Status(kc.status().code(), absl::StrCat("no TGT: ", kc.status().message()));
    const std::string principal = absl::StrCat(service, "@", options.realm);
    auto ticket = (*kc)->GetServiceTicket(principal, /*store=*/true, &kdc);
    if (!ticket.ok()) {
      return absl::Status(ticket.status().code(),
                          absl::StrCat("no service ticket: ", ticket.status().message()));
    }
    auto initiator = std::make_unique<Krb5GssInitiator>(std::move(*kc));
    if (absl::Status s = initiator->Init(principal); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("GSS-API could not start: ", s.message()));
    }
    return initiator;
  };
}

}  // namespace kerbside::agent::probes
