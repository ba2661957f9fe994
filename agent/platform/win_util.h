#ifndef KERBSIDE_AGENT_PLATFORM_WIN_UTIL_H_
#define KERBSIDE_AGENT_PLATFORM_WIN_UTIL_H_

// Small helpers for the Windows-only files: UTF-8 <-> UTF-16 and Win32 errors as absl::Status
// with the native code kept in the message.
#include <windows.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace kerbside::win {

std::wstring Widen(absl::string_view utf8);
std::string Narrow(std::wstring_view utf16);

// "what: <FormatMessage text> (Win32 error N)"; the code picks the absl code (not found, access
// denied, ...).
absl::Status Win32Error(absl::string_view what, DWORD error);
inline absl::Status LastError(absl::string_view what) { return Win32Error(what, GetLastError()); }

// Whether this process runs under Wine (ntdll exports wine_get_version). Used only where Wine
// has no implementation and calling in would abort the process (wevtapi's unimplemented stubs),
// so the caller can say so instead.
bool RunningUnderWine();

// Closes a HANDLE on scope exit.
class Handle {
 public:
  Handle() = default;
  explicit Handle(HANDLE h) : h_(h) {}
  Handle(Handle&& o) noexcept : h_(o.release()) {}
  Handle& operator=(Handle&& o) noexcept {
    reset(o.release());
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }
  HANDLE get() const { return h_; }
  bool valid() const { return h_ != nullptr && h_ != INVALID_HANDLE_VALUE; }
  HANDLE release() {
    HANDLE h = h_;
    h_ = nullptr;
    return h;
  }
  void reset(HANDLE h = nullptr) {
    if (valid()) CloseHandle(h_);
    h_ = h;
  }

 private:
  HANDLE h_ = nullptr;
};

}  // namespace kerbside::win

#endif  // KERBSIDE_AGENT_PLATFORM_WIN_UTIL_H_
