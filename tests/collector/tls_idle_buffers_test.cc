// collector/tls_idle_buffers.cc, linked and exported as in the collector executable.
#include <dlfcn.h>
#include <openssl/ssl.h>

#include "gtest/gtest.h"

namespace {

// What libgrpc's calls to SSL_new bind to: the lookup starts at the executable.
TEST(TlsIdleBuffersTest, SharedLibrariesGetTheCollectorsSslNew) {
  void* global = dlsym(RTLD_DEFAULT, "SSL_new");
  void* openssl = dlsym(RTLD_NEXT, "SSL_new");
  ASSERT_NE(global, nullptr);
  ASSERT_NE(openssl, nullptr);
  EXPECT_EQ(global, reinterpret_cast<void*>(&SSL_new));
  EXPECT_NE(global, openssl);
}

TEST(TlsIdleBuffersTest, EveryConnectionReleasesItsBuffersWhenIdle) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  ASSERT_NE(ctx, nullptr);
  using SslNew = SSL* (*)(SSL_CTX*);
  // Called as a library would, through the global lookup.
  auto ssl_new = reinterpret_cast<SslNew>(dlsym(RTLD_DEFAULT, "SSL_new"));
  SSL* ssl = ssl_new(ctx);
  ASSERT_NE(ssl, nullptr);
  EXPECT_NE(SSL_get_mode(ssl) & SSL_MODE_RELEASE_BUFFERS, 0u);
  // OpenSSL's own, for contrast: the mode is ours.
  auto openssl_new = reinterpret_cast<SslNew>(dlsym(RTLD_NEXT, "SSL_new"));
  SSL* plain = openssl_new(ctx);
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(SSL_get_mode(plain) & SSL_MODE_RELEASE_BUFFERS, 0u);
  SSL_free(plain);
  SSL_free(ssl);
  SSL_CTX_free(ctx);
}

}  // namespace
