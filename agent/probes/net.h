#ifndef KERBSIDE_AGENT_PROBES_NET_H_
#define KERBSIDE_AGENT_PROBES_NET_H_

// Sockets with deadlines for the probes: non-blocking file descriptors, poll(2) with the time
// left, outcomes that keep "refused" apart from "no answer". Nothing here retries: one attempt
// costs at most one timeout.

#include <sys/socket.h>

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

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_ = -1;
};

enum class NetOutcome { kOk, kRefused, kTimedOut, kError };
const char* NetOutcomeName(NetOutcome o);

struct NetResult {
  NetOutcome outcome = NetOutcome::kOk;
  int error_number = 0;  // errno when kRefused / kError
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
NetResult SendAll(int fd, absl::string_view data, const Deadline& deadline);
// Reads exactly `n` bytes (appended to `out`).
NetResult RecvExact(int fd, size_t n, const Deadline& deadline, std::string* out);

// Connect, send `request` (already framed), read a 4-byte big-endian length and that many
// bytes: the framing of Kerberos (RFC 4120 7.2.2) and kpasswd (RFC 3244) over TCP. The whole
// attempt shares one deadline of `timeout`.
Exchange TcpFramedExchange(const SocketAddress& to, absl::string_view request, const Clock& clock,
                           absl::Duration timeout, size_t max_reply = 1 << 20);

// 4-byte big-endian length prefix + payload.
std::string FrameTcp(absl::string_view payload);

}  // namespace kerbside::agent::probes

#endif  // KERBSIDE_AGENT_PROBES_NET_H_
