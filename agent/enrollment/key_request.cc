#include "agent/enrollment/key_request.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/openssl_errors.h"

namespace kerbside::agent {
namespace {

constexpr int kRsaBits = 3072;

absl::Status Failed(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", OpenSslErrors()));
}

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

std::string DrainBio(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

Bio ReadOnlyBio(absl::string_view text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), &BIO_free);
}

}  // namespace

absl::StatusOr<KeyAndRequest> MakeKeyAndRequest(absl::string_view fqdn,
                                                absl::string_view netbios_name) {
  if (fqdn.empty() || netbios_name.empty()) {
    return absl::InvalidArgumentError("a certificate request needs the FQDN and NetBIOS name");
  }
  Key key(EVP_RSA_gen(kRsaBits), &EVP_PKEY_free);
  if (!key) return Failed("RSA key generation");
  std::unique_ptr<X509_REQ, decltype(&X509_REQ_free)> req(X509_REQ_new(), &X509_REQ_free);
  if (!req || X509_REQ_set_version(req.get(), 0) != 1) return Failed("X509_REQ_new");
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  const std::string cn(fqdn);
  if (X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1) {
    return Failed("request subject");
  }
  if (X509_REQ_set_pubkey(req.get(), key.get()) != 1) return Failed("request public key");

  const std::string sans = absl::StrCat("DNS:", fqdn, ",DNS:", netbios_name);
  std::unique_ptr<STACK_OF(X509_EXTENSION), void (*)(STACK_OF(X509_EXTENSION)*)> exts(
      sk_X509_EXTENSION_new_null(),
      [](STACK_OF(X509_EXTENSION) * s) { sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free); });
  for (const auto& [nid, value] : {std::pair<int, std::string>{NID_subject_alt_name, sans},
                                   {NID_ext_key_usage, "clientAuth"},
                                   {NID_key_usage, "critical,digitalSignature,keyEncipherment"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, nullptr, nid, value.c_str());
    if (ext == nullptr) return Failed(absl::StrCat("request extension ", OBJ_nid2sn(nid)));
    sk_X509_EXTENSION_push(exts.get(), ext);
  }
  if (X509_REQ_add_extensions(req.get(), exts.get()) != 1) return Failed("request extensions");
  if (X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0) return Failed("request signature");

  KeyAndRequest out;
  Bio key_bio(BIO_new(BIO_s_mem()), &BIO_free);
  Bio req_bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!key_bio || !req_bio ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1 ||
      PEM_write_bio_X509_REQ(req_bio.get(), req.get()) != 1) {
    return Failed("PEM encoding");
  }
  out.key_pem = DrainBio(key_bio.get());
  out.csr_pem = DrainBio(req_bio.get());
  return out;
}

absl::Status CheckKeyMatchesCertificate(absl::string_view key_pem, absl::string_view cert_pem) {
  Bio kb = ReadOnlyBio(key_pem);
  Key key(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (!key) {
    return absl::InvalidArgumentError(
        absl::StrCat("the private key is not a PEM key: ", OpenSslErrors()));
  }
  Bio cb = ReadOnlyBio(cert_pem);
  Cert cert(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert) {
    return absl::InvalidArgumentError(
        absl::StrCat("the certificate is not a PEM certificate: ", OpenSslErrors()));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::FailedPreconditionError(
        "the certificate is not for this private key (another request's certificate?)");
  }
  return absl::OkStatus();
}

}  // namespace kerbside::agent
