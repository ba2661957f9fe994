// kerbside: the operator CLI. Talks to the collector's query service with an operator
// certificate.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "common/cli_errors.h"
#include "absl/strings/str_cat.h"
#include "collector/cli/hosts_view.h"
#include "common/grpc_tls.h"
#include "grpcpp/create_channel.h"
#include "kerbside/v1/query.grpc.pb.h"

namespace {

// Exit codes: 0 success, 1 the collector could not answer (unreachable, refused), 2 usage.
constexpr int kExitCollector = 1;
constexpr int kExitUsage = 2;

struct Connection {
  std::string collector = "127.0.0.1:7443";
  std::string ca, cert, key;
  bool plaintext = false;
  double timeout_seconds = 10;
};

int Fail(int code, const std::string& msg) {
  std::fprintf(stderr, "kerbside: %s\n", msg.c_str());
  return code;
}

std::string ExplainRpcFailure(const Connection& c, const grpc::Status& s) {
  std::string msg = absl::StrCat("collector at ", c.collector, ": ");
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      absl::StrAppend(&msg, "unreachable or the TLS handshake failed (is it running, is ",
                      c.collector, " right, does the fleet CA match, is this certificate "
                      "signed by it?)");
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      absl::StrAppend(&msg, "no answer within ", c.timeout_seconds, "s");
      break;
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      absl::StrAppend(&msg, "refused this certificate");
      break;
    default:
      absl::StrAppend(&msg, "request failed");
  }
  absl::StrAppend(&msg, " [", s.error_code(), ": ", s.error_message(), "]");
  return msg;
}

int ListHosts(const Connection& c, bool json) {
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (c.plaintext) {
    creds = grpc::InsecureChannelCredentials();
  } else {
    if (c.ca.empty() || c.cert.empty() || c.key.empty()) {
      return Fail(kExitUsage,
                  "--ca, --cert and --key (an operator certificate) are required; set them in "
                  "the config file or KERBSIDE_CA/KERBSIDE_CERT/KERBSIDE_KEY");
    }
    auto made = kerbside::MakeMutualTlsChannelCredentials({c.ca, c.cert, c.key});
    if (!made.ok()) return Fail(kExitUsage, std::string(made.status().message()));
    creds = *made;
  }
  auto stub = kerbside::v1::QueryService::NewStub(grpc::CreateChannel(c.collector, creds));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(static_cast<int64_t>(c.timeout_seconds * 1000)));
  kerbside::v1::ListHostsResponse response;
  grpc::Status s = stub->ListHosts(&ctx, kerbside::v1::ListHostsRequest(), &response);
  if (!s.ok()) return Fail(kExitCollector, ExplainRpcFailure(c, s));
  if (json) {
    std::printf("%s\n", kerbside::cli::HostsToJson(response).dump(2).c_str());
  } else {
    std::fputs(kerbside::cli::HostsToTable(response).c_str(), stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kerbside: ask the collector why Exchange mail is stuck"};
  app.require_subcommand(1);
  Connection c;
  app.set_config("--config", "", "TOML/INI configuration file (keys as the long flags)")
      ->envname("KERBSIDE_CONFIG");
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.add_option("--collector", c.collector, "collector address host:port")
      ->envname("KERBSIDE_COLLECTOR")
      ->capture_default_str();
  app.add_option("--ca", c.ca, "fleet CA certificate (PEM)")->envname("KERBSIDE_CA");
  app.add_option("--cert", c.cert, "operator certificate (PEM)")->envname("KERBSIDE_CERT");
  app.add_option("--key", c.key, "operator private key (PEM)")->envname("KERBSIDE_KEY");
  app.add_flag("--plaintext", c.plaintext, "no TLS (only against a --plaintext demo collector)");
  app.add_option("--timeout", c.timeout_seconds, "seconds to wait for the collector")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  bool json = false;
  CLI::App* hosts = app.add_subcommand(
      "hosts", "every host: role, site, connected or last seen, clock offset ± uncertainty");
  hosts->add_flag("--json", json, "stable JSON instead of a table");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return kerbside::ExitForParseError(app, e, "kerbside");
  }
  if (hosts->parsed()) return ListHosts(c, json);
  return kExitUsage;
}
