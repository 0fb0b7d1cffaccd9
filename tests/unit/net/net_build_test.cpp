// The separately compiled Asio/Beast/SSL target links and works (no sockets used).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/ostream.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

TEST(NetLibrary, SeparatelyCompiledAsioRunsHandlers) {
  asio::io_context ioc;
  int ran = 0;
  asio::post(ioc, [&] { ++ran; });
  asio::post(ioc, [&] { ++ran; });
  EXPECT_EQ(ioc.run(), 2u);
  EXPECT_EQ(ran, 2);
}

TEST(NetLibrary, TlsContextVerifiesPeersWhenAskedTo) {
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  EXPECT_EQ(SSL_CTX_get_verify_mode(ctx.native_handle()), SSL_VERIFY_PEER);
}

TEST(NetLibrary, BeastSerialisesARequest) {
  http::request<http::string_body> req{http::verb::post, "/am/json/x?_action=reset", 11};
  req.set(http::field::host, "tenant.example");
  req.body() = "{}";
  req.prepare_payload();
  std::ostringstream out;
  out << req;
  EXPECT_EQ(out.str(),
            "POST /am/json/x?_action=reset HTTP/1.1\r\nHost: tenant.example\r\n"
            "Content-Length: 2\r\n\r\n{}");
}

}  // namespace
