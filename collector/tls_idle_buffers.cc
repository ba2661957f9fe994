// Every TLS connection of the collector releases its record buffers while idle
// (SSL_MODE_RELEASE_BUFFERS). An agent stream is idle almost all the time, and OpenSSL otherwise
// keeps a 16 KB read and a 16 KB write buffer per connection for its whole life: 32 KB of the
// ~175 KB each agent stream cost (issue 17, measured with heaptrack at 500 and 1,000 streams).
//
// gRPC 1.51 (Debian 12) makes its SSL objects itself and offers no hook to set the mode, so the
// collector interposes SSL_new: this definition is exported from the executable
// (-Wl,--export-dynamic-symbol=SSL_new), so libgrpc's calls bind to it; it calls OpenSSL's own
// and sets the mode. Linked into the collector executable only, never into a library.
#include <dlfcn.h>
#include <openssl/ssl.h>

#include <cstdio>
#include <cstdlib>

extern "C" SSL* SSL_new(SSL_CTX* ctx) {
  using SslNew = SSL* (*)(SSL_CTX*);
  static const SslNew openssl_ssl_new = [] {
    auto f = reinterpret_cast<SslNew>(dlsym(RTLD_NEXT, "SSL_new"));
    if (f == nullptr) {
      // Only with a statically linked OpenSSL, which this build never uses: say so and stop
      // rather than run without TLS.
      std::fprintf(stderr, "kerbside-collector: OpenSSL's SSL_new not found: %s\n", dlerror());
      std::abort();
    }
    return f;
  }();
  SSL* ssl = openssl_ssl_new(ctx);
  if (ssl != nullptr) SSL_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
  return ssl;
}
