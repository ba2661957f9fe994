// Windows: Group Policy writes the agent's settings (deploy/windows/policy, ADMX) as values under
// HKLM\SOFTWARE\Policies\Kerbside\Agent, and rewrites them at every policy refresh. The key is
// watched with RegNotifyChangeKeyValue so a changed policy takes effect without a restart.
#include <windows.h>

#include <cwchar>

#include "absl/strings/str_cat.h"
#include "agent/platform/policy_store.h"
#include "agent/platform/win_util.h"

namespace kerbside::agent::platform {
namespace {

constexpr char kPolicyKey[] = R"(SOFTWARE\Policies\Kerbside\Agent)";
// Bounds on what a policy may hold: value names are config keys (short); data is a path, an
// address or a list of them. Larger data is refused, not truncated.
constexpr DWORD kMaxValues = 256;
constexpr DWORD kMaxDataBytes = 64 * 1024;

std::vector<std::string> SplitMultiString(const wchar_t* data, size_t chars) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i < chars; ++i) {
    if (data[i] != L'\0') continue;
    if (i == start) break;  // the empty string that ends the list
    out.push_back(win::Narrow(std::wstring_view(data + start, i - start)));
    start = i + 1;
  }
  if (start < chars && data[chars - 1] != L'\0') {
    out.push_back(win::Narrow(std::wstring_view(data + start, chars - start)));
  }
  return out;
}

class RegistryPolicyStore : public PolicyStore {
 public:
  explicit RegistryPolicyStore(std::string key_path)
      : key_path_(std::move(key_path)),
        change_(CreateEventW(nullptr, FALSE, FALSE, nullptr)),
        cancel_(CreateEventW(nullptr, TRUE, FALSE, nullptr)) {}

  ~RegistryPolicyStore() override {
    if (watched_ != nullptr) RegCloseKey(watched_);
  }

  std::string origin() const override { return absl::StrCat("HKLM\\", key_path_); }

  absl::StatusOr<std::vector<PolicyValue>> Read() override {
    Arm();
    HKEY key = nullptr;
    LSTATUS rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, win::Widen(key_path_).c_str(), 0,
                               KEY_QUERY_VALUE | KEY_WOW64_64KEY, &key);
    if (rc == ERROR_FILE_NOT_FOUND) return std::vector<PolicyValue>{};
    if (rc != ERROR_SUCCESS) return win::Win32Error(absl::StrCat("open ", origin()), rc);
    std::vector<PolicyValue> out;
    absl::Status status = absl::OkStatus();
    for (DWORD index = 0;; ++index) {
      if (index >= kMaxValues) {
        status = absl::ResourceExhaustedError(
            absl::StrCat(origin(), ": more than ", kMaxValues, " values"));
        break;
      }
      wchar_t name[256];
      DWORD name_chars = 256, type = 0, bytes = 0;
      rc = RegEnumValueW(key, index, name, &name_chars, nullptr, &type, nullptr, &bytes);
      if (rc == ERROR_NO_MORE_ITEMS) break;
      if (rc != ERROR_SUCCESS) {
        status = win::Win32Error(absl::StrCat("enumerate ", origin()), rc);
        break;
      }
      PolicyValue v;
      v.name = win::Narrow(std::wstring_view(name, name_chars));
      if (bytes > kMaxDataBytes) {
        status = absl::ResourceExhaustedError(
            absl::StrCat(origin(), "\\", v.name, ": ", bytes, " bytes, at most ", kMaxDataBytes));
        break;
      }
      std::wstring data(bytes / sizeof(wchar_t) + 1, L'\0');
      DWORD got = bytes;
      rc = RegQueryValueExW(key, name, nullptr, &type, reinterpret_cast<BYTE*>(data.data()), &got);
      if (rc != ERROR_SUCCESS) {
        status = win::Win32Error(absl::StrCat("read ", origin(), "\\", v.name), rc);
        break;
      }
      const size_t chars = got / sizeof(wchar_t);
      switch (type) {
        case REG_SZ:
        case REG_EXPAND_SZ: {
          // Group Policy's "expandable" strings (%ProgramData%\Kerbside\...) are expanded here.
          std::wstring text(data.data(), wcsnlen(data.data(), chars));
          if (type == REG_EXPAND_SZ) {
            wchar_t expanded[32768];
            const DWORD n = ExpandEnvironmentStringsW(text.c_str(), expanded, 32768);
            if (n > 0 && n <= 32768) text.assign(expanded, n - 1);
          }
          v.type = PolicyValue::Type::kString;
          v.text = win::Narrow(text);
          break;
        }
        case REG_MULTI_SZ:
          v.type = PolicyValue::Type::kMultiString;
          v.items = SplitMultiString(data.data(), chars);
          break;
        case REG_DWORD:
          if (got != sizeof(DWORD)) {
            status = absl::InvalidArgumentError(
                absl::StrCat(origin(), "\\", v.name, ": REG_DWORD of ", got, " bytes"));
            break;
          }
          v.type = PolicyValue::Type::kDword;
          v.dword = *reinterpret_cast<const DWORD*>(data.data());
          break;
        default:
          status = absl::InvalidArgumentError(
              absl::StrCat(origin(), "\\", v.name, ": registry type ", type,
                           " is none of REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD"));
          break;
      }
      if (!status.ok()) break;
      out.push_back(std::move(v));
    }
    RegCloseKey(key);
    if (!status.ok()) return status;
    return out;
  }

  bool WaitForChange() override {
    Arm();
    HANDLE events[2] = {cancel_.get(), change_.get()};
    // Without a watch (no access to the key), wait for cancellation only.
    const DWORD n = watched_ != nullptr ? 2 : 1;
    const bool changed = WaitForMultipleObjects(n, events, FALSE, INFINITE) == WAIT_OBJECT_0 + 1;
    if (changed) armed_ = false;  // the notification fired: the next Read arms a new one
    return changed;
  }

  void Cancel() override { SetEvent(cancel_.get()); }

 private:
  // Watches the parent (SOFTWARE\Policies) with its subtree: the Agent key itself may not exist
  // yet, or be deleted and re-created by a policy refresh. Armed before each read, so a value
  // Group Policy writes between a read and the next wait still wakes it (the event stays set).
  void Arm() {
    if (armed_) return;
    if (watched_ == nullptr) {
      if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Policies", 0, nullptr, 0,
                          KEY_NOTIFY | KEY_WOW64_64KEY, nullptr, &watched_,
                          nullptr) != ERROR_SUCCESS) {
        watched_ = nullptr;
        return;
      }
    }
    armed_ =
        RegNotifyChangeKeyValue(watched_, TRUE, REG_NOTIFY_CHANGE_NAME | REG_NOTIFY_CHANGE_LAST_SET,
                                change_.get(), TRUE) == ERROR_SUCCESS;
  }

  std::string key_path_;
  win::Handle change_, cancel_;
  HKEY watched_ = nullptr;
  bool armed_ = false;
};

}  // namespace

std::unique_ptr<PolicyStore> MakePolicyStore(const std::string& key_path) {
  return std::make_unique<RegistryPolicyStore>(key_path.empty() ? kPolicyKey : key_path);
}

}  // namespace kerbside::agent::platform
