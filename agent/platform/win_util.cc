#include "agent/platform/win_util.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace kerbside::win {

std::wstring Widen(absl::string_view utf8) {
  if (utf8.empty()) return {};
  const int n =
      MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  std::wstring out(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), out.data(), n);
  return out;
}

std::string Narrow(std::wstring_view utf16) {
  if (utf16.empty()) return {};
  const int n = WideCharToMultiByte(CP_UTF8, 0, utf16.data(), static_cast<int>(utf16.size()),
                                    nullptr, 0, nullptr, nullptr);
  std::string out(static_cast<size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, 0, utf16.data(), static_cast<int>(utf16.size()), out.data(), n,
                      nullptr, nullptr);
  return out;
}

absl::Status Win32Error(absl::string_view what, DWORD error) {
  wchar_t* text = nullptr;
  const DWORD n = FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, error, 0, reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  std::string message = n > 0 ? Narrow(std::wstring_view(text, n)) : "unknown error";
  if (text != nullptr) LocalFree(text);
  const std::string full =
      absl::StrCat(what, ": ", absl::StripAsciiWhitespace(message), " (Win32 error ", error, ")");
  switch (error) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_SERVICE_DOES_NOT_EXIST:
      return absl::NotFoundError(full);
    case ERROR_ACCESS_DENIED:
      return absl::PermissionDeniedError(full);
    case ERROR_SERVICE_EXISTS:
    case ERROR_ALREADY_EXISTS:
      return absl::AlreadyExistsError(full);
    case ERROR_TIMEOUT:
    case WAIT_TIMEOUT:
      return absl::DeadlineExceededError(full);
    default:
      return absl::InternalError(full);
  }
}

bool RunningUnderWine() {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  return ntdll != nullptr && GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

}  // namespace kerbside::win
