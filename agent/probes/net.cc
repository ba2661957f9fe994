#include "agent/probes/net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace kerbside::agent::probes {
namespace {

NetResult FromErrno(int err, absl::string_view what) {
  NetResult r;
  r.error_number = err;
  r.outcome = (err == ECONNREFUSED) ? NetOutcome::kRefused : NetOutcome::kError;
  r.detail = absl::StrCat(what, ": ", std::strerror(err));
  return r;
}

NetResult TimedOut(absl::string_view what, const Deadline& d) {
  NetResult r;
  r.outcome = NetOutcome::kTimedOut;
  r.detail = absl::StrCat("no answer to ", what, " within ", absl::FormatDuration(d.timeout()));
  return r;
}

// Waits for `events` on fd. Returns 1 when ready, 0 at the deadline, -errno on failure.
int WaitFor(SocketHandle fd, short events, const Deadline& deadline) {
  while (true) {
    pollfd p{static_cast<int>(fd), events, 0};
    const int n = ::poll(&p, 1, deadline.PollMs());
    if (n > 0) return 1;
    if (n == 0) return 0;
    if (errno != EINTR) return -errno;
  }
}

Fd NonBlockingSocket(int family, int type) {
  return Fd(::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
}

}  // namespace

std::string ResolverErrorText(int code) { return ::gai_strerror(code); }

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(static_cast<int>(fd_));
    fd_ = o.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(static_cast<int>(fd_));
}

void InitializeSockets() {}

Exchange UdpExchange(const SocketAddress& to, absl::string_view request, const Clock& clock,
                     absl::Duration timeout) {
  Exchange ex;
  Deadline deadline(clock, timeout);
  Fd fd = NonBlockingSocket(to.storage.ss_family, SOCK_DGRAM);
  if (fd.get() < 0) {
    ex.result = FromErrno(errno, "socket");
    return ex;
  }
  // connect(2) on UDP only fixes the peer, so that ICMP port unreachable is reported to us.
  if (::connect(static_cast<int>(fd.get()), reinterpret_cast<const sockaddr*>(&to.storage),
                to.length) != 0) {
    ex.result = FromErrno(errno, "connect");
    return ex;
  }
  ex.sent = clock.Now();
  if (::send(static_cast<int>(fd.get()), request.data(), request.size(), 0) < 0) {
    ex.result = FromErrno(errno, "send");
    return ex;
  }
  std::string buf(65536, '\0');
  while (true) {
    const int w = WaitFor(fd.get(), POLLIN, deadline);
    if (w == 0) {
      ex.result = TimedOut("the UDP datagram", deadline);
      return ex;
    }
    if (w < 0) {
      ex.result = FromErrno(-w, "poll");
      return ex;
    }
    const ssize_t n = ::recv(static_cast<int>(fd.get()), buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      ex.received = clock.Now();
      ex.result = FromErrno(errno, "recv");
      if (ex.result.outcome == NetOutcome::kRefused) {
        ex.result.detail = "ICMP port unreachable (nothing listens on the UDP port)";
      }
      return ex;
    }
    ex.received = clock.Now();
    ex.reply.assign(buf.data(), static_cast<size_t>(n));
    return ex;
  }
}

NetResult TcpConnect(const SocketAddress& to, const Deadline& deadline, Fd* out) {
  Fd fd = NonBlockingSocket(to.storage.ss_family, SOCK_STREAM);
  if (fd.get() < 0) return FromErrno(errno, "socket");
  if (::connect(static_cast<int>(fd.get()), reinterpret_cast<const sockaddr*>(&to.storage),
                to.length) != 0) {
    if (errno != EINPROGRESS) return FromErrno(errno, "connect");
    const int w = WaitFor(fd.get(), POLLOUT, deadline);
    if (w == 0) return TimedOut("the TCP handshake", deadline);
    if (w < 0) return FromErrno(-w, "poll");
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(static_cast<int>(fd.get()), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return FromErrno(err, "connect");
  }
  *out = std::move(fd);
  return NetResult{};
}

NetResult SendAll(SocketHandle fd, absl::string_view data, const Deadline& deadline) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n =
        ::send(static_cast<int>(fd), data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n >= 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return FromErrno(errno, "send");
    const int w = WaitFor(fd, POLLOUT, deadline);
    if (w == 0) return TimedOut("sending", deadline);
    if (w < 0) return FromErrno(-w, "poll");
  }
  return NetResult{};
}

NetResult RecvExact(SocketHandle fd, size_t n, const Deadline& deadline, std::string* out) {
  size_t got = 0;
  char buf[16384];
  while (got < n) {
    const ssize_t r = ::recv(static_cast<int>(fd), buf, std::min(sizeof buf, n - got), 0);
    if (r > 0) {
      out->append(buf, static_cast<size_t>(r));
      got += static_cast<size_t>(r);
      continue;
    }
    if (r == 0) {
      NetResult res;
      res.outcome = NetOutcome::kError;
      res.detail = absl::StrCat("connection closed by the peer after ", got, " of ", n, " bytes");
      return res;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return FromErrno(errno, "recv");
    const int w = WaitFor(fd, POLLIN, deadline);
    if (w == 0) return TimedOut("the request", deadline);
    if (w < 0) return FromErrno(-w, "poll");
  }
  return NetResult{};
}

NetResult RecvSome(SocketHandle fd, size_t max, const Deadline& deadline, std::string* out) {
  std::string buf(std::max<size_t>(max, 1), '\0');
  while (true) {
    const ssize_t r = ::recv(static_cast<int>(fd), buf.data(), buf.size(), 0);
    if (r > 0) {
      out->append(buf.data(), static_cast<size_t>(r));
      return NetResult{};
    }
    if (r == 0) {
      NetResult res;
      res.outcome = NetOutcome::kError;
      res.detail = "connection closed by the server";
      return res;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return FromErrno(errno, "recv");
    const int w = WaitFor(fd, POLLIN, deadline);
    if (w == 0) return TimedOut("the request", deadline);
    if (w < 0) return FromErrno(-w, "poll");
  }
}

NetResult WaitSocket(SocketHandle fd, bool for_write, const Deadline& deadline,
                     absl::string_view what) {
  const int w = WaitFor(fd, for_write ? POLLOUT : POLLIN, deadline);
  if (w == 0) return TimedOut(what, deadline);
  if (w < 0) return FromErrno(-w, "poll");
  return NetResult{};
}

}  // namespace kerbside::agent::probes
