#ifndef KERBSIDE_AGENT_PROBES_NET_H_
#define KERBSIDE_AGENT_PROBES_NET_H_

// Sockets with deadlines for the probes: non-blocking sockets, poll with the time left, outcomes
// that keep "refused" apart from "no answer". Nothing here retries: one attempt costs at most
// one timeout. net_common.cc is portable; net.cc (POSIX) and net_win.cc (Winsock) hold the
// socket calls.

// The socket address types of each platform (declarations only).
#if defined(_WIN32)
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agent/probes/probe_targets.h"
#include "common/clock.h"

namespace kerbside::agent::probes {

// "host", "host:port", "[v6]:port" or a bare IPv6 address; port defaults to `default_port`.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  std::string text;  // numeric address, for reports
};

// getaddrinfo, first result. Numeric addresses never touch DNS.
absl::StatusOr<SocketAddress> Resolve(const std::string& host, int port);

// A deadline on the injected clock. Poll timeouts are relative, so a clock that does not move
// (a test's ManualClock) still ends every wait after at most `timeout`; a wall-clock step can
// shorten a wait but never stretch it past `timeout`.
class Deadline {
 public:
  Deadline(const Clock& clock, absl::Duration timeout)
      : clock_(clock), timeout_(timeout), end_(clock.Now() + timeout) {}
  // Milliseconds left for poll(2), rounded up, in [0, timeout].
  int PollMs() const;
  absl::Duration timeout() const { return timeout_; }

 private:
  const Clock& clock_;
  absl::Duration timeout_;
  absl::Time end_;
};

// A socket: a file descriptor on POSIX, a SOCKET on Windows (both fit; -1 is "none" on both,
// INVALID_SOCKET being ~0).
using SocketHandle = std::intptr_t;
inline constexpr SocketHandle kNoSocket = -1;

// An owned socket.
class Fd {
 public:
  Fd() = default;
  explicit Fd(SocketHandle fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  SocketHandle get() const { return fd_; }
  bool valid() const { return fd_ != kNoSocket; }
  SocketHandle release() {
    SocketHandle f = fd_;
    fd_ = kNoSocket;
    return f;
  }

 private:
  SocketHandle fd_ = kNoSocket;
};

enum class NetOutcome { kOk, kRefused, kTimedOut, kError };
const char* NetOutcomeName(NetOutcome o);

struct NetResult {
  NetOutcome outcome = NetOutcome::kOk;
  int error_number = 0;  // errno (WSAGetLastError on Windows) when kRefused / kError
  std::string detail;
};

// One datagram out, one back. `sent`/`received` are read from the clock right around
// send(2)/recv(2). The socket is connect(2)ed so an ICMP port unreachable comes back as
// ECONNREFUSED (kRefused); silence until the deadline is kTimedOut, which is not proof of
// anything (the port may be open and silent, or filtered).
struct Exchange {
  NetResult result;
  std::string reply;
  absl::Time sent;
  absl::Time received;
  absl::Duration connect_latency;  // TCP only
  bool connected = false;          // TCP only: the handshake completed
};
Exchange UdpExchange(const SocketAddress& to, absl::string_view request, const Clock& clock,
                     absl::Duration timeout);

// TCP connect with a deadline: kRefused for RST (ECONNREFUSED), kTimedOut when nothing came.
NetResult TcpConnect(const SocketAddress& to, const Deadline& deadline, Fd* out);
NetResult SendAll(SocketHandle fd, absl::string_view data, const Deadline& deadline);
// Reads exactly `n` bytes (appended to `out`).
NetResult RecvExact(SocketHandle fd, size_t n, const Deadline& deadline, std::string* out);

// Reads what has arrived, at most `max` bytes (appended to `out`), waiting until the deadline for
// the first byte. The peer closing the connection is kError "connection closed by the server".
NetResult RecvSome(SocketHandle fd, size_t max, const Deadline& deadline, std::string* out);
// Waits until the socket is readable (or writable): kOk, kTimedOut with `what` in the detail, or
// kError. For callers that read and write themselves (OpenSSL on a non-blocking socket).
NetResult WaitSocket(SocketHandle fd, bool for_write, const Deadline& deadline,
                     absl::string_view what);

// What the platform's sockets need once per process (WSAStartup on Windows; nothing on POSIX).
void InitializeSockets();

// getaddrinfo's error code as text (gai_strerror; the Winsock message on Windows).
std::string ResolverErrorText(int code);

// Connect, send `request` (already framed), read a 4-byte big-endian length and that many
// bytes: the framing of Kerberos (RFC 4120 7.2.2) and kpasswd (RFC 3244) over TCP. The whole
// attempt shares one deadline of `timeout`.
Exchange TcpFramedExchange(const SocketAddress& to, absl::string_view request, const Clock& clock,
                           absl::Duration timeout, size_t max_reply = 1 << 20);

// 4-byte big-endian length prefix + payload.
std::string FrameTcp(absl::string_view payload);

}  // namespace kerbside::agent::probes

#endif  // KERBSIDE_AGENT_PROBES_NET_H_
