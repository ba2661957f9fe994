#ifndef KERBSIDE_AGENT_PROBES_SSPI_UTIL_WIN_H_
#define KERBSIDE_AGENT_PROBES_SSPI_UTIL_WIN_H_

// What the SSPI probes share: the Kerberos package's credentials and token size, and SSPI
// statuses named as Windows names them, with the code.

// clang-format off
#define SECURITY_WIN32
#include <windows.h>
#include <security.h>
#include <sspi.h>
// clang-format on

#include <string>

namespace kerbside::agent::probes::sspi {

// ASCII only, for SPNs and principal names ("?" for anything else).
std::wstring Wide(const std::string& s);
std::string Narrow(const wchar_t* s);

// "SEC_E_TARGET_UNKNOWN (0x80090303)".
std::string StatusText(SECURITY_STATUS s);

// The outbound credentials of this process in the Kerberos package.
class Credentials {
 public:
  Credentials();
  ~Credentials();
  Credentials(const Credentials&) = delete;
  Credentials& operator=(const Credentials&) = delete;
  SECURITY_STATUS status() const { return status_; }
  CredHandle* handle() { return &handle_; }
  std::string client_name();  // "EX01$@CONTOSO.COM", empty when unknown

 private:
  CredHandle handle_{};
  SECURITY_STATUS status_;
};

// cbMaxToken of the Kerberos package. The token buffers are ours: Wine's Kerberos package does
// not allocate them (no ISC_REQ_ALLOCATE_MEMORY).
size_t MaxTokenSize();

}  // namespace kerbside::agent::probes::sspi

#endif  // KERBSIDE_AGENT_PROBES_SSPI_UTIL_WIN_H_
