#include <windows.h>
// After windows.h: the known folders, the ACL and SDDL helpers.
#include <aclapi.h>
#include <sddl.h>
#include <shlobj.h>

#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/platform/command_line.h"
#include "agent/platform/service.h"
#include "agent/platform/win_util.h"

namespace kerbside::agent::platform {
namespace {

class ScHandle {
 public:
  explicit ScHandle(SC_HANDLE h) : h_(h) {}
  ScHandle(const ScHandle&) = delete;
  ScHandle& operator=(const ScHandle&) = delete;
  ~ScHandle() {
    if (h_ != nullptr) CloseServiceHandle(h_);
  }
  SC_HANDLE get() const { return h_; }

 private:
  SC_HANDLE h_;
};

constexpr wchar_t kEventLogKey[] =
    L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\kerbside-agent";

std::wstring ThisExecutable() {
  std::wstring path(MAX_PATH, L'\0');
  while (true) {
    const DWORD n = GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
    if (n < path.size()) {
      path.resize(n);
      return path;
    }
    path.resize(path.size() * 2);
  }
}

absl::Status RegisterEventSource(const std::wstring& exe) {
  HKEY key = nullptr;
  LSTATUS rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, kEventLogKey, 0, nullptr, 0,
                               KEY_SET_VALUE | KEY_WOW64_64KEY, nullptr, &key, nullptr);
  if (rc != ERROR_SUCCESS) return win::Win32Error("create the event log source", rc);
  // The message table (agent/platform/messages.mc) is in the executable itself.
  const DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
  rc = RegSetValueExW(key, L"EventMessageFile", 0, REG_EXPAND_SZ,
                      reinterpret_cast<const BYTE*>(exe.c_str()),
                      static_cast<DWORD>((exe.size() + 1) * sizeof(wchar_t)));
  if (rc == ERROR_SUCCESS) {
    rc = RegSetValueExW(key, L"TypesSupported", 0, REG_DWORD, reinterpret_cast<const BYTE*>(&types),
                        sizeof(types));
  }
  RegCloseKey(key);
  if (rc != ERROR_SUCCESS) return win::Win32Error("write the event log source", rc);
  return absl::OkStatus();
}

// The one running service's state, for the control handler (the SCM calls it on its own
// thread with no context of ours but this).
struct ServiceState {
  std::mutex mu;
  SERVICE_STATUS_HANDLE handle = nullptr;
  SERVICE_STATUS status{};
  std::function<int()> body;
  std::function<void()> stop;
};
ServiceState& State() {
  static ServiceState* s = new ServiceState();
  return *s;
}

void Report(DWORD state, DWORD exit_code = NO_ERROR, DWORD wait_hint_ms = 0) {
  ServiceState& s = State();
  std::lock_guard lock(s.mu);
  s.status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  s.status.dwCurrentState = state;
  s.status.dwControlsAccepted =
      state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
  // A non-zero exit makes the SCM apply the failure actions (fFailureActionsOnNonCrashFailures).
  s.status.dwWin32ExitCode = exit_code == NO_ERROR ? NO_ERROR : ERROR_SERVICE_SPECIFIC_ERROR;
  s.status.dwServiceSpecificExitCode = exit_code;
  s.status.dwWaitHint = wait_hint_ms;
  s.status.dwCheckPoint =
      (state == SERVICE_RUNNING || state == SERVICE_STOPPED) ? 0 : s.status.dwCheckPoint + 1;
  if (s.handle != nullptr) SetServiceStatus(s.handle, &s.status);
}

DWORD WINAPI OnControl(DWORD control, DWORD, void*, void*) {
  switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
      Report(SERVICE_STOP_PENDING, NO_ERROR, 30000);
      if (State().stop) State().stop();
      return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
      return NO_ERROR;
    default:
      return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

// Restart after 10 s, 30 s, then every 60 s; the count resets after a day without failure. Also
// on an exit with an error (a configuration it cannot use after a policy change, say), not only
// on a crash.
absl::Status SetRecoveryActions(SC_HANDLE service) {
  SC_ACTION actions[3] = {
      {SC_ACTION_RESTART, 10000}, {SC_ACTION_RESTART, 30000}, {SC_ACTION_RESTART, 60000}};
  SERVICE_FAILURE_ACTIONSW failure{};
  failure.dwResetPeriod = 24 * 60 * 60;
  failure.cActions = 3;
  failure.lpsaActions = actions;
  if (!ChangeServiceConfig2W(service, SERVICE_CONFIG_FAILURE_ACTIONS, &failure)) {
    return win::LastError("set the failure actions of kerbside-agent");
  }
  SERVICE_FAILURE_ACTIONS_FLAG on_exit{TRUE};
  ChangeServiceConfig2W(service, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &on_exit);
  return absl::OkStatus();
}

// Creates `dir` if needed and makes it the service's: owned by Administrators, with a protected
// DACL (full control for SYSTEM and Administrators, inherited by what is created inside: the
// spool, the bookmark, logs). Any user may create folders under %ProgramData%: one made
// beforehand by someone else changes owner here, and a junction or link in its place is refused,
// never followed.
absl::Status SecureDirectory(const std::string& dir) {
  const std::wstring wide = win::Widen(dir);
  if (!CreateDirectoryW(wide.c_str(), nullptr) && GetLastError() != ERROR_ALREADY_EXISTS) {
    return win::LastError(absl::StrCat("create ", dir));
  }
  HANDLE h =
      CreateFileW(wide.c_str(), READ_CONTROL | WRITE_DAC | WRITE_OWNER,
                  FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                  FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
  if (h == INVALID_HANDLE_VALUE) return win::LastError(absl::StrCat("open ", dir));
  BY_HANDLE_FILE_INFORMATION info{};
  if (!GetFileInformationByHandle(h, &info) ||
      (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0 ||
      (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) == 0) {
    CloseHandle(h);
    return absl::FailedPreconditionError(
        absl::StrCat(dir, " is a junction, a link or no folder: not used as the data folder"));
  }
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(
          L"O:BAD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)", SDDL_REVISION_1, &sd, nullptr)) {
    CloseHandle(h);
    return win::LastError("build the data folder's security descriptor");
  }
  BOOL present = FALSE, defaulted = FALSE;
  PACL dacl = nullptr;
  PSID owner = nullptr;
  GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
  GetSecurityDescriptorOwner(sd, &owner, &defaulted);
  const DWORD rc = SetSecurityInfo(
      h, SE_FILE_OBJECT,
      OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
      owner, nullptr, dacl, nullptr);
  LocalFree(sd);
  CloseHandle(h);
  if (rc != ERROR_SUCCESS)
    return win::Win32Error(absl::StrCat("set the owner and ACL of ", dir), rc);
  return absl::OkStatus();
}

void WINAPI ServiceMain(DWORD, wchar_t**) {
  ServiceState& s = State();
  s.handle = RegisterServiceCtrlHandlerExW(L"kerbside-agent", OnControl, nullptr);
  if (s.handle == nullptr) return;
  Report(SERVICE_START_PENDING, NO_ERROR, 10000);
  Report(SERVICE_RUNNING);
  const int code = s.body();
  Report(SERVICE_STOPPED, static_cast<DWORD>(code));
}

}  // namespace

absl::Status InstallService(const std::vector<std::string>& service_args) {
  const std::wstring exe = ThisExecutable();
  std::vector<std::string> argv = {win::Narrow(exe), "--service"};
  argv.insert(argv.end(), service_args.begin(), service_args.end());
  const std::wstring command = win::Widen(QuoteWindowsCommandLine(argv));
  ScHandle scm(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CREATE_SERVICE));
  if (scm.get() == nullptr) return win::LastError("open the service control manager");
  ScHandle service(CreateServiceW(scm.get(), L"kerbside-agent", L"kerbside agent",
                                  SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START,
                                  SERVICE_ERROR_NORMAL, command.c_str(), nullptr, nullptr, nullptr,
                                  /*LocalSystem*/ nullptr, nullptr));
  if (service.get() == nullptr) return win::LastError("create service kerbside-agent");
  std::wstring description =
      L"Streams this server's Kerberos, clock, SPN and queue evidence to the kerbside collector "
      L"(KB 979174: 454 4.7.0 Temporary authentication failure).";
  SERVICE_DESCRIPTIONW desc{description.data()};
  ChangeServiceConfig2W(service.get(), SERVICE_CONFIG_DESCRIPTION, &desc);
  if (absl::Status s = SetRecoveryActions(service.get()); !s.ok()) return s;
  return RegisterEventSource(exe);
}

absl::Status ApplyServiceSettings() {
  std::vector<std::string> failed;
  ScHandle scm(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
  ScHandle service(scm.get() == nullptr ? nullptr
                                        : OpenServiceW(scm.get(), L"kerbside-agent",
                                                       SERVICE_CHANGE_CONFIG | SERVICE_START));
  if (service.get() == nullptr) {
    failed.push_back(std::string(win::LastError("open service kerbside-agent").message()));
  } else if (absl::Status s = SetRecoveryActions(service.get()); !s.ok()) {
    failed.push_back(std::string(s.message()));
  }
  if (absl::Status s = SecureDirectory(DataDirectory()); !s.ok()) {
    failed.push_back(std::string(s.message()));
  }
  if (failed.empty()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrJoin(failed, "; "));
}

absl::Status UninstallService(int stop_timeout_ms) {
  ScHandle scm(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
  if (scm.get() == nullptr) return win::LastError("open the service control manager");
  ScHandle service(
      OpenServiceW(scm.get(), L"kerbside-agent", SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE));
  if (service.get() == nullptr) return win::LastError("open service kerbside-agent");
  SERVICE_STATUS status{};
  if (ControlService(service.get(), SERVICE_CONTROL_STOP, &status)) {
    for (int waited = 0; waited < stop_timeout_ms; waited += 200) {
      if (!QueryServiceStatus(service.get(), &status) || status.dwCurrentState == SERVICE_STOPPED) {
        break;
      }
      Sleep(200);
    }
    if (status.dwCurrentState != SERVICE_STOPPED) {
      return absl::DeadlineExceededError(
          absl::StrCat("kerbside-agent did not stop within ", stop_timeout_ms, " ms"));
    }
  }
  if (!DeleteService(service.get())) return win::LastError("delete service kerbside-agent");
  RegDeleteKeyExW(HKEY_LOCAL_MACHINE, kEventLogKey, KEY_WOW64_64KEY, 0);
  return absl::OkStatus();
}

absl::Status RunAsService(std::function<int()> body, std::function<void()> stop) {
  State().body = std::move(body);
  State().stop = std::move(stop);
  wchar_t name[] = L"kerbside-agent";
  SERVICE_TABLE_ENTRYW table[] = {{name, ServiceMain}, {nullptr, nullptr}};
  if (!StartServiceCtrlDispatcherW(table)) {
    const DWORD e = GetLastError();
    if (e == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
      return absl::FailedPreconditionError(
          "--service: not started by the service control manager (run without --service in a "
          "console, or start the kerbside-agent service)");
    }
    return win::Win32Error("StartServiceCtrlDispatcher", e);
  }
  return absl::OkStatus();
}

std::string DataDirectory() {
  wchar_t* path = nullptr;
  std::string out = "C:\\ProgramData\\Kerbside";
  if (SHGetKnownFolderPath(FOLDERID_ProgramData, 0, nullptr, &path) == S_OK) {
    out = win::Narrow(path) + "\\Kerbside";
  }
  if (path != nullptr) CoTaskMemFree(path);
  return out;
}

std::string DefaultSpoolDirectory() { return DataDirectory() + "\\spool"; }
std::string DefaultEnrollCommand() { return "certreq.exe"; }
std::string DefaultEnrollDirectory() { return DataDirectory() + "\\tls"; }

}  // namespace kerbside::agent::platform
