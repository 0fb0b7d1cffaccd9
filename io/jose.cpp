// JWK → EVP_PKEY (OpenSSL 3 EVP_PKEY_fromdata), base64url, RS256 sign and verify.
#include "io/jose.hpp"

#include "io/secret_file.hpp"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <boost/json.hpp>

#include <fstream>
#include <sstream>
#include <vector>

namespace devreset::io {

namespace json = boost::json;

std::string base64url_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=')
    out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string b64(text);
  for (char& c : b64) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/')
      return std::nullopt;
  }
  std::size_t pad = (4 - b64.size() % 4) % 4;
  if (pad == 3) return std::nullopt;
  b64.append(pad, '=');
  std::string out(b64.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - pad);  // EVP_DecodeBlock counts the padding
  return out;
}

rsa_key::rsa_key(rsa_key&& o) noexcept : key_(o.key_) {
  o.key_ = nullptr;
}
rsa_key& rsa_key::operator=(rsa_key&& o) noexcept {
  std::swap(key_, o.key_);
  return *this;
}
rsa_key::~rsa_key() {
  EVP_PKEY_free(key_);
}

rsa_key rsa_key::from_jwk(const json::object& jwk, bool need_private) {
  auto member = [&](const char* name) -> std::optional<std::string> {
    auto it = jwk.find(name);
    if (it == jwk.end() || !it->value().is_string()) return std::nullopt;
    auto bytes = base64url_decode(it->value().get_string());
    if (!bytes || bytes->empty())
      throw jose_error(fmt::format("JWK member '{}' is not base64url", name));
    return bytes;
  };
  auto kty = jwk.find("kty");
  if (kty == jwk.end() || kty->value() != "RSA")
    throw jose_error("the JWK is not an RSA key (\"kty\":\"RSA\")");

  struct bn_list {
    std::vector<BIGNUM*> all;
    ~bn_list() {
      for (auto* b : all)
        BN_clear_free(b);
    }
    BIGNUM* add(const std::string& bytes) {
      all.push_back(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                              static_cast<int>(bytes.size()), nullptr));
      return all.back();
    }
  } bns;
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(),
                                                                      &OSSL_PARAM_BLD_free);
  auto n = member("n");
  auto e = member("e");
  if (!n || !e) throw jose_error("the JWK lacks 'n' or 'e'");
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bns.add(*n));
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bns.add(*e));
  bool is_private = false;
  if (need_private) {
    auto d = member("d");
    if (!d) throw jose_error("the JWK has no private part ('d'): a service account key is needed");
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_D, bns.add(*d));
    const std::pair<const char*, const char*> crt[] = {{"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
                                                       {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},
                                                       {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
                                                       {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2},
                                                       {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1}};
    for (const auto& [jname, pname] : crt) {
      if (auto v = member(jname)) OSSL_PARAM_BLD_push_BN(bld.get(), pname, bns.add(*v));
    }
    is_private = true;
  }
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(bld.get()),
                                                                 &OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr), &EVP_PKEY_CTX_free);
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &key, is_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) <= 0) {
    throw jose_error("the JWK is not a usable RSA key");
  }
  return rsa_key(key);
}

rsa_key rsa_key::from_jwk_file(const std::string& path, bool need_private) {
  std::string text;
  if (need_private) {
    // A private key: a file of this user's alone, wiped from memory once parsed.
    try {
      text = read_secret_file(path, 64 * 1024, "key file");
    } catch (const secret_file_error& e) {
      throw jose_error(e.what());
    }
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw jose_error(fmt::format("{}: cannot read the key file", path));
    std::ostringstream s;
    s << in.rdbuf();
    text = s.str();
  }
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  wipe(text);
  if (ec || !v.is_object()) throw jose_error(fmt::format("{}: not a JWK (JSON object)", path));
  try {
    return from_jwk(v.get_object(), need_private);
  } catch (const jose_error& e) {
    throw jose_error(fmt::format("{}: {}", path, e.what()));
  }
}

std::string sign_jwt_rs256(const json::object& claims, const rsa_key& key) {
  std::string input = base64url_encode(R"({"alg":"RS256","typ":"JWT"})") + "." +
                      base64url_encode(json::serialize(claims));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::size_t len = 0;
  if (!md || EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key.get()) <= 0 ||
      EVP_DigestSign(md.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) <= 0) {
    throw jose_error("cannot sign the assertion with the key");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) <= 0) {
    throw jose_error("cannot sign the assertion with the key");
  }
  sig.resize(len);
  return input + "." + base64url_encode(sig);
}

std::optional<json::object> verify_jwt_rs256(std::string_view jwt, const rsa_key& key,
                                             std::string& error) {
  auto dot1 = jwt.find('.');
  auto dot2 = dot1 == std::string_view::npos ? dot1 : jwt.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || jwt.find('.', dot2 + 1) != std::string_view::npos) {
    error = "not a JWT (three dot-separated parts)";
    return std::nullopt;
  }
  auto header = base64url_decode(jwt.substr(0, dot1));
  auto payload = base64url_decode(jwt.substr(dot1 + 1, dot2 - dot1 - 1));
  auto sig = base64url_decode(jwt.substr(dot2 + 1));
  if (!header || !payload || !sig) {
    error = "a JWT part is not base64url";
    return std::nullopt;
  }
  boost::system::error_code ec;
  auto h = json::parse(*header, ec);
  if (ec || !h.is_object() || h.get_object().if_contains("alg") == nullptr ||
      h.get_object().at("alg") != "RS256") {
    error = "the JWT is not RS256";
    return std::nullopt;
  }
  std::string_view input = jwt.substr(0, dot2);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!md || EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, key.get()) <= 0 ||
      EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    error = "the JWT signature does not verify";
    return std::nullopt;
  }
  auto claims = json::parse(*payload, ec);
  if (ec || !claims.is_object()) {
    error = "the JWT claims are not a JSON object";
    return std::nullopt;
  }
  return std::move(claims.get_object());
}

}  // namespace devreset::io
