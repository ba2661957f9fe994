#include "agent/probes/sspi_util_win.h"

#include <cstdint>

#include "absl/strings/str_format.h"

namespace kerbside::agent::probes::sspi {
namespace {
wchar_t kKerberos[] = L"Kerberos";
}  // namespace

std::wstring Wide(const std::string& s) { return std::wstring(s.begin(), s.end()); }

std::string Narrow(const wchar_t* s) {
  std::string out;
  for (; s != nullptr && *s != 0; ++s) out.push_back(*s < 0x80 ? static_cast<char>(*s) : '?');
  return out;
}

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
    case 0x80090321:
      name = "SEC_E_BUFFER_TOO_SMALL";
      break;
    case 0x80090302:
      name = "SEC_E_UNSUPPORTED_FUNCTION";
      break;
    case 0x80090330:
      name = "SEC_E_DECRYPT_FAILURE";
      break;
    case 0x80090301:
      name = "SEC_E_INVALID_HANDLE";
      break;
    default:
      name = "SSPI error";
  }
  return absl::StrFormat("%s (0x%08X)", name, static_cast<uint32_t>(s));
}

Credentials::Credentials() {
  TimeStamp expiry{};
  status_ = AcquireCredentialsHandleW(nullptr, kKerberos, SECPKG_CRED_OUTBOUND, nullptr, nullptr,
                                      nullptr, nullptr, &handle_, &expiry);
}

Credentials::~Credentials() {
  if (status_ == SEC_E_OK) FreeCredentialsHandle(&handle_);
}

std::string Credentials::client_name() {
  if (status_ != SEC_E_OK) return "";
  SecPkgCredentials_NamesW names{};
  if (QueryCredentialsAttributesW(&handle_, SECPKG_CRED_ATTR_NAMES, &names) != SEC_E_OK) return "";
  std::string out = Narrow(names.sUserName);
  FreeContextBuffer(names.sUserName);
  return out;
}

size_t MaxTokenSize() {
  size_t max_token = 48000;
  PSecPkgInfoW info = nullptr;
  if (QuerySecurityPackageInfoW(kKerberos, &info) == SEC_E_OK && info != nullptr) {
    max_token = info->cbMaxToken;
    FreeContextBuffer(info);
  }
  return max_token;
}

}  // namespace kerbside::agent::probes::sspi
