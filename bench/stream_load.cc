// Holds N agent streams open against a collector, as N hosts would, each with its own
// certificate (made here, EC P-256, signed by the fleet CA given), over mutual TLS: hello, a
// clock exchange, then a heartbeat every --heartbeat seconds. For bench/collector_streams.sh,
// which reads the collector's memory and threads beside it. Streams run on gRPC's callback API,
// so the load generator itself needs no thread per stream.
// With --batch_items K > 0 (bench/collector_ingest.sh) each stream also sends evidence batches
// of K queue snapshots, back to back, as an agent empties its spool: up to --window batches not
// yet acknowledged (default 4), the next one as each acknowledgement comes.
// usage: stream_load ADDR CA_CRT CA_KEY N HOLD_SECONDS [--heartbeat S] [--batch_items K]
//        [--window W] [--reconnect]        (--help says more)
// Prints "established K of N after S s" once every stream has its hello acknowledged (or
// HOLD_SECONDS passed), then holds them until HOLD_SECONDS; exit 0 when all N were established.
// With batches, then prints "acknowledged I items in B batches in S s: R items/s", counted from
// the moment every stream was established. With --reconnect (bench/collector_reconnect.sh),
// prints "all N clocked at T" (Unix seconds) when every host has a clock exchange done on its
// current stream, and "clocks lost at T" when that stops being so.
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "agent/backoff.h"
#include "common/clock.h"
#include "common/mutex_mode.h"
#include "common/proto_time.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "kerbside/v1/agent.grpc.pb.h"

namespace {

namespace v1 = kerbside::v1;

std::string ReadAll(const char* path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Pem(int (*write)(BIO*, void*), void* obj) {
  BIO* b = BIO_new(BIO_s_mem());
  write(b, obj);
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(b);
  return out;
}

struct HostCert {
  std::string cert_pem, key_pem;
};

// A host certificate as deploy/pki/kerbside-pki.sh makes it: OU kerbside-host and the role OU.
HostCert MakeHostCert(X509* ca, EVP_PKEY* ca_key, const std::string& fqdn, long serial) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 7 * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(x);
  auto add = [&](const char* field, const std::string& value) {
    X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0);
  };
  add("O", "kerbside");
  add("OU", "kerbside-host");
  add("OU", "kerbside-role-exchange");
  add("CN", fqdn);
  X509_set_issuer_name(x, X509_get_subject_name(ca));
  X509_set_pubkey(x, key);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca, x, nullptr, nullptr, 0);
  const std::string san = "DNS:" + fqdn;
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(x, ca_key, EVP_sha256());
  HostCert out{Pem(reinterpret_cast<int (*)(BIO*, void*)>(PEM_write_bio_X509), x),
               Pem(
                   [](BIO* b, void* k) {
                     return PEM_write_bio_PrivateKey(b, static_cast<EVP_PKEY*>(k), nullptr, nullptr,
                                                     0, nullptr, nullptr);
                   },
                   key)};
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

std::mutex mu;
std::condition_variable cv;
int established = 0;  // hello acknowledgements, reconnections included
int ended = 0;        // streams ended
// Streams live now with their hello acknowledged, and with a clock exchange completed.
std::atomic<int> connected_now{0};
std::atomic<int> clocked_now{0};
// Counted from the moment every stream is established (the ramp is not ingest).
std::atomic<bool> counting{false};
std::atomic<int64_t> acked_items{0};
std::atomic<int64_t> acked_batches{0};

struct BatchShape {
  int items = 0;   // queue snapshots per batch; 0: no batches
  int window = 4;  // batches sent and not yet acknowledged, per stream
};

// A batch as the agent's queue source sends it: one queue snapshot per item, each a queue in
// Retry with the KB's error text.
v1::AgentMessage MakeBatch(const std::string& netbios, int items, uint64_t sequence) {
  v1::AgentMessage m;
  v1::EvidenceBatch* batch = m.mutable_evidence();
  batch->set_sequence(sequence);
  batch->set_source("queues");
  batch->mutable_health()->set_state(v1::SourceHealth::OK);
  const auto now = kerbside::ToProto(kerbside::RealClock().Now());
  for (int i = 0; i < items; ++i) {
    v1::Evidence* e = batch->add_items();
    e->set_host(netbios);
    e->set_source("queues");
    e->set_origin("Get-Queue");
    *e->mutable_observed_host_time() = now;
    v1::Queue* q = e->mutable_queues()->add_queues();
    q->set_identity(absl::StrFormat("%s\\%d", netbios, 1000 + i));
    q->set_delivery_type("SmtpRelayToMailboxDeliveryGroup");
    q->set_status("Retry");
    q->set_message_count(12 + i);
    q->set_next_hop_domain(absl::StrFormat("ex%02d.bench.test", i));
    q->mutable_last_error()->set_raw(
        "451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary "
        "authentication failure.\" Attempted failover to alternate host, but that did not "
        "succeed. Either there are no alternate hosts, or delivery failed to all alternate "
        "hosts. The last endpoint attempted was 10.1.1.12:25");
    q->mutable_last_error()->set_last_retry_host_time("12/7/2026 4:10:05 AM");
    q->set_last_retry_time("12/7/2026 4:10:05 AM");
  }
  return m;
}

// One agent stream: hello, a clock exchange (TimeRequest, TimeReply, TimeSample: the collector
// then holds a clock for the host), heartbeats, and batches if asked, until the collector ends
// the stream or the client stops. One stream only: a reconnection is a new Agent.
class Agent : public grpc::ClientBidiReactor<v1::AgentMessage, v1::CollectorMessage> {
 public:
  Agent(v1::AgentService::Stub* stub, const std::string& netbios, const std::string& fqdn,
        BatchShape shape)
      : netbios_(netbios), shape_(shape) {
    v1::AgentMessage hello;
    auto* id = hello.mutable_hello()->mutable_identity();
    id->set_netbios_name(netbios);
    id->set_fqdn(fqdn);
    id->set_role(v1::ROLE_EXCHANGE);
    id->set_site("BENCH");
    id->set_agent_version("stream_load");
    hello.mutable_hello()->set_inventory_deltas(true);  // as a current agent does
    hello.mutable_hello()->set_spool_id(absl::StrFormat("%s-%d", netbios, spool_generation++));
    *hello.mutable_hello()->mutable_sent_host_time() =
        kerbside::ToProto(kerbside::RealClock().Now());
    stub->async()->Connect(&context_, this);
    Enqueue(std::move(hello));
    StartRead(&in_);
    StartCall();
  }
  void Heartbeat() {
    v1::AgentMessage hb;
    *hb.mutable_heartbeat()->mutable_sent_host_time() =
        kerbside::ToProto(kerbside::RealClock().Now());
    std::lock_guard lock(write_mu_);
    if (outbox_.empty()) EnqueueLocked(std::move(hb));
  }
  void Stop() { context_.TryCancel(); }
  bool hello_acked() const { return acked_; }
  // OnDone has run: the reactor may be destroyed (after a moment: OnDone may still be
  // returning).
  bool done() const { return done_; }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(write_mu_);
    writing_ = false;
    if (ok) {
      outbox_.pop_front();
    } else {
      outbox_.clear();
    }
    SendBatchLocked();
    WriteNextLocked();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (in_.has_hello_ack() && !acked_) {
      acked_ = true;
      ++connected_now;
      {
        std::lock_guard lock(mu);
        ++established;
        cv.notify_all();
      }
      v1::AgentMessage request;
      request.mutable_time_request()->set_exchange_id(1);
      *request.mutable_time_request()->mutable_t1_agent_send() =
          kerbside::ToProto(kerbside::RealClock().Now());
      std::lock_guard lock(write_mu_);
      EnqueueLocked(std::move(request));
      SendBatchLocked();
    } else if (in_.has_time_reply() && !clocked_) {
      v1::AgentMessage sample;
      v1::TimeSample* ts = sample.mutable_time_sample();
      ts->set_exchange_id(in_.time_reply().exchange_id());
      *ts->mutable_t1_agent_send() = in_.time_reply().t1_agent_send();
      *ts->mutable_t2_collector_receive() = in_.time_reply().t2_collector_receive();
      *ts->mutable_t3_collector_send() = in_.time_reply().t3_collector_send();
      *ts->mutable_t4_agent_receive() = kerbside::ToProto(kerbside::RealClock().Now());
      clocked_ = true;
      ++clocked_now;
      Enqueue(std::move(sample));
    } else if (in_.has_evidence_ack()) {
      if (counting) {
        acked_items += shape_.items;
        ++acked_batches;
      }
      std::lock_guard lock(write_mu_);
      --unacked_;
      SendBatchLocked();
    }
    // A fresh message for each read: Clear() would keep the capacity of the largest one read,
    // and each simulated host once reads the whole fleet's inventory (about 60 bytes a host),
    // so at 7,000 hosts the load generator held ~1 MB per host and ran out of memory first.
    in_ = v1::CollectorMessage();
    StartRead(&in_);
  }
  void OnDone(const grpc::Status& status) override {
    // A stream that ended before its hello was answered is a failure to connect: the first few
    // say why (a refusal, TLS, a limit).
    if (!acked_ && !status.ok() && status.error_code() != grpc::StatusCode::CANCELLED &&
        connect_failures_told++ < 5) {
      std::fprintf(stderr, "%s: stream ended before its hello was answered: %d %s\n",
                   netbios_.c_str(), static_cast<int>(status.error_code()),
                   status.error_message().c_str());
    }
    if (acked_) --connected_now;
    if (clocked_) --clocked_now;
    {
      std::lock_guard lock(mu);
      ++ended;
      cv.notify_all();
    }
    done_ = true;
  }

 private:
  void Enqueue(v1::AgentMessage m) {
    std::lock_guard lock(write_mu_);
    EnqueueLocked(std::move(m));
  }
  void EnqueueLocked(v1::AgentMessage m) {
    outbox_.push_back(std::move(m));
    WriteNextLocked();
  }
  void WriteNextLocked() {
    if (writing_ || outbox_.empty()) return;
    writing_ = true;
    StartWrite(&outbox_.front());
  }
  // The next batch, when the window has room (one batch waits in the outbox at most).
  void SendBatchLocked() {
    if (shape_.items == 0 || !acked_ || unacked_ >= shape_.window || outbox_.size() > 1) return;
    ++unacked_;
    outbox_.push_back(MakeBatch(netbios_, shape_.items, ++sequence_));
    WriteNextLocked();
  }

  static inline std::atomic<int> spool_generation{0};
  static inline std::atomic<int> connect_failures_told{0};
  const std::string netbios_;
  const BatchShape shape_;
  grpc::ClientContext context_;
  v1::CollectorMessage in_;
  std::atomic<bool> acked_{false};
  std::atomic<bool> clocked_{false};
  std::atomic<bool> done_{false};
  std::mutex write_mu_;
  std::deque<v1::AgentMessage> outbox_;  // guarded by write_mu_; front() in flight if writing_
  bool writing_ = false;                 // guarded by write_mu_
  uint64_t sequence_ = 0;                // guarded by write_mu_
  int unacked_ = 0;                      // guarded by write_mu_
};

// One simulated host: its certificate's channel and its current stream.
struct Host {
  std::string netbios, fqdn;
  std::unique_ptr<v1::AgentService::Stub> stub;
  std::unique_ptr<Agent> agent;
  std::unique_ptr<Agent> ended;  // kept a while after its OnDone, then freed
  std::optional<kerbside::agent::Backoff> backoff;
  std::optional<std::chrono::steady_clock::time_point> reconnect_at;
};

double UnixSeconds() {
  return absl::ToDoubleSeconds(kerbside::RealClock().Now() - absl::UnixEpoch());
}

}  // namespace

int main(int argc, char** argv) {
  // As the agent and collector run (common/mutex_mode.h): the bare client in agent_idle.sh is
  // the agent's baseline, and the load it generates should not cost abseil's debug checks.
  kerbside::DisableMutexDeadlockDetection();
  CLI::App app{"stream_load: holds N agent streams against a collector, one certificate per host"};
  std::string addr, ca_crt, ca_key_path;
  int n = 0, hold = 0, heartbeat = 15;
  BatchShape shape;
  bool reconnect = false;
  double ramp_per_s = 0;
  app.add_option("addr", addr, "collector address (host:port)")->required();
  app.add_option("ca_crt", ca_crt, "fleet CA certificate (PEM)")->required();
  app.add_option("ca_key", ca_key_path, "fleet CA key (PEM): signs one certificate per host")
      ->required();
  app.add_option("n", n, "streams (simulated hosts)")->required()->check(CLI::Range(1, 100000));
  app.add_option("hold_seconds", hold, "how long to run")->required()->check(CLI::PositiveNumber);
  app.add_option("--heartbeat", heartbeat, "seconds between heartbeats")
      ->check(CLI::PositiveNumber);
  app.add_option("--batch_items", shape.items, "queue snapshots per evidence batch (0: none)")
      ->check(CLI::Range(0, 20000));
  app.add_option("--window", shape.window, "batches in flight per stream")
      ->check(CLI::Range(1, 64));
  app.add_flag("--reconnect", reconnect,
               "reconnect ended streams with the agent's backoff (1 s doubling to 60 s, equal "
               "jitter); print when every host has a clock exchange done and when not");
  app.add_option("--ramp_per_s", ramp_per_s,
                 "start this many agents per second (0: all at once). Measures streams held "
                 "apart from a connection storm, which on 2 cores shared by both ends times out "
                 "TLS handshakes at ~10,000 (bench/collector_reconnect.sh measures the storm)")
      ->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);

  const std::string ca_pem = ReadAll(ca_crt.c_str());
  BIO* cb = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
  X509* ca = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  BIO_free(cb);
  const std::string ca_key_pem = ReadAll(ca_key_path.c_str());
  BIO* kb = BIO_new_mem_buf(ca_key_pem.data(), static_cast<int>(ca_key_pem.size()));
  EVP_PKEY* ca_key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
  BIO_free(kb);
  if (ca == nullptr || ca_key == nullptr) {
    std::fprintf(stderr, "cannot read the CA certificate or key\n");
    return 2;
  }
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<Host> hosts(n);
  // Heartbeats from the first stream on, while the others are still being started and
  // established: a stream silent for the collector's idle timeout (4 heartbeats, at least 2
  // minutes) is closed, and a ramp of thousands takes longer than that. The main loop takes over
  // once all are up.
  std::atomic<int> started{0};
  std::atomic<bool> ramp_over{false};
  std::thread ramp_heartbeats([&] {
    auto next = std::chrono::steady_clock::now() + std::chrono::seconds(heartbeat);
    while (!ramp_over) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (std::chrono::steady_clock::now() < next) continue;
      const int upto = started.load(std::memory_order_acquire);
      for (int i = 0; i < upto; ++i) hosts[i].agent->Heartbeat();
      next += std::chrono::seconds(heartbeat);
    }
  });
  for (int i = 0; i < n; ++i) {
    Host& h = hosts[i];
    h.netbios = absl::StrFormat("LD%05d", i);
    h.fqdn = absl::StrFormat("ld%05d.bench.test", i);
    HostCert hc = MakeHostCert(ca, ca_key, h.fqdn, 1000 + i);
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = ca_pem;
    o.pem_cert_chain = hc.cert_pem;
    o.pem_private_key = hc.key_pem;
    grpc::ChannelArguments args;
    // One connection per agent, as on a real fleet: no channel sharing between stubs.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetSslTargetNameOverride("localhost");
    h.stub =
        v1::AgentService::NewStub(grpc::CreateCustomChannel(addr, grpc::SslCredentials(o), args));
    h.backoff.emplace(absl::Seconds(1), absl::Seconds(60), [&] { return uniform(rng); });
    if (ramp_per_s > 0) {
      std::this_thread::sleep_until(t0 +
                                    std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                        std::chrono::duration<double>(i / ramp_per_s)));
    }
    h.agent = std::make_unique<Agent>(h.stub.get(), h.netbios, h.fqdn, shape);
    started.store(i + 1, std::memory_order_release);
  }
  const auto deadline = t0 + std::chrono::seconds(hold);
  {
    std::unique_lock lock(mu);
    cv.wait_until(lock, deadline, [&] { return established + ended >= n; });
    std::printf("established %d of %d after %.1f s\n", established, n,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    std::fflush(stdout);
  }
  ramp_over = true;
  ramp_heartbeats.join();
  const bool all_established = established >= n;
  const auto counted_from = std::chrono::steady_clock::now();
  counting = true;
  auto next_heartbeat = std::chrono::steady_clock::now() + std::chrono::seconds(heartbeat);
  bool all_clocked = false;
  while (std::chrono::steady_clock::now() < deadline) {
    // Without reconnections, asleep until the next heartbeat (a baseline for the agent's idle
    // wakeups must not add its own).
    if (reconnect) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } else {
      std::this_thread::sleep_until(std::min(next_heartbeat, deadline));
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_heartbeat) {
      for (Host& h : hosts) h.agent->Heartbeat();
      next_heartbeat += std::chrono::seconds(heartbeat);
    }
    if (!reconnect) continue;
    for (Host& h : hosts) {
      if (!h.agent->done()) {
        if (h.agent->hello_acked()) h.backoff->Reset();
        continue;
      }
      if (!h.reconnect_at) {
        h.reconnect_at = now + absl::ToChronoNanoseconds(h.backoff->Next());
      } else if (now >= *h.reconnect_at) {
        h.ended = std::move(h.agent);  // the previous one is long past its OnDone
        h.agent = std::make_unique<Agent>(h.stub.get(), h.netbios, h.fqdn, shape);
        h.reconnect_at.reset();
      }
    }
    const int clocked = clocked_now;
    if (clocked == n && !all_clocked) {
      std::printf("all %d clocked at %.3f\n", n, UnixSeconds());
      std::fflush(stdout);
      all_clocked = true;
    } else if (clocked < n && all_clocked) {
      std::printf("clocks lost at %.3f (%d of %d)\n", UnixSeconds(), clocked, n);
      std::fflush(stdout);
      all_clocked = false;
    }
  }
  if (shape.items > 0) {
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - counted_from).count();
    std::printf("acknowledged %lld items in %lld batches in %.1f s: %.0f items/s\n",
                static_cast<long long>(acked_items.load()),
                static_cast<long long>(acked_batches.load()), s,
                static_cast<double>(acked_items.load()) / s);
    std::fflush(stdout);
  }
  for (Host& h : hosts) h.agent->Stop();
  {
    // A reactor may be destroyed only after its OnDone: one still live after the wait is not
    // freed under gRPC's feet; the process ends instead, saying so.
    const auto wait_until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (
        std::chrono::steady_clock::now() < wait_until &&
        !std::all_of(hosts.begin(), hosts.end(), [](const Host& h) { return h.agent->done(); })) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const auto live =
        std::count_if(hosts.begin(), hosts.end(), [](const Host& h) { return !h.agent->done(); });
    if (live > 0) {
      std::fprintf(stderr, "%ld of %d streams did not end within 60 s of cancelling\n",
                   static_cast<long>(live), n);
      std::_Exit(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the last OnDone returns
  }
  return all_established ? 0 : 1;
}
