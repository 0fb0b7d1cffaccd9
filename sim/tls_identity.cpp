// Certificate generation with OpenSSL 3 (EVP keys, X509v3 extensions).
#include "sim/tls_identity.hpp"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace devreset::sim {

namespace {

struct deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
template <class T>
using owned = std::unique_ptr<T, deleter>;

[[noreturn]] void fail(const char* what) {
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  throw std::runtime_error(fmt::format("sim TLS: {}: {}", what, buf));
}

template <class T>
T* check(T* p, const char* what) {
  if (p == nullptr) fail(what);
  return p;
}

void check(int rc, const char* what) {
  if (rc <= 0) fail(what);
}

owned<EVP_PKEY> make_key() {
  return owned<EVP_PKEY>(check(EVP_EC_gen("P-256"), "EC key"));
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  owned<X509_EXTENSION> ext(check(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value), "extension"));
  check(X509_add_ext(cert, ext.get(), -1), "add extension");
}

owned<X509> make_cert(EVP_PKEY* key, const char* common_name, X509* issuer, EVP_PKEY* issuer_key,
                      bool is_ca) {
  owned<X509> cert(check(X509_new(), "X509_new"));
  check(X509_set_version(cert.get(), 2), "version");
  unsigned char serial[16];
  check(RAND_bytes(serial, sizeof serial), "serial");
  serial[0] &= 0x7f;
  BIGNUM* bn = check(BN_bin2bn(serial, sizeof serial, nullptr), "serial");
  check(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr ? 1 : 0, "serial");
  BN_free(bn);
  check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr ? 1 : 0, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7 * 24 * 3600) != nullptr ? 1 : 0,
        "notAfter");
  check(X509_set_pubkey(cert.get(), key), "pubkey");
  X509_NAME* name = X509_get_subject_name(cert.get());
  check(
      X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("devreset sim"), -1, -1, 0),
      "O");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0),
        "CN");
  X509* signer = issuer != nullptr ? issuer : cert.get();
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)), "issuer");
  add_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (is_ca) {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    add_ext(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    add_ext(cert.get(), signer, NID_ext_key_usage, "serverAuth");
    add_ext(cert.get(), signer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
  }
  check(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()), "sign");
  return cert;
}

std::string pem_of(X509* cert) {
  owned<BIO> bio(check(BIO_new(BIO_s_mem()), "BIO"));
  check(PEM_write_bio_X509(bio.get(), cert), "PEM cert");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string pem_of(EVP_PKEY* key) {
  owned<BIO> bio(check(BIO_new(BIO_s_mem()), "BIO"));
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr), "PEM key");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot read", path));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

tls_identity generate_tls_identity() {
  auto ca_key = make_key();
  auto ca = make_cert(ca_key.get(), "devreset sim CA", nullptr, nullptr, true);
  auto key = make_key();
  auto cert = make_cert(key.get(), "localhost", ca.get(), ca_key.get(), false);
  tls_identity id;
  id.ca_pem = pem_of(ca.get());
  id.chain_pem = pem_of(cert.get()) + id.ca_pem;
  id.key_pem = pem_of(key.get());
  return id;
}

tls_identity load_tls_identity(const std::string& cert_file, const std::string& key_file) {
  tls_identity id;
  id.chain_pem = read_text(cert_file);
  id.key_pem = read_text(key_file);
  return id;
}

}  // namespace devreset::sim
