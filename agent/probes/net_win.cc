// net.h on Winsock: non-blocking sockets (ioctlsocket FIONBIO), WSAPoll with the time left.
// Differences from POSIX kept here: a connect in progress says WSAEWOULDBLOCK; an ICMP port
// unreachable on a connected UDP socket comes back from recv as WSAECONNRESET; errors come
// from WSAGetLastError and their text from FormatMessage.
#include <winsock2.h>
#include <ws2tcpip.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "agent/probes/net.h"

namespace kerbside::agent::probes {
namespace {

std::string WsaText(int err) {
  wchar_t* text = nullptr;
  const DWORD n = FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, static_cast<DWORD>(err), 0, reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  std::string out;
  for (DWORD i = 0; i < n; ++i) {
    // The system texts are ASCII in English; anything else is shown as '?'.
    out.push_back(text[i] < 0x80 ? static_cast<char>(text[i]) : '?');
  }
  if (text != nullptr) LocalFree(text);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == '.')) {
    out.pop_back();
  }
  return absl::StrCat(out.empty() ? "socket error" : out, " (WSA error ", err, ")");
}

NetResult FromWsa(int err, absl::string_view what) {
  NetResult r;
  r.error_number = err;
  r.outcome = (err == WSAECONNREFUSED) ? NetOutcome::kRefused : NetOutcome::kError;
  r.detail = absl::StrCat(what, ": ", WsaText(err));
  return r;
}

NetResult TimedOut(absl::string_view what, const Deadline& d) {
  NetResult r;
  r.outcome = NetOutcome::kTimedOut;
  r.detail = absl::StrCat("no answer to ", what, " within ", absl::FormatDuration(d.timeout()));
  return r;
}

SOCKET Raw(SocketHandle fd) { return static_cast<SOCKET>(fd); }

// 1 when ready, 0 at the deadline, -error on failure.
int WaitFor(SocketHandle fd, short events, const Deadline& deadline) {
  WSAPOLLFD p{Raw(fd), events, 0};
  const int n = WSAPoll(&p, 1, deadline.PollMs());
  if (n > 0) return 1;
  if (n == 0) return 0;
  return -WSAGetLastError();
}

Fd NonBlockingSocket(int family, int type, int protocol) {
  const SOCKET s = ::socket(family, type, protocol);
  if (s == INVALID_SOCKET) return Fd();
  u_long on = 1;
  ioctlsocket(s, FIONBIO, &on);
  return Fd(static_cast<SocketHandle>(s));
}

}  // namespace

void InitializeSockets() {
  static std::once_flag once;
  std::call_once(once, [] {
    WSADATA data;
    WSAStartup(MAKEWORD(2, 2), &data);
  });
}

std::string ResolverErrorText(int code) { return WsaText(code); }

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ != kNoSocket) ::closesocket(Raw(fd_));
    fd_ = o.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ != kNoSocket) ::closesocket(Raw(fd_));
}

Exchange UdpExchange(const SocketAddress& to, absl::string_view request, const Clock& clock,
                     absl::Duration timeout) {
  InitializeSockets();
  Exchange ex;
  Deadline deadline(clock, timeout);
  Fd fd = NonBlockingSocket(to.storage.ss_family, SOCK_DGRAM, IPPROTO_UDP);
  if (!fd.valid()) {
    ex.result = FromWsa(WSAGetLastError(), "socket");
    return ex;
  }
  // connect on UDP only fixes the peer, so that ICMP port unreachable is reported to us.
  if (::connect(Raw(fd.get()), reinterpret_cast<const sockaddr*>(&to.storage), to.length) != 0) {
    ex.result = FromWsa(WSAGetLastError(), "connect");
    return ex;
  }
  ex.sent = clock.Now();
  if (::send(Raw(fd.get()), request.data(), static_cast<int>(request.size()), 0) == SOCKET_ERROR) {
    ex.result = FromWsa(WSAGetLastError(), "send");
    return ex;
  }
  std::string buf(65536, '\0');
  while (true) {
    const int w = WaitFor(fd.get(), POLLRDNORM, deadline);
    if (w == 0) {
      ex.result = TimedOut("the UDP datagram", deadline);
      return ex;
    }
    if (w < 0) {
      ex.result = FromWsa(-w, "WSAPoll");
      return ex;
    }
    const int n = ::recv(Raw(fd.get()), buf.data(), static_cast<int>(buf.size()), 0);
    if (n == SOCKET_ERROR) {
      const int err = WSAGetLastError();
      if (err == WSAEWOULDBLOCK) continue;
      ex.received = clock.Now();
      if (err == WSAECONNRESET || err == WSAECONNREFUSED) {
        ex.result.outcome = NetOutcome::kRefused;
        ex.result.error_number = err;
        ex.result.detail = "ICMP port unreachable (nothing listens on the UDP port)";
      } else {
        ex.result = FromWsa(err, "recv");
      }
      return ex;
    }
    ex.received = clock.Now();
    ex.reply.assign(buf.data(), static_cast<size_t>(n));
    return ex;
  }
}

NetResult TcpConnect(const SocketAddress& to, const Deadline& deadline, Fd* out) {
  InitializeSockets();
  Fd fd = NonBlockingSocket(to.storage.ss_family, SOCK_STREAM, IPPROTO_TCP);
  if (!fd.valid()) return FromWsa(WSAGetLastError(), "socket");
  if (::connect(Raw(fd.get()), reinterpret_cast<const sockaddr*>(&to.storage), to.length) != 0) {
    const int err = WSAGetLastError();
    if (err != WSAEWOULDBLOCK && err != WSAEINPROGRESS) return FromWsa(err, "connect");
    // A refused connect shows as POLLERR/POLLHUP; the reason is in SO_ERROR.
    WSAPOLLFD p{Raw(fd.get()), POLLWRNORM, 0};
    const int n = WSAPoll(&p, 1, deadline.PollMs());
    if (n == 0) return TimedOut("the TCP handshake", deadline);
    if (n < 0) return FromWsa(WSAGetLastError(), "WSAPoll");
    int so_error = 0;
    int len = sizeof so_error;
    ::getsockopt(Raw(fd.get()), SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&so_error), &len);
    if (so_error != 0) return FromWsa(so_error, "connect");
    if ((p.revents & (POLLERR | POLLHUP)) != 0) return FromWsa(WSAECONNREFUSED, "connect");
  }
  *out = std::move(fd);
  return NetResult{};
}

NetResult SendAll(SocketHandle fd, absl::string_view data, const Deadline& deadline) {
  size_t off = 0;
  while (off < data.size()) {
    const int n = ::send(Raw(fd), data.data() + off, static_cast<int>(data.size() - off), 0);
    if (n != SOCKET_ERROR) {
      off += static_cast<size_t>(n);
      continue;
    }
    const int err = WSAGetLastError();
    if (err != WSAEWOULDBLOCK) return FromWsa(err, "send");
    const int w = WaitFor(fd, POLLWRNORM, deadline);
    if (w == 0) return TimedOut("sending", deadline);
    if (w < 0) return FromWsa(-w, "WSAPoll");
  }
  return NetResult{};
}

NetResult RecvExact(SocketHandle fd, size_t n, const Deadline& deadline, std::string* out) {
  size_t got = 0;
  char buf[16384];
  while (got < n) {
    const int r = ::recv(Raw(fd), buf, static_cast<int>(std::min(sizeof buf, n - got)), 0);
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
    const int err = WSAGetLastError();
    if (err != WSAEWOULDBLOCK) return FromWsa(err, "recv");
    const int w = WaitFor(fd, POLLRDNORM, deadline);
    if (w == 0) return TimedOut("the request", deadline);
    if (w < 0) return FromWsa(-w, "WSAPoll");
  }
  return NetResult{};
}

NetResult RecvSome(SocketHandle fd, size_t max, const Deadline& deadline, std::string* out) {
  std::string buf(std::max<size_t>(max, 1), '\0');
  while (true) {
    const int r = ::recv(Raw(fd), buf.data(), static_cast<int>(buf.size()), 0);
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
    const int err = WSAGetLastError();
    if (err != WSAEWOULDBLOCK) return FromWsa(err, "recv");
    const int w = WaitFor(fd, POLLRDNORM, deadline);
    if (w == 0) return TimedOut("the request", deadline);
    if (w < 0) return FromWsa(-w, "WSAPoll");
  }
}

NetResult WaitSocket(SocketHandle fd, bool for_write, const Deadline& deadline,
                     absl::string_view what) {
  const int w = WaitFor(fd, for_write ? POLLWRNORM : POLLRDNORM, deadline);
  if (w == 0) return TimedOut(what, deadline);
  if (w < 0) return FromWsa(-w, "WSAPoll");
  return NetResult{};
}

}  // namespace kerbside::agent::probes
