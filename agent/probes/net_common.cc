// The portable half of net.h: deadlines, framing, the framed TCP exchange.
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "agent/probes/net.h"

namespace kerbside::agent::probes {

int Deadline::PollMs() const {
  absl::Duration left = end_ - clock_.Now();
  if (left < absl::ZeroDuration()) left = absl::ZeroDuration();
  if (left > timeout_) left = timeout_;
  return static_cast<int>(std::ceil(absl::ToDoubleMilliseconds(left)));
}

const char* NetOutcomeName(NetOutcome o) {
  switch (o) {
    case NetOutcome::kOk:
      return "ok";
    case NetOutcome::kRefused:
      return "refused";
    case NetOutcome::kTimedOut:
      return "timed out";
    case NetOutcome::kError:
      return "error";
  }
  return "?";
}

std::string FrameTcp(absl::string_view payload) {
  const uint32_t n = static_cast<uint32_t>(payload.size());
  std::string out = {static_cast<char>(n >> 24), static_cast<char>((n >> 16) & 0xff),
                     static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
  out.append(payload.data(), payload.size());
  return out;
}

Exchange TcpFramedExchange(const SocketAddress& to, absl::string_view request, const Clock& clock,
                           absl::Duration timeout, size_t max_reply) {
  Exchange ex;
  Deadline deadline(clock, timeout);
  Fd fd;
  const absl::Time start = clock.Now();
  ex.result = TcpConnect(to, deadline, &fd);
  if (ex.result.outcome != NetOutcome::kOk) return ex;
  ex.connected = true;
  ex.sent = clock.Now();
  ex.connect_latency = ex.sent - start;
  ex.result = SendAll(fd.get(), request, deadline);
  if (ex.result.outcome != NetOutcome::kOk) return ex;
  std::string len;
  ex.result = RecvExact(fd.get(), 4, deadline, &len);
  if (ex.result.outcome != NetOutcome::kOk) return ex;
  // The reply's first bytes arrived: that is when the KDC's answer reached this host.
  ex.received = clock.Now();
  const auto byte = [&](int i) { return static_cast<uint32_t>(static_cast<uint8_t>(len[i])); };
  const uint32_t n = (byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3);
  if (n > max_reply) {
    ex.result.outcome = NetOutcome::kError;
    ex.result.detail = absl::StrCat("reply length ", n, " is not plausible");
    return ex;
  }
  ex.result = RecvExact(fd.get(), n, deadline, &ex.reply);
  return ex;
}

absl::StatusOr<SocketAddress> Resolve(const std::string& host, int port) {
  InitializeSockets();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot resolve '", host, "': ", ResolverErrorText(rc)));
  }
  SocketAddress a;
  std::memcpy(&a.storage, res->ai_addr, res->ai_addrlen);
  a.length = static_cast<socklen_t>(res->ai_addrlen);
  ::freeaddrinfo(res);
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.storage.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&a.storage)->sin_addr, buf, sizeof buf);
  } else {
    ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&a.storage)->sin6_addr, buf, sizeof buf);
  }
  a.text = FormatHostPort(buf, port);
  return a;
}

}  // namespace kerbside::agent::probes
