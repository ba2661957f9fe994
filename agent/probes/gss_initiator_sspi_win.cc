#include "agent/probes/sspi_util_win.h"  // windows.h before everything else
//
#include "absl/strings/str_cat.h"
#include "agent/probes/gss_initiator_sspi.h"

namespace kerbside::agent::probes {
namespace {

absl::Status SspiError(const char* call, SECURITY_STATUS st) {
  return absl::UnauthenticatedError(absl::StrCat(call, ": ", sspi::StatusText(st)));
}

class SspiGssInitiator : public GssInitiator {
 public:
  SspiGssInitiator(std::string service, SspiWrapLayout layout)
      : target_(sspi::Wide(service)), layout_(layout), max_token_(sspi::MaxTokenSize()) {}
  ~SspiGssInitiator() override {
    if (have_ctx_) DeleteSecurityContext(&ctx_);
  }

  absl::Status Acquired() {
    if (cred_.status() != SEC_E_OK) {
      return SspiError("no TGT: AcquireCredentialsHandle (Kerberos)", cred_.status());
    }
    return absl::OkStatus();
  }

  // Integrity is asked for because RFC 4752's last step wraps the security-layer messages.
  absl::Status Step(const std::string& in, std::string* out) override {
    std::string buffer(max_token_, '\0');
    SecBuffer out_buf{static_cast<ULONG>(buffer.size()), SECBUFFER_TOKEN, buffer.data()};
    SecBufferDesc out_desc{SECBUFFER_VERSION, 1, &out_buf};
    std::string input = in;
    SecBuffer in_buf{static_cast<ULONG>(input.size()), SECBUFFER_TOKEN, input.data()};
    SecBufferDesc in_desc{SECBUFFER_VERSION, 1, &in_buf};
    ULONG attributes = 0;
    TimeStamp expiry{};
    const SECURITY_STATUS st = InitializeSecurityContextW(
        cred_.handle(), have_ctx_ ? &ctx_ : nullptr, target_.data(),
        ISC_REQ_MUTUAL_AUTH | ISC_REQ_INTEGRITY, 0, SECURITY_NATIVE_DREP,
        have_ctx_ ? &in_desc : nullptr, 0, &ctx_, &out_desc, &attributes, &expiry);
    if (st != SEC_E_OK && st != SEC_I_CONTINUE_NEEDED) {
      return SspiError("InitializeSecurityContext (Kerberos)", st);
    }
    have_ctx_ = true;
    complete_ = st == SEC_E_OK;
    out->assign(buffer.data(), std::min<size_t>(out_buf.cbBuffer, buffer.size()));
    return absl::OkStatus();
  }

  bool complete() const override { return complete_; }

  absl::StatusOr<std::string> Unwrap(const std::string& wrapped, size_t plain_size) override {
    std::string data = wrapped;
    ULONG qop = 0;
    if (layout_ == SspiWrapLayout::kWindows) {
      SecBuffer bufs[2] = {{static_cast<ULONG>(data.size()), SECBUFFER_STREAM, data.data()},
                           {0, SECBUFFER_DATA, nullptr}};
      SecBufferDesc desc{SECBUFFER_VERSION, 2, bufs};
      const SECURITY_STATUS st = DecryptMessage(&ctx_, &desc, 0, &qop);
      if (st != SEC_E_OK) return SspiError("DecryptMessage", st);
      if (bufs[1].pvBuffer == nullptr || bufs[1].cbBuffer != plain_size) {
        return absl::InvalidArgumentError(absl::StrCat(
            "DecryptMessage: ", bufs[1].cbBuffer, " octets where ", plain_size, " were expected"));
      }
      return std::string(static_cast<const char*>(bufs[1].pvBuffer), bufs[1].cbBuffer);
    }
    // Wine 8: gss_unwrap(DATA || TOKEN), then DATA's size in plaintext bytes copied into DATA.
    if (data.size() <= plain_size) {
      return absl::InvalidArgumentError("DecryptMessage: the wrap token is too short");
    }
    SecBuffer bufs[2] = {
        {static_cast<ULONG>(plain_size), SECBUFFER_DATA, data.data()},
        {static_cast<ULONG>(data.size() - plain_size), SECBUFFER_TOKEN, data.data() + plain_size}};
    SecBufferDesc desc{SECBUFFER_VERSION, 2, bufs};
    const SECURITY_STATUS st = DecryptMessage(&ctx_, &desc, 0, &qop);
    if (st != SEC_E_OK) return SspiError("DecryptMessage", st);
    return data.substr(0, plain_size);
  }

  absl::StatusOr<std::string> Wrap(const std::string& plain) override {
    SecPkgContext_Sizes sizes{};
    SECURITY_STATUS st = QueryContextAttributesW(&ctx_, SECPKG_ATTR_SIZES, &sizes);
    if (st != SEC_E_OK) return SspiError("QueryContextAttributes (sizes)", st);
    std::string token(sizes.cbSecurityTrailer, '\0');
    std::string data = plain;
    std::string padding(sizes.cbBlockSize, '\0');
    SecBuffer bufs[3] = {{static_cast<ULONG>(token.size()), SECBUFFER_TOKEN, token.data()},
                         {static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()},
                         {static_cast<ULONG>(padding.size()), SECBUFFER_PADDING, padding.data()}};
    SecBufferDesc desc{SECBUFFER_VERSION, 3, bufs};
    st = EncryptMessage(&ctx_, SECQOP_WRAP_NO_ENCRYPT, &desc, 0);
    if (st != SEC_E_OK) return SspiError("EncryptMessage", st);
    const std::string t = token.substr(0, bufs[0].cbBuffer);
    const std::string d = data.substr(0, bufs[1].cbBuffer);
    if (layout_ == SspiWrapLayout::kWine8) return d + t;
    return t + d + padding.substr(0, bufs[2].cbBuffer);
  }

 private:
  sspi::Credentials cred_;
  std::wstring target_;
  SspiWrapLayout layout_;
  size_t max_token_;
  CtxtHandle ctx_{};
  bool have_ctx_ = false;
  bool complete_ = false;
};

}  // namespace

GssInitiatorFactory SspiGssInitiatorFactory(SspiWrapLayout layout) {
  return [layout](const std::string& service) -> absl::StatusOr<std::unique_ptr<GssInitiator>> {
    auto initiator = std::make_unique<SspiGssInitiator>(service, layout);
    if (absl::Status s = initiator->Acquired(); !s.ok()) return s;
    return initiator;
  };
}

}  // namespace kerbside::agent::probes
