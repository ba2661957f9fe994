#include "collector/metrics/metrics_server.h"

#include <sys/socket.h>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace kerbside::metrics {

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& address, std::function<std::string()> render) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics_listen: '", address, "' is not host:port"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::unique_ptr<MetricsServer> s(new MetricsServer());
  s->server_ = std::make_unique<httplib::Server>();
  // httplib's default adds SO_REUSEPORT, which would let a second collector on this machine
  // share the port and answer half the scrapes; a taken port must fail instead.
  s->server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // A scrape is one short request. Slow or idle clients must not hold the worker threads (8 of
  // them, httplib's pool): a second to send the request, no keep-alive, a bounded write.
  s->server_->set_read_timeout(1, 0);
  s->server_->set_write_timeout(5, 0);
  s->server_->set_keep_alive_max_count(1);
  s->server_->set_keep_alive_timeout(1);
  s->server_->set_payload_max_length(64 * 1024);
  s->server_->Get("/metrics", [render](const httplib::Request&, httplib::Response& res) {
    res.set_content(render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  s->server_->Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("kerbside-collector: see /metrics\n", "text/plain");
  });
  const int bound = port == 0 ? s->server_->bind_to_any_port(host)
                              : (s->server_->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    // httplib reports no errno; the usual causes are named instead.
    return absl::UnavailableError(
        absl::StrCat("metrics_listen: cannot bind ", address, " (address in use or not local?)"));
  }
  s->port_ = bound;
  httplib::Server* server = s->server_.get();
  s->thread_ = std::thread([server] { server->listen_after_bind(); });
  return s;
}

void MetricsServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

MetricsServer::~MetricsServer() { Stop(); }

}  // namespace kerbside::metrics
