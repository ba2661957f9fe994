#include "agent/sources/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kerbside::agent {
namespace {

absl::Status Errno(absl::string_view what) {
  const int e = errno;
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(e), " (errno ", e, ")"));
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout, size_t max_output_bytes) {
  if (argv.empty()) return absl::InvalidArgumentError("RunCommand: empty argv");
  const std::string shown = absl::StrJoin(argv, " ");
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return Errno("pipe");
  Fd out_r{out_pipe[0]}, out_w{out_pipe[1]};
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return Errno("pipe");
  Fd err_r{err_pipe[0]}, err_w{err_pipe[1]};
  Fd timer{timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC)};
  if (timer.fd < 0) return Errno("timerfd_create");
  itimerspec spec{};
  spec.it_value = absl::ToTimespec(std::max(timeout, absl::Milliseconds(1)));
  sigset_t none;
  sigemptyset(&none);

  const pid_t pid = fork();
  if (pid < 0) return Errno("fork");
  if (pid == 0) {
    // The agent blocks termination signals in every thread; the tool must not inherit that.
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out_w.fd);
  out_w.fd = -1;
  close(err_w.fd);
  err_w.fd = -1;
  if (timerfd_settime(timer.fd, 0, &spec, nullptr) != 0) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return Errno("timerfd_settime");
  }

  CommandResult r;
  bool out_open = true, err_open = true, timed_out = false, too_big = false;
  char buf[65536];
  while ((out_open || err_open) && !timed_out && !too_big) {
    pollfd fds[3] = {{out_open ? out_r.fd : -1, POLLIN, 0},
                     {err_open ? err_r.fd : -1, POLLIN, 0},
                     {timer.fd, POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return Errno("poll");
    }
    if (fds[2].revents & POLLIN) timed_out = true;
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      std::string& sink = i == 0 ? r.out : r.err;
      if (n > 0) {
        sink.append(buf, static_cast<size_t>(n));
        if (sink.size() > max_output_bytes) too_big = true;
      } else if (n == 0 || errno != EINTR) {
        (i == 0 ? out_open : err_open) = false;
      }
    }
  }
  if (timed_out || too_big) kill(pid, SIGKILL);
  int status = 0;
  // The pipes closed (or we killed it): the child has exited or is about to.
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat(shown, ": no answer within ", absl::FormatDuration(timeout), "; killed"));
  }
  if (too_big) {
    return absl::ResourceExhaustedError(
        absl::StrCat(shown, ": more than ", max_output_bytes, " bytes of output; killed"));
  }
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
    if (r.exit_code == 127 && r.out.empty()) {
      return absl::NotFoundError(absl::StrCat(shown, ": cannot run ", argv[0]));
    }
  } else {
    r.exit_code = 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  }
  return r;
}

}  // namespace kerbside::agent
