// Keep-alive HTTPS connections on asio::ssl::stream<beast::tcp_stream> and coroutines.
#include "engine/https_client.hpp"

#include "io/text.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <filesystem>
#include <optional>

#include "engine/detail/use_tuple.hpp"

namespace devreset::engine {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using detail::use_tuple;

namespace {

constexpr std::size_t max_body = 1024 * 1024;  // a device list of a sane user is far less
constexpr std::uint32_t max_header = 16 * 1024;

// The bytes under the tenant's TLS: the TCP connection itself, or, through an https://
// proxy, a TLS session with the proxy on it (the CONNECT tunnel runs inside). Beast's
// get_lowest_layer() finds the TCP stream (its deadlines, its socket) through next_layer().
class tunnel_stream {
 public:
  using executor_type = beast::tcp_stream::executor_type;
  using next_layer_type = beast::tcp_stream;
  using lowest_layer_type = beast::tcp_stream;

  explicit tunnel_stream(asio::any_io_executor ex) : tcp_(std::move(ex)) {}
  executor_type get_executor() noexcept { return tcp_.get_executor(); }
  beast::tcp_stream& next_layer() noexcept { return tcp_; }
  beast::tcp_stream& lowest_layer() noexcept { return tcp_; }

  /// From now on, TLS with the proxy (its handshake is the caller's).
  ssl::stream<beast::tcp_stream&>& to_proxy(ssl::context& ctx) {
    proxy_tls_.emplace(tcp_, ctx);
    return *proxy_tls_;
  }
  ssl::stream<beast::tcp_stream&>* proxy_tls() { return proxy_tls_ ? &*proxy_tls_ : nullptr; }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& b, Token&& token) {
    if (proxy_tls_) return proxy_tls_->async_read_some(b, std::forward<Token>(token));
    return tcp_.async_read_some(b, std::forward<Token>(token));
  }
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& b, Token&& token) {
    if (proxy_tls_) return proxy_tls_->async_write_some(b, std::forward<Token>(token));
    return tcp_.async_write_some(b, std::forward<Token>(token));
  }

 private:
  beast::tcp_stream tcp_;
  std::optional<ssl::stream<beast::tcp_stream&>> proxy_tls_;
};

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

struct https_host::impl {
  std::string host;
  std::string port;
  std::string host_header;
  std::optional<io::proxy_config> proxy;  // with it, `endpoints` are the proxy's
  std::string proxy_auth;                 // its Proxy-Authorization, when it has credentials
  std::string authority;                  // host:port, always with the port (CONNECT's target)
  std::optional<ssl::context> proxy_ctx;  // an https:// proxy's TLS (always verified)
  std::uint64_t tunnels = 0;
  tls_settings tls;
  ssl::context ctx{ssl::context::tls_client};
  tcp::resolver::results_type endpoints;
  SSL_SESSION* session = nullptr;  // the last session, to resume on the next connect
  std::uint64_t connects = 0;
  std::uint64_t resumed = 0;

  void keep_session(SSL* ssl) {
    SSL_SESSION* s = SSL_get1_session(ssl);
    if (s == nullptr) return;
    if (SSL_SESSION_is_resumable(s) == 0) {
      SSL_SESSION_free(s);
      return;
    }
    if (session != nullptr) SSL_SESSION_free(session);
    session = s;
  }
};

std::optional<std::string> ca_file_problem(const std::string& ca_file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(ca_file, ec)) return "not a regular file (or missing)";
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(ca_file.c_str(), "r"), &BIO_free);
  if (!bio) return "cannot read it";
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  ERR_clear_error();
  if (!cert) return "holds no PEM certificate (-----BEGIN CERTIFICATE-----)";
  return std::nullopt;
}

namespace {

// Why a TCP connect failed, naming what refused it: the proxy when there is one (a proxy
// that is down is not the tenant's fault), else the tenant.
std::string connect_failure(const https_host::impl& host, const boost::system::error_code& ec) {
  if (!host.proxy) return fmt::format("connect to {}: {}", host.host_header, ec.message());
  return fmt::format("the proxy at {} {}", host.proxy->shown(),
                     ec == boost::asio::error::connection_refused
                         ? "refused the connection (is it running?)"
                         : "cannot be reached: " + ec.message());
}

// The DNS names and addresses a certificate is for, to say why a name did not match.
std::string names_of(X509* cert) {
  std::string out;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans) && i < 8; ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
    std::string one;
    if (n->type == GEN_DNS) {
      one.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName)),
                 static_cast<std::size_t>(ASN1_STRING_length(n->d.dNSName)));
    } else if (n->type == GEN_IPADD && ASN1_STRING_length(n->d.iPAddress) == 4) {
      const unsigned char* a = ASN1_STRING_get0_data(n->d.iPAddress);
      one = fmt::format("{}.{}.{}.{}", a[0], a[1], a[2], a[3]);
    } else if (n->type == GEN_IPADD) {
      one = "an IPv6 address";
    }
    if (!one.empty()) out += (out.empty() ? "" : ", ") + io::printable(one, 80);
  }
  GENERAL_NAMES_free(sans);
  return out.empty() ? "no name" : out;
}

}  // namespace

https_host::https_host(std::string host, std::string port, tls_settings tls,
                       std::optional<io::proxy_config> proxy)
    : impl_(std::make_unique<impl>()) {
  auto& i = *impl_;
  i.proxy = std::move(proxy);
  if (i.proxy) i.proxy_auth = i.proxy->basic_auth();
  i.host = std::move(host);
  i.port = std::move(port);
  i.host_header = i.port == "443" ? i.host : fmt::format("{}:{}", i.host, i.port);
  if (i.host.find(':') != std::string::npos) {  // IPv6 literal
    i.host_header = i.port == "443" ? "[" + i.host + "]" : fmt::format("[{}]:{}", i.host, i.port);
  }
  i.authority = i.host.find(':') != std::string::npos ? fmt::format("[{}]:{}", i.host, i.port)
                                                      : fmt::format("{}:{}", i.host, i.port);
  i.tls = std::move(tls);
  i.ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  // Streams copy the verify mode when they are made: set everything up before any is.
  if (i.tls.insecure) {
    i.ctx.set_verify_mode(ssl::verify_none);
  } else {
    boost::system::error_code ec;
    if (!i.tls.ca_file.empty()) {
      i.ctx.load_verify_file(i.tls.ca_file, ec);
      if (ec) {
        throw std::runtime_error(
            fmt::format("CA file {}: cannot load it: {}", i.tls.ca_file, ec.message()));
      }
    } else {
      i.ctx.set_default_verify_paths(ec);
    }
    i.ctx.set_verify_mode(ssl::verify_peer);
  }
  if (i.proxy && i.proxy->scheme == "https") {
    i.proxy_ctx.emplace(ssl::context::tls_client);
    i.proxy_ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                             ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                             ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    if (!i.tls.proxy_ca_file.empty()) {
      i.proxy_ctx->load_verify_file(i.tls.proxy_ca_file, ec);
      if (ec) {
        throw std::runtime_error(
            fmt::format("proxy CA file {}: cannot load it: {}", i.tls.proxy_ca_file, ec.message()));
      }
    } else {
      i.proxy_ctx->set_default_verify_paths(ec);
    }
    i.proxy_ctx->set_verify_mode(ssl::verify_peer);
  }
  // Client-side session cache, so that reconnects resume instead of a full handshake.
  SSL_CTX_set_session_cache_mode(i.ctx.native_handle(), SSL_SESS_CACHE_CLIENT);
}

https_host::~https_host() {
  if (impl_ && impl_->session != nullptr) SSL_SESSION_free(impl_->session);
}

asio::awaitable<std::string> https_host::resolve(asio::any_io_executor ex) {
  tcp::resolver resolver(ex);
  // Through a proxy, the tenant's name is the proxy's to resolve.
  const auto& name = impl_->proxy ? impl_->proxy->host : impl_->host;
  const auto& port = impl_->proxy ? impl_->proxy->port : impl_->port;
  auto [ec, results] = co_await resolver.async_resolve(name, port, use_tuple);
  if (ec) {
    co_return fmt::format("cannot resolve {}{}: {}", impl_->proxy ? "the proxy " : "",
                          io::printable(name, 200), ec.message());
  }
  impl_->endpoints = std::move(results);
  co_return std::string();
}

const std::string& https_host::host() const {
  return impl_->host;
}
std::string https_host::via() const {
  return impl_->proxy ? " through the proxy at " + impl_->proxy->shown() : std::string();
}
std::uint64_t https_host::tunnels() const {
  return impl_->tunnels;
}
std::uint64_t https_host::connects() const {
  return impl_->connects;
}
std::uint64_t https_host::resumed() const {
  return impl_->resumed;
}

struct https_connection::impl {
  asio::any_io_executor ex;
  https_host::impl& host;
  std::optional<ssl::stream<tunnel_stream>> stream;
  // Bounded: the parser's header and body limits do not cover a chunk-size line or trailer
  // that never ends, which would otherwise grow this buffer until the deadline.
  beast::flat_buffer buffer{max_header + 64 * 1024};
  http::request<http::string_body> req;
  std::string token;         // the token the credential's header holds
  std::string token_header;  // that header's name (empty: Authorization: Bearer)
  bool session_saved = false;
  std::string cert_names;  // a refused certificate's names (for the error)

  impl(asio::any_io_executor e, https_host::impl& h) : ex(std::move(e)), host(h) {
    req.version(11);
    req.set(http::field::host, host.host_header);
    req.set(http::field::user_agent, "devreset/" DEVRESET_VERSION_STRING);
    req.set("Accept-API-Version", "resource=1.0");
    req.keep_alive(true);
  }

  // Closes the socket only: operations pending on it finish with an error, and the
  // coroutine that owns them drops the stream. Safe from outside (a hard stop).
  void shut() {
    if (!stream) return;
    boost::system::error_code ignored;
    beast::get_lowest_layer(*stream).socket().close(ignored);
  }

  // Drops the stream; only where no operation is pending on it.
  void close() {
    shut();
    stream.reset();
    buffer.clear();
  }

  // A new TLS stream, set to verify the tenant's name (OpenSSL's own check: a mismatch reads
  // "hostname mismatch"; the names the certificate holds are kept for the error) and to
  // resume the host's session.
  void new_stream() {
    close();
    stream.emplace(ex, host.ctx);
    SSL* ssl = stream->native_handle();
    if (!is_ip_literal(host.host)) {
      SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(host.host.c_str()));  // SNI (the macro has a C cast)
    }
    if (!host.tls.insecure) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      if (is_ip_literal(host.host)) {
        X509_VERIFY_PARAM_set1_ip_asc(param, host.host.c_str());
      } else {
        SSL_set1_host(ssl, host.host.c_str());
      }
      cert_names.clear();
      stream->set_verify_callback([this](bool ok, ssl::verify_context& vc) {
        X509_STORE_CTX* ctx = vc.native_handle();
        if (!ok && X509_STORE_CTX_get_error_depth(ctx) == 0) {
          cert_names = names_of(X509_STORE_CTX_get_current_cert(ctx));
        }
        return ok;
      });
    }
    if (host.session != nullptr) SSL_set_session(ssl, host.session);
  }

  // A failed TLS handshake, as its code decides (a refused certificate, a timeout, any other
  // failure) and in words for people.
  std::pair<transport, std::string> handshake_failure(const boost::system::error_code& hec) {
    std::string why = hec.message();
    auto how = hec == beast::error::timeout ? transport::timeout : transport::connect_failed;
    if (long verify = SSL_get_verify_result(stream->native_handle()); verify != X509_V_OK) {
      how = transport::certificate;
      why =
          fmt::format("certificate verification failed: {}", X509_verify_cert_error_string(verify));
      if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH) {
        why += fmt::format(" (the certificate is for {}, not {})", cert_names, host.host);
      }
    }
    return {how, fmt::format("TLS handshake with {}: {}", host.host_header, why)};
  }

  // TCP, then the proxy's TLS and tunnel when there is a proxy; what went wrong, if anything.
  asio::awaitable<std::pair<transport, std::string>> reach(std::chrono::milliseconds timeout) {
    auto& tcp_layer = beast::get_lowest_layer(*stream);
    tcp_layer.expires_after(timeout);
    auto [cec, ep] = co_await tcp_layer.async_connect(host.endpoints, use_tuple);
    if (cec) {
      co_return std::pair{
          cec == beast::error::timeout ? transport::timeout : transport::connect_failed,
          connect_failure(host, cec)};
    }
    boost::system::error_code ignored;
    tcp_layer.socket().set_option(tcp::no_delay(true), ignored);
    if (host.proxy_ctx) {
      if (auto r = co_await proxy_handshake(); r.first != transport::ok) co_return r;
    }
    if (host.proxy) {
      if (auto r = co_await tunnel(); r.first != transport::ok) co_return r;
    }
    co_return std::pair{transport::ok, std::string()};
  }

  // Connects and handshakes; returns an empty string or what went wrong.
  asio::awaitable<std::pair<transport, std::string>> connect(std::chrono::milliseconds timeout) {
    new_stream();
    if (auto r = co_await reach(timeout); r.first != transport::ok) {
      close();
      co_return r;
    }
    auto [hec] = co_await stream->async_handshake(ssl::stream_base::client, use_tuple);
    if (hec) {
      auto r = handshake_failure(hec);
      close();
      co_return r;
    }
    ++host.connects;
    if (SSL_session_reused(stream->native_handle()) == 1) ++host.resumed;
    session_saved = false;
    co_return std::pair{transport::ok, std::string()};
  }

  // CONNECT host:port through the proxy, on the TCP stream the TLS handshake then uses; within
  // the deadline already set on the stream. The proxy's refusals are told apart from the
  // tenant's answers: 407 and 403 are final (transport::proxy_refused), a proxy that cannot
  // reach the tenant (502, 503, 504) is a connection that failed (retried). The answer to a
  // CONNECT is always the proxy's own: the tenant is not reached before the tunnel is up.
  // TLS with an https:// proxy, its certificate and name verified, before the CONNECT.
  asio::awaitable<std::pair<transport, std::string>> proxy_handshake() {
    const auto& p = *host.proxy;
    auto& tls = stream->next_layer().to_proxy(*host.proxy_ctx);
    SSL* ssl = tls.native_handle();
    if (is_ip_literal(p.host)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), p.host.c_str());
    } else {
      SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(p.host.c_str()));
      SSL_set1_host(ssl, p.host.c_str());
    }
    auto [ec] = co_await tls.async_handshake(ssl::stream_base::client, use_tuple);
    if (!ec) co_return std::pair{transport::ok, std::string()};
    std::string why = ec.message();
    auto how = ec == beast::error::timeout ? transport::timeout : transport::connect_failed;
    if (long verify = SSL_get_verify_result(ssl); verify != X509_V_OK) {
      how = transport::certificate;
      why =
          fmt::format("certificate verification failed: {}", X509_verify_cert_error_string(verify));
    }
    co_return std::pair{how, fmt::format("TLS handshake with the proxy at {}: {}", p.shown(), why)};
  }

  asio::awaitable<std::pair<transport, std::string>> tunnel() {
    auto& tcp_layer = stream->next_layer();  // TCP, or the TLS with an https:// proxy
    const auto& p = *host.proxy;
    http::request<http::empty_body> connect{http::verb::connect, host.authority, 11};
    connect.set(http::field::host, host.authority);
    connect.set(http::field::user_agent, "devreset/" DEVRESET_VERSION_STRING);
    if (!host.proxy_auth.empty()) {
      connect.set(http::field::proxy_authorization, host.proxy_auth);
    }
    auto [wec, wn] = co_await http::async_write(tcp_layer, connect, use_tuple);
    const auto at = fmt::format("the proxy at {}", p.shown());
    if (wec) {
      co_return std::pair{wec == beast::error::timeout ? transport::timeout : transport::dropped,
                          fmt::format("{}: {}", at, wec.message())};
    }
    beast::flat_buffer b{max_header};
    http::response_parser<http::empty_body> res;
    res.skip(true);  // a CONNECT's answer has no body: the tunnel follows
    res.header_limit(max_header);
    auto [rec, rn] = co_await http::async_read(tcp_layer, b, res, use_tuple);
    if (rec) {
      co_return std::pair{rec == beast::error::timeout ? transport::timeout : transport::dropped,
                          fmt::format("{} closed the tunnel: {}", at, rec.message())};
    }
    co_return tunnel_outcome(at, res.get().result_int(), b.size());
  }

  std::pair<transport, std::string> tunnel_outcome(const std::string& at, unsigned status,
                                                   std::size_t extra) {
    const auto words =
        fmt::format("{} {}", status, http::obsolete_reason(static_cast<http::status>(status)));
    if (status == 200 && extra == 0) {
      ++host.tunnels;
      return {transport::ok, {}};
    }
    if (status == 200) return {transport::bad_answer, at + " sent data before the tunnel's TLS"};
    if (status == 407 || status == 401) {  // tinyproxy says 401 where RFC 9110 says 407
      return {transport::proxy_refused,
              host.proxy_auth.empty()
                  ? fmt::format("{} wants credentials ({}): give them in --proxy or "
                                "HTTPS_PROXY as http://user:password@host:port",
                                at, words)
                  : fmt::format("{} refused the credentials ({})", at, words)};
    }
    if (status == 502 || status == 503 || status == 504) {
      return {transport::connect_failed,
              fmt::format("{} could not reach {} ({})", at, host.authority, words)};
    }
    return {transport::proxy_refused,
            fmt::format("{} refused the tunnel to {} ({})", at, host.authority, words)};
  }

  // The parts of an answer the engine reads. Content-Type and Location only serve the words
  // of a failure: not looked up on a 2xx.
  static http_answer answer_of(http::response<http::string_body>& res) {
    http_answer answer;
    answer.status = static_cast<int>(res.result_int());
    auto header = [&res](http::field f, std::string& out, std::size_t max) {
      if (auto it = res.find(f); it != res.end()) {
        out.assign(it->value().data(), std::min<std::size_t>(it->value().size(), max));
      }
    };
    header(http::field::retry_after, answer.retry_after, 256);
    if (auto it = res.find("RateLimit-Policy"); it != res.end()) {
      answer.rate_policy.assign(it->value().data(), std::min<std::size_t>(it->value().size(), 256));
    }
    if (answer.status >= 300) header(http::field::content_type, answer.content_type, 200);
    if (answer.status >= 300 && answer.status < 400) {
      header(http::field::location, answer.location, 8192);
    }
    answer.body = std::move(res.body());
    return answer;
  }

  static transport classify(const boost::system::error_code& ec) {
    if (ec == beast::error::timeout) return transport::timeout;
    if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return transport::bad_answer;  // not HTTP, headers or body too large
    }
    return transport::dropped;
  }
};

https_connection::https_connection(asio::any_io_executor ex, https_host& host)
    : impl_(std::make_unique<impl>(std::move(ex), host.get())) {}
https_connection::~https_connection() {
  if (impl_) impl_->close();
}
https_connection::https_connection(https_connection&&) noexcept = default;

void https_connection::close() {
  // Only the socket: the stream may have an operation pending (or a completion queued) that
  // still refers to it. The coroutine that owns that operation drops the stream when it ends
  // (found by the disk-full test: a hard stop from a ledger flush destroyed a stream whose
  // write completion was queued, and the read that followed ran on a freed SSL).
  impl_->shut();
}

namespace {

http::verb verb_of(http_method method) {
  return method == http_method::post      ? http::verb::post
         : method == http_method::delete_ ? http::verb::delete_
                                          : http::verb::get;
}

}  // namespace

asio::awaitable<http_answer> https_connection::send(const planned_request& r, credential cred,
                                                    std::chrono::milliseconds timeout) {
  auto& c = *impl_;
  auto& req = c.req;
  req.method(verb_of(r.method));
  req.target(r.target);
  // The credential's header is rebuilt only when it changes.
  if (cred.token != c.token || cred.header != c.token_header) {
    if (c.token_header.empty()) {
      req.erase(http::field::authorization);
    } else {
      req.erase(c.token_header);
    }
    c.token.assign(cred.token);
    c.token_header.assign(cred.header);
    if (cred.header.empty()) {
      std::string auth;
      auth.reserve(7 + cred.token.size());
      auth.append("Bearer ").append(cred.token);
      req.set(http::field::authorization, auth);
    } else {
      req.set(cred.header, cred.token);
    }
  }
  if (r.json_body) {
    req.set(http::field::content_type, "application/json");
    req.body() = "{}";
  } else {
    req.erase(http::field::content_type);
    req.body().clear();
  }
  req.prepare_payload();

  co_return co_await exchange(timeout);
}

asio::awaitable<http_answer> https_connection::send_plain(http_method method,
                                                          std::string_view target,
                                                          std::span<const header_field> headers,
                                                          std::string_view body,
                                                          std::chrono::milliseconds timeout) {
  auto& c = *impl_;
  http::request<http::string_body> plain{verb_of(method), target, 11};
  plain.set(http::field::host, c.host.host_header);
  plain.set(http::field::user_agent, "devreset/" DEVRESET_VERSION_STRING);
  plain.keep_alive(true);
  for (const auto& h : headers)
    plain.set(h.name, h.value);
  if (!body.empty()) {
    plain.set(http::field::content_type, "application/json");
    plain.body() = body;
  }
  plain.prepare_payload();
  std::swap(c.req, plain);  // exchange() writes c.req; the device request comes back after
  auto answer = co_await exchange(timeout);
  std::swap(c.req, plain);
  co_return answer;
}

asio::awaitable<http_answer> https_connection::post_form(std::string_view target, std::string form,
                                                         std::chrono::milliseconds timeout) {
  auto& c = *impl_;
  auto& req = c.req;
  req.method(http::verb::post);
  req.target(target);
  req.erase(c.token_header.empty() ? std::string_view("Authorization") : c.token_header);
  c.token.clear();  // the next send() sets the credential again
  c.token_header.clear();
  req.set(http::field::content_type, "application/x-www-form-urlencoded");
  req.body() = std::move(form);
  req.prepare_payload();
  co_return co_await exchange(timeout);
}

asio::awaitable<http_answer> https_connection::exchange(std::chrono::milliseconds timeout) {
  auto& c = *impl_;
  auto& req = c.req;
  if (!c.stream || !beast::get_lowest_layer(*c.stream).socket().is_open()) {
    auto [how, why] = co_await c.connect(timeout);
    if (how != transport::ok) {
      http_answer failed;
      failed.how = how;
      failed.detail = std::move(why);
      co_return failed;
    }
  } else {
    beast::get_lowest_layer(*c.stream).expires_after(timeout);
  }

  auto [wec, wn] = co_await http::async_write(*c.stream, req, use_tuple);
  http::response_parser<http::string_body> parser;
  parser.header_limit(max_header);
  parser.body_limit(max_body);
  boost::system::error_code ec = wec;
  if (!ec) {
    auto [rec, rn] = co_await http::async_read(*c.stream, c.buffer, parser, use_tuple);
    ec = rec;
  }
  if (ec) {
    // Every failure counts as an attempt (the retry policy decides), even on a kept-alive
    // connection that the tenant may have closed while idle.
    c.close();
    http_answer failed;
    failed.how = impl::classify(ec);
    failed.detail = fmt::format("{} ({})", ec.message(), c.host.host_header);
    if (ec == beast::error::timeout && parser.is_header_done()) {
      // The tenant answered but its body never ended (a trickle, an endless chunked body).
      failed.how = transport::bad_answer;
      failed.detail = fmt::format("a {} answer whose body did not end within {} ms ({})",
                                  parser.get().result_int(), timeout.count(), c.host.host_header);
    }
    co_return failed;
  }

  http_answer answer = impl::answer_of(parser.get());
  if (!c.session_saved) {
    c.host.keep_session(c.stream->native_handle());  // TLS 1.3 tickets come after the handshake
    c.session_saved = true;
  }
  if (!parser.keep_alive()) c.close();
  co_return answer;
}

}  // namespace devreset::engine
