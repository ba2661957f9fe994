// Windows: the child runs in a job object that is killed at the deadline, on too much output and
// after the child exits (so a grandchild cannot keep the pipes, or the agent, waiting). The
// deadline is the wait's own timeout, not a reading of the clock.
#include <windows.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/platform/command_line.h"
#include "agent/platform/win_util.h"
#include "agent/sources/command.h"

namespace kerbside::agent {
namespace {

using win::Handle;

// Reads a pipe to its end into `sink`; past `cap` bytes it sets `too_big` and kills the job.
void Drain(HANDLE pipe, std::string* sink, size_t cap, std::atomic<bool>* too_big, HANDLE job) {
  char buf[65536];
  DWORD n = 0;
  while (ReadFile(pipe, buf, sizeof(buf), &n, nullptr) && n > 0) {
    sink->append(buf, n);
    if (sink->size() > cap) {
      too_big->store(true);
      TerminateJobObject(job, 1);
      return;
    }
  }
}

}  // namespace

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout, size_t max_output_bytes) {
  if (argv.empty()) return absl::InvalidArgumentError("RunCommand: empty argv");
  const std::string shown = absl::StrJoin(argv, " ");
  std::wstring command_line = win::Widen(QuoteWindowsCommandLine(argv));

  SECURITY_ATTRIBUTES inherit{sizeof(inherit), nullptr, TRUE};
  HANDLE raw_out_r, raw_out_w, raw_err_r, raw_err_w;
  if (!CreatePipe(&raw_out_r, &raw_out_w, &inherit, 0)) return win::LastError("CreatePipe");
  Handle out_r(raw_out_r), out_w(raw_out_w);
  if (!CreatePipe(&raw_err_r, &raw_err_w, &inherit, 0)) return win::LastError("CreatePipe");
  Handle err_r(raw_err_r), err_w(raw_err_w);
  // Only the child's ends are inherited.
  SetHandleInformation(out_r.get(), HANDLE_FLAG_INHERIT, 0);
  SetHandleInformation(err_r.get(), HANDLE_FLAG_INHERIT, 0);
  Handle in(CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit,
                        OPEN_EXISTING, 0, nullptr));
  if (!in.valid()) return win::LastError("open NUL");

  Handle job(CreateJobObjectW(nullptr, nullptr));
  if (!job.valid()) return win::LastError("CreateJobObject");
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  if (!SetInformationJobObject(job.get(), JobObjectExtendedLimitInformation, &limits,
                               sizeof(limits))) {
    return win::LastError("SetInformationJobObject");
  }

  STARTUPINFOW si{};
  si.cb = sizeof(si);
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = in.get();
  si.hStdOutput = out_w.get();
  si.hStdError = err_w.get();
  PROCESS_INFORMATION pi{};
  // Suspended until it is in the job, so not even its first instruction runs outside it.
  if (!CreateProcessW(nullptr, command_line.data(), nullptr, nullptr, TRUE,
                      CREATE_SUSPENDED | CREATE_NO_WINDOW, nullptr, nullptr, &si, &pi)) {
    const DWORD e = GetLastError();
    if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) {
      return absl::NotFoundError(absl::StrCat(shown, ": cannot run ", argv[0]));
    }
    return win::Win32Error(absl::StrCat("CreateProcess ", argv[0]), e);
  }
  Handle process(pi.hProcess), thread(pi.hThread);
  if (!AssignProcessToJobObject(job.get(), process.get())) {
    const absl::Status s = win::LastError("AssignProcessToJobObject");
    TerminateProcess(process.get(), 1);
    return s;
  }
  ResumeThread(thread.get());
  // Our copies of the child's ends: closed, so the pipes end when the child's copies do.
  out_w.reset();
  err_w.reset();
  in.reset();

  CommandResult r;
  std::atomic<bool> too_big{false};
  std::thread out_reader(Drain, out_r.get(), &r.out, max_output_bytes, &too_big, job.get());
  std::thread err_reader(Drain, err_r.get(), &r.err, max_output_bytes, &too_big, job.get());
  const int64_t ms = std::clamp<int64_t>(absl::ToInt64Milliseconds(timeout), 1, 0x7FFFFFFE);
  const DWORD waited = WaitForSingleObject(process.get(), static_cast<DWORD>(ms));
  const bool timed_out = waited == WAIT_TIMEOUT;
  // Kills the child at the deadline, and whatever it started in any case.
  TerminateJobObject(job.get(), 1);
  WaitForSingleObject(process.get(), INFINITE);
  out_reader.join();
  err_reader.join();
  if (timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat(shown, ": no answer within ", absl::FormatDuration(timeout), "; killed"));
  }
  if (too_big.load()) {
    return absl::ResourceExhaustedError(
        absl::StrCat(shown, ": more than ", max_output_bytes, " bytes of output; killed"));
  }
  DWORD code = 0;
  GetExitCodeProcess(process.get(), &code);
  r.exit_code = static_cast<int>(code);
  return r;
}

}  // namespace kerbside::agent
