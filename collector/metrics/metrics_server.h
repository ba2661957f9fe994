#ifndef KERBSIDE_COLLECTOR_METRICS_METRICS_SERVER_H_
#define KERBSIDE_COLLECTOR_METRICS_METRICS_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace httplib {
class Server;
}

namespace kerbside::metrics {

// GET /metrics over plain HTTP (cpp-httplib), rendered on each scrape.
class MetricsServer {
 public:
  // `address` is host:port; port 0 picks a free one (see port()).
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& address,
                                                              std::function<std::string()> render);
  ~MetricsServer();
  int port() const { return port_; }
  void Stop();

 private:
  MetricsServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace kerbside::metrics

#endif  // KERBSIDE_COLLECTOR_METRICS_METRICS_SERVER_H_
