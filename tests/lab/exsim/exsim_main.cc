// exsim: an Exchange-like transport server for the lab (tests/lab/org_faults_test.sh). One per
// simulated Exchange server, inside that server's network namespace:
//   - receives like its receive connectors (get-receiveconnector.json in its host folder, re-read
//     for every connection): STARTTLS, X-EXPS GSSAPI only where the connector that takes the
//     client's address has ExchangeServer authentication, 454 4.7.0 and an event 1035 on a failed
//     authentication (exported as wevtutil XML: events-transport.xml);
//   - keeps one delivery queue per peer and retries it every --retry_interval with the machine
//     account's keytab (the agent's own SMTP client and Kerberos login, agent/probes), writing
//     get-queue.json as Get-Queue | ConvertTo-Json writes it.
// It never carries a message: a "delivery" is a completed Exchange authentication. A queue grows
// by one message per failed retry and drains on the first success.
#include <arpa/inet.h>
#include <gssapi/gssapi_krb5.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "agent/atomic_file.h"
#include "agent/probes/gss_initiator_krb5.h"
#include "agent/probes/smtp_probe.h"
#include "common/clock.h"
#include "common/exchange/receive_connector.h"
#include "tests/lab/exsim/exchange_files.h"
#include "tests/lab/exsim/smtp_receiver.h"

namespace kerbside::lab {
namespace {

struct Peer {
  std::string name;  // EX01
  std::string fqdn;  // ex01.lab.test
  std::string ip;
};

struct Options {
  std::string name, fqdn, ip, cert, key, keytab, realm, folder;
  std::vector<std::string> kdcs, peers;
  int port = 25;
  std::string retry_interval = "2s", attempt_timeout = "4s";
};

class Exsim {
 public:
  explicit Exsim(Options o) : o_(std::move(o)) {}

  int Run() {
    absl::Duration retry, attempt;
    if (!absl::ParseDuration(o_.retry_interval, &retry) ||
        !absl::ParseDuration(o_.attempt_timeout, &attempt)) {
      std::fprintf(stderr, "exsim: bad --retry_interval or --attempt_timeout\n");
      return 2;
    }
    for (const std::string& p : o_.peers) {
      // NAME=FQDN@IP
      std::vector<std::string> a = absl::StrSplit(p, absl::ByAnyChar("=@"));
      if (a.size() != 3) {
        std::fprintf(stderr, "exsim: --peer %s is not NAME=FQDN@IP\n", p.c_str());
        return 2;
      }
      peers_.push_back({a[0], a[1], a[2]});
      QueueState q;
      q.identity = absl::StrCat(o_.name, "\\", 10 + queues_.size());
      q.next_hop_domain = a[1];
      q.peer_ip = a[2];
      q.peer_port = o_.port;
      queues_.push_back(q);
    }
    if (krb5_gss_register_acceptor_identity(o_.keytab.c_str()) != GSS_S_COMPLETE) {
      std::fprintf(stderr, "exsim: cannot use keytab %s\n", o_.keytab.c_str());
      return 2;
    }
    SSL_CTX* tls = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_chain_file(tls, o_.cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(tls, o_.key.c_str(), SSL_FILETYPE_PEM) != 1) {
      ERR_print_errors_fp(stderr);
      return 2;
    }
    receiver_.fqdn = o_.fqdn;
    receiver_.tls = tls;
    receiver_.connector_for = [this](const std::string& ip) { return ConnectorFor(ip); };
    receiver_.on_auth_failure = [this](const AuthFailure& f) { Inbound(f); };
    const int ls = Listen();
    if (ls < 0) return 1;
    WriteQueues();
    WriteEvents();
    std::thread([this, retry, attempt] { SendLoop(retry, attempt); }).detach();
    std::printf("exsim %s listening on %s:%d\n", o_.name.c_str(), o_.ip.c_str(), o_.port);
    std::fflush(stdout);
    while (true) {
      sockaddr_in peer{};
      socklen_t len = sizeof peer;
      const int fd = ::accept4(ls, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
      if (fd < 0) continue;
      char ip[INET_ADDRSTRLEN] = {};
      ::inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
      std::thread([this, fd, remote = std::string(ip)] {
        timeval tv{30, 0};  // a silent client does not hold a thread for ever
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ServeSmtpSession(fd, remote, receiver_);
      }).detach();
    }
  }

 private:
  int Listen() {
    const int ls = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(o_.port));
    if (::inet_pton(AF_INET, o_.ip.c_str(), &addr.sin_addr) != 1 ||
        ::bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(ls, 64) != 0) {
      std::perror("exsim: bind/listen");
      return -1;
    }
    return ls;
  }

  std::string Path(const std::string& file) const { return o_.folder + "/" + file; }

  // The receive connector Exchange would pick for `remote_ip`, from the file as it is now: an
  // admin's Set-ReceiveConnector takes effect for the next connection.
  ConnectorDecision ConnectorFor(const std::string& remote_ip) {
    auto text = agent::ReadSmallFile(Path("get-receiveconnector.json"), 8 << 20, "connectors");
    if (!text.ok()) {
      std::fprintf(stderr, "exsim: %s\n", std::string(text.status().message()).c_str());
      return {"", false};
    }
    auto parsed = exchange::ParseReceiveConnectorsJson(*text, "get-receiveconnector.json");
    if (!parsed.ok()) {
      std::fprintf(stderr, "exsim: %s\n", std::string(parsed.status().message()).c_str());
      return {"", false};
    }
    const exchange::ConnectorChoice c =
        exchange::PickReceiveConnector(*parsed, o_.port, {o_.ip}, {remote_ip});
    if (c.connector == nullptr) return {"", false};
    return {c.connector->name(),
            exchange::HasConnectorFlag(c.connector->auth_mechanism(), "ExchangeServer"),
            exchange::HasConnectorFlag(c.connector->auth_mechanism(), "Integrated")};
  }

  // Event 1035 as MSExchangeTransport logs it (the positional form of the samples).
  void Inbound(const AuthFailure& f) {
    std::lock_guard<std::mutex> lock(mu_);
    TransportEvent e;
    e.event_id = 1035;
    e.record_id = ++record_id_;
    e.time = absl::Now();
    e.computer = o_.fqdn;
    e.data = {f.clock_skew ? "UnexpectedExchangeAuthBlobCheckForClockSkew" : "IllegalMessage",
              f.connector, "ExchangeAuth", f.remote_ip};
    events_.push_back(std::move(e));
    // The exported log keeps the newest 200, as a size-capped log drops the oldest.
    while (events_.size() > 200) events_.pop_front();
    WriteEventsLocked();
  }

  void SendLoop(absl::Duration retry, absl::Duration attempt) {
    while (true) {
      for (size_t i = 0; i < peers_.size(); ++i) Attempt(i, attempt);
      WriteQueues();
      absl::SleepFor(retry);
    }
  }

  // One delivery attempt to peer `i`: the LastError Exchange would record, or "" on success.
  void Attempt(size_t i, absl::Duration timeout) {
    const Peer& peer = peers_[i];
    agent::probes::TicketProbeOptions login;
    login.realm = o_.realm;
    login.kdcs = o_.kdcs;
    login.keytab = o_.keytab;
    login.client_principal = absl::StrCat(o_.name, "$@", o_.realm);
    agent::probes::SmtpProbeOptions smtp;
    smtp.ehlo_name = o_.fqdn;
    smtp.step_timeout = timeout;
    smtp.gss = agent::probes::Krb5GssInitiatorFactory(login);
    const v1::SmtpProbe r =
        agent::probes::ProbeSmtp({peer.fqdn, peer.ip, o_.port}, smtp, RealClock());
    std::string led;
    if (!r.connected()) {
      led = absl::StrCat(
          "441 4.4.1 Error encountered while communicating with primary target IP address: "
          "\"Failed to connect. Winsock error code: ",
          r.timed_out() ? 10060 : 10061, ", Win32 error code: ", r.timed_out() ? 10060 : 10061,
          ".\"");
    } else if (r.starttls_ok() && !HasGssapi(r)) {
      // Server to server, Exchange authenticates only with X-EXPS; AUTH is for clients.
      led =
          "451 4.4.0 Primary target IP address responded with: \"451 5.7.3 Cannot achieve "
          "Exchange Server authentication.\"";
    } else if (r.auth_attempted() && r.auth_reply().code() == 235) {
      led.clear();
    } else {
      // The sender got no ticket (auth_skipped_reason) or the target refused it: Exchange
      // records the target's 454 either way.
      led =
          "451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary "
          "authentication failure.\"";
    }
    std::fprintf(stderr, "exsim %s -> %s: %s%s%s\n", o_.name.c_str(), peer.name.c_str(),
                 led.empty() ? "delivered" : led.c_str(),
                 r.auth_skipped_reason().empty() ? "" : " — ", r.auth_skipped_reason().c_str());
    std::lock_guard<std::mutex> lock(mu_);
    QueueState& q = queues_[i];
    q.last_retry = absl::Now();
    if (led.empty()) {
      q.retry = false;
      q.message_count = 0;
      q.last_error.clear();
    } else {
      q.retry = true;
      q.message_count += 1;
      q.last_error = led;
    }
  }

  static bool HasGssapi(const v1::SmtpProbe& r) {
    for (const std::string& m : r.x_exps_mechanisms_after_tls()) {
      if (m == "GSSAPI") return true;
    }
    return false;
  }

  void WriteQueues() {
    std::lock_guard<std::mutex> lock(mu_);
    Write("get-queue.json", GetQueueJson(queues_));
  }
  void WriteEvents() {
    std::lock_guard<std::mutex> lock(mu_);
    WriteEventsLocked();
  }
  void WriteEventsLocked() {
    Write("events-transport.xml", EventsXml({events_.begin(), events_.end()}));
  }
  // Whole files, replaced atomically: the agent never reads half a file.
  void Write(const std::string& file, const std::string& content) {
    const absl::Status s = agent::WriteFileAtomically(Path(file), content, "exsim");
    if (!s.ok()) std::fprintf(stderr, "exsim: %s\n", std::string(s.message()).c_str());
  }

  Options o_;
  std::vector<Peer> peers_;
  SmtpReceiverOptions receiver_;
  std::mutex mu_;
  std::vector<QueueState> queues_;
  std::deque<TransportEvent> events_;
  uint64_t record_id_ = 0;
};

}  // namespace
}  // namespace kerbside::lab

int main(int argc, char** argv) {
  kerbside::lab::Options o;
  CLI::App app{"exsim: an Exchange-like transport server for the kerbside lab"};
  app.add_option("--name", o.name, "NetBIOS name, e.g. EX02")->required();
  app.add_option("--fqdn", o.fqdn, "DNS name, e.g. ex02.lab.test")->required();
  app.add_option("--ip", o.ip, "address to listen on and to send from")->required();
  app.add_option("--port", o.port, "SMTP port of every server")->capture_default_str();
  app.add_option("--cert", o.cert, "TLS certificate (PEM)")->required();
  app.add_option("--key", o.key, "TLS key (PEM)")->required();
  app.add_option("--keytab", o.keytab, "the machine account's keytab (EX02$ and its SPNs)")
      ->required();
  app.add_option("--realm", o.realm, "Kerberos realm")->required();
  app.add_option("--kdc", o.kdcs, "a KDC, host:port (repeat)")->required();
  app.add_option("--folder", o.folder, "the host folder the agent reads")->required();
  app.add_option("--peer", o.peers, "a peer to deliver to, NAME=FQDN@IP (repeat)");
  app.add_option("--retry_interval", o.retry_interval, "time between retries")
      ->capture_default_str();
  app.add_option("--attempt_timeout", o.attempt_timeout, "deadline of one SMTP step")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  ::signal(SIGPIPE, SIG_IGN);
  return kerbside::lab::Exsim(std::move(o)).Run();
}
