// Holds N agent streams open against a collector, as N hosts would, each with its own
// certificate (made here, EC P-256, signed by the fleet CA given), over mutual TLS: hello, then
// a heartbeat every HEARTBEAT seconds. For bench/collector_streams.sh, which reads the
// collector's memory and threads beside it. Streams run on gRPC's callback API, so the load
// generator itself needs no thread per stream.
// usage: stream_load ADDR CA_CRT CA_KEY N HOLD_SECONDS [HEARTBEAT_SECONDS]
// Prints "established K of N after S s" once every stream has its hello acknowledged (or
// HOLD_SECONDS passed), then holds them until HOLD_SECONDS; exit 0 when all N were established.
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/clock.h"
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
int established = 0;
int ended = 0;

// One agent: hello, then heartbeats, until the collector ends the stream or the client stops.
class Agent : public grpc::ClientBidiReactor<v1::AgentMessage, v1::CollectorMessage> {
 public:
  Agent(v1::AgentService::Stub* stub, const std::string& netbios, const std::string& fqdn) {
    auto* id = hello_.mutable_hello()->mutable_identity();
    id->set_netbios_name(netbios);
    id->set_fqdn(fqdn);
    id->set_role(v1::ROLE_EXCHANGE);
    id->set_site("BENCH");
    id->set_agent_version("stream_load");
    hello_.mutable_hello()->set_inventory_deltas(true);  // as a current agent does
    *hello_.mutable_hello()->mutable_sent_host_time() =
        kerbside::ToProto(kerbside::RealClock().Now());
    stub->async()->Connect(&context_, this);
    StartWrite(&hello_);
    StartRead(&in_);
    StartCall();
  }
  void Heartbeat() {
    std::lock_guard lock(write_mu_);
    if (writing_ || done_) return;
    writing_ = true;
    heartbeat_.mutable_heartbeat()->mutable_sent_host_time()->set_seconds(
        absl::ToUnixSeconds(kerbside::RealClock().Now()));
    StartWrite(&heartbeat_);
  }
  void Stop() { context_.TryCancel(); }
  void OnWriteDone(bool) override {
    std::lock_guard lock(write_mu_);
    writing_ = false;
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (in_.has_hello_ack() && !acked_) {
      acked_ = true;
      std::lock_guard lock(mu);
      ++established;
      cv.notify_all();
    }
    StartRead(&in_);
  }
  void OnDone(const grpc::Status&) override {
    {
      std::lock_guard lock(write_mu_);
      done_ = true;
    }
    std::lock_guard lock(mu);
    ++ended;
    cv.notify_all();
  }

 private:
  grpc::ClientContext context_;
  v1::AgentMessage hello_, heartbeat_;
  v1::CollectorMessage in_;
  std::mutex write_mu_;
  bool writing_ = true;  // the hello
  bool done_ = false;
  bool acked_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s ADDR CA_CRT CA_KEY N HOLD_SECONDS [HEARTBEAT_SECONDS]\n",
                 argv[0]);
    return 2;
  }
  const std::string addr = argv[1];
  const std::string ca_pem = ReadAll(argv[2]);
  const int n = std::atoi(argv[4]);
  const int hold = std::atoi(argv[5]);
  const int heartbeat = argc > 6 ? std::atoi(argv[6]) : 15;
  BIO* cb = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
  X509* ca = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  BIO_free(cb);
  const std::string ca_key_pem = ReadAll(argv[3]);
  BIO* kb = BIO_new_mem_buf(ca_key_pem.data(), static_cast<int>(ca_key_pem.size()));
  EVP_PKEY* ca_key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
  BIO_free(kb);
  if (ca == nullptr || ca_key == nullptr) {
    std::fprintf(stderr, "cannot read the CA certificate or key\n");
    return 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<v1::AgentService::Stub>> stubs;
  std::vector<std::unique_ptr<Agent>> agents;
  for (int i = 0; i < n; ++i) {
    const std::string netbios = absl::StrFormat("LD%05d", i);
    const std::string fqdn = absl::StrFormat("ld%05d.bench.test", i);
    HostCert hc = MakeHostCert(ca, ca_key, fqdn, 1000 + i);
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = ca_pem;
    o.pem_cert_chain = hc.cert_pem;
    o.pem_private_key = hc.key_pem;
    grpc::ChannelArguments args;
    // One connection per agent, as on a real fleet: no channel sharing between stubs.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetSslTargetNameOverride("localhost");
    stubs.push_back(
        v1::AgentService::NewStub(grpc::CreateCustomChannel(addr, grpc::SslCredentials(o), args)));
    agents.push_back(std::make_unique<Agent>(stubs.back().get(), netbios, fqdn));
  }
  const auto deadline = t0 + std::chrono::seconds(hold);
  {
    std::unique_lock lock(mu);
    cv.wait_until(lock, deadline, [&] { return established + ended >= n; });
    std::printf("established %d of %d after %.1f s\n", established, n,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    std::fflush(stdout);
  }
  auto next = std::chrono::steady_clock::now() + std::chrono::seconds(heartbeat);
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_until(std::min(next, deadline));
    for (auto& a : agents) a->Heartbeat();
    next += std::chrono::seconds(heartbeat);
  }
  const int ok = established;
  for (auto& a : agents) a->Stop();
  {
    std::unique_lock lock(mu);
    // A reactor may be destroyed only after its OnDone: one still live after the wait is not
    // freed under gRPC's feet; the process ends instead, saying so.
    if (!cv.wait_for(lock, std::chrono::seconds(60), [&] { return ended >= n; })) {
      std::fprintf(stderr, "%d of %d streams did not end within 60 s of cancelling\n", n - ended,
                   n);
      std::_Exit(1);
    }
  }
  return ok == n ? 0 : 1;
}
