// A small HTTP receiver for the alerting integration test: records every POST (body in its own
// file, a JSON line per request) and answers with scripted statuses, e.g. PagerDuty's 429 then
// 202. Listens on 127.0.0.1 only.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "httplib.h"
#include "nlohmann/json.hpp"

int main(int argc, char** argv) {
  CLI::App app{"http_recorder: records POSTs, answers with scripted statuses"};
  int port = 0;
  std::string port_file, dir;
  std::vector<int> script;
  int default_status = 200;
  int retry_after = 0;
  app.add_option("--port", port, "port on 127.0.0.1 (0: any)");
  app.add_option("--port_file", port_file, "write the bound port here")->required();
  app.add_option("--dir", dir, "where requests.jsonl and N.body go")->required();
  app.add_option("--script", script, "statuses for the first requests, in order")->delimiter(',');
  app.add_option("--default_status", default_status, "status after the script");
  app.add_option("--retry_after", retry_after, "Retry-After seconds on 429/503 (0: none)");
  CLI11_PARSE(app, argc, argv);

  std::mutex mu;
  int n = 0;
  httplib::Server server;
  server.Post(R"(/.*)", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    ++n;
    const int status = n <= static_cast<int>(script.size()) ? script[n - 1] : default_status;
    std::ofstream(dir + "/" + std::to_string(n) + ".body", std::ios::binary) << req.body;
    nlohmann::json line;
    line["n"] = n;
    line["path"] = req.path;
    line["status"] = status;
    line["received_unix_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
    line["signature"] = req.get_header_value("X-Kerbside-Signature");
    line["body"] = nlohmann::json::parse(req.body, nullptr, false);
    if (line["body"].is_discarded()) line["body"] = req.body;
    std::ofstream(dir + "/requests.jsonl", std::ios::app) << line.dump() << "\n";
    if ((status == 429 || status == 503) && retry_after > 0) {
      res.set_header("Retry-After", std::to_string(retry_after));
    }
    res.status = status;
    res.set_content(status / 100 == 2 ? R"({"status":"success"})" : R"({"status":"nope"})",
                    "application/json");
  });
  const int bound = port == 0 ? server.bind_to_any_port("127.0.0.1")
                              : (server.bind_to_port("127.0.0.1", port) ? port : -1);
  if (bound <= 0) {
    std::fprintf(stderr, "http_recorder: cannot bind 127.0.0.1:%d\n", port);
    return 1;
  }
  std::ofstream(port_file) << bound << "\n";
  std::fprintf(stderr, "http_recorder: listening on 127.0.0.1:%d\n", bound);
  server.listen_after_bind();
  return 0;
}
