// A small blocking HTTPS client for integration tests: real TLS with certificate and host
// name verification against a given CA, keep-alive, one request at a time.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <string>

namespace devreset::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;

struct reply {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string retry_after;
};

class test_client {
 public:
  /// Connects to 127.0.0.1:`port` and verifies the server as `host` against `ca_pem`.
  test_client(std::uint16_t port, const std::string& ca_pem, std::string host = "127.0.0.1")
      : tls_(make_context(ca_pem)), stream_(ioc_, tls_), host_(std::move(host)) {
    // The stream copies the context's verify mode when it is made: set it up before.
    stream_.set_verify_callback(ssl::host_name_verification(host_));
    SSL_ctrl(stream_.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             host_.data());  // SNI (the macro form has a C cast)
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    stream_.next_layer().connect(ep);
    stream_.handshake(ssl::stream_base::client);
  }

  reply send(http::verb method, const std::string& target, const std::string& token,
             std::string body = {}, bool api_version = true) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, host_);
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (api_version) req.set("Accept-API-Version", "resource=1.0");
    if (method == http::verb::post) {
      req.set(http::field::content_type, "application/json");
      req.body() = std::move(body);
    }
    req.keep_alive(true);
    req.prepare_payload();
    http::write(stream_, req);
    http::response<http::string_body> res;
    http::read(stream_, buffer_, res);
    return reply{static_cast<int>(res.result_int()), res.body(),
                 std::string(res[http::field::content_type]),
                 std::string(res[http::field::retry_after])};
  }

  reply get(const std::string& target, const std::string& token = {}) {
    return send(http::verb::get, target, token);
  }
  reply post(const std::string& target, const std::string& token) {
    return send(http::verb::post, target, token, "{}");
  }
  reply del(const std::string& target, const std::string& token) {
    return send(http::verb::delete_, target, token);
  }

 private:
  static ssl::context make_context(const std::string& ca_pem) {
    ssl::context ctx(ssl::context::tls_client);
    ctx.add_certificate_authority(asio::buffer(ca_pem));
    ctx.set_verify_mode(ssl::verify_peer);
    return ctx;
  }

  asio::io_context ioc_;
  ssl::context tls_;
  ssl::stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::string host_;
};

}  // namespace devreset::test
