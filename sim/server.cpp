// The simulated tenant's HTTPS server: an acceptor coroutine and one coroutine per
// connection, on one io_context; the API decisions come from sim::api.
#include "sim/server.hpp"

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <future>
#include <thread>

#include "io/realm_path.hpp"
#include "sim/api.hpp"
#include "sim/tenant_state.hpp"
#include "sim/tls_identity.hpp"

namespace devreset::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

std::string normalised_realm(const std::string& realm) {
  auto r = io::realm_path(realm);
  if (auto* err = std::get_if<io::realm_error>(&r)) throw std::runtime_error(err->reason);
  return std::get<std::string>(r);
}

}  // namespace

struct server::impl {
  options opts;
  tenant_state state;
  api handler;
  tls_identity identity;
  asio::io_context ioc{1};
  ssl::context tls{ssl::context::tls_server};
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  bool stopped = false;

  explicit impl(options o)
      : opts(std::move(o)),
        state(normalised_realm(opts.realm), opts.users, opts.seed),
        handler(opts, state, opts.token),
        identity(opts.cert_file.empty() ? generate_tls_identity()
                                        : load_tls_identity(opts.cert_file, opts.key_file)) {
    if (!opts.device_ages.empty()) {  // dated from now: ages as the test asked, at any date
      std::vector<tenant_state::age_bucket> ages;
      for (const auto& a : opts.device_ages)
        ages.push_back({a.days, a.share});
      state.set_ages(std::move(ages), std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
    }
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    tls.use_certificate_chain(asio::buffer(identity.chain_pem));
    tls.use_private_key(asio::buffer(identity.key_pem), ssl::context::pem);

    boost::system::error_code ec;
    auto address = asio::ip::make_address(
        opts.listen_host == "localhost" ? "127.0.0.1" : opts.listen_host, ec);
    if (ec) throw std::runtime_error(fmt::format("sim: bad listen address '{}'", opts.listen_host));
    tcp::endpoint ep(address, opts.port);
    acceptor.open(ep.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(ep, ec);
    if (ec) {
      throw std::runtime_error(fmt::format("sim: cannot listen on {}:{}: {}", opts.listen_host,
                                           opts.port, ec.message()));
    }
    acceptor.listen(asio::socket_base::max_listen_connections);
    asio::co_spawn(ioc, accept_loop(this), asio::detached);
  }

  static asio::awaitable<void> accept_loop(impl* self) {
    asio::steady_timer backoff(self->ioc);
    for (;;) {
      auto [ec, socket] = co_await self->acceptor.async_accept(use_tuple);
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) co_return;
      if (ec) {  // out of descriptors or the like: wait a moment rather than spin
        backoff.expires_after(std::chrono::milliseconds(20));
        co_await backoff.async_wait(use_tuple);
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      asio::co_spawn(self->ioc, session(self, std::move(socket)), asio::detached);
    }
  }

  using tls_stream = ssl::stream<beast::tcp_stream>;

  // tls-stall: reads what the client sends (its ClientHello) and never answers, until the
  // client gives up or a minute passes.
  static asio::awaitable<void> stall(tcp::socket socket) {
    beast::tcp_stream s(std::move(socket));
    s.expires_after(std::chrono::seconds(60));
    char sink[4096];
    for (;;) {
      auto [ec, n] = co_await s.async_read_some(asio::buffer(sink), use_tuple);
      if (ec) co_return;
    }
  }

  // The answers no parser should accept whole: a 64 MiB body at full speed, a chunked body
  // that never ends (1 KiB every 10 ms), a chunk-size line that never ends (at full speed),
  // header lines that never end (one a millisecond).
  // Each goes on until the client closes the connection (or 10 minutes pass).
  struct endless_answer {
    tls_stream& stream;
    asio::steady_timer pace;
    clock::time_point until = clock::now() + std::chrono::minutes(10);

    asio::awaitable<bool> write(std::string_view bytes) {
      stream.next_layer().expires_after(std::chrono::seconds(30));
      auto [ec, n] = co_await asio::async_write(stream, asio::buffer(bytes), use_tuple);
      co_return !ec;
    }
    asio::awaitable<void> wait(std::chrono::milliseconds d) {
      pace.expires_after(d);
      co_await pace.async_wait(use_tuple);
    }

    asio::awaitable<void> huge_body() {
      if (!co_await write(fmt::format("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                      "Content-Length: {}\r\n\r\n{{\"result\":[",
                                      outcome::huge_body_bytes))) {
        co_return;
      }
      std::string block;
      while (block.size() < 64 * 1024)
        block += R"({"_id":"0123456789abcdef"},)";
      std::uint64_t sent = 11;
      while (sent + block.size() < outcome::huge_body_bytes && clock::now() < until) {
        if (!co_await write(block)) co_return;
        sent += block.size();
      }
      co_await write(std::string(outcome::huge_body_bytes - sent - 2, ' ') + "]}");
    }

    asio::awaitable<void> chunked() {
      if (!co_await write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n"
                          "b\r\n{\"result\":[\r\n")) {
        co_return;
      }
      std::string chunk = "400\r\n";
      while (chunk.size() < 5 + 1024)
        chunk += ' ';
      chunk += "\r\n";
      while (clock::now() < until) {
        if (!co_await write(chunk)) co_return;
        co_await wait(std::chrono::milliseconds(10));
      }
    }

    // A chunk-size line whose extension goes on and on: no chunk ever starts.
    asio::awaitable<void> chunk_extension() {
      if (!co_await write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n10;ext=")) {
        co_return;
      }
      const std::string block(16 * 1024, 'x');
      while (clock::now() < until) {
        if (!co_await write(block)) co_return;
      }
    }

    asio::awaitable<void> headers() {
      if (!co_await write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")) co_return;
      for (std::uint64_t i = 0; clock::now() < until; ++i) {
        if (!co_await write(fmt::format("X-Filler-{}: {:080}\r\n", i, i))) co_return;
        co_await wait(std::chrono::milliseconds(1));
      }
    }
  };

  static asio::awaitable<void> endless(impl* self, tls_stream& stream, const outcome& out) {
    endless_answer e{stream, asio::steady_timer(self->ioc)};
    switch (out.what) {
      case outcome::kind::huge_body:
        co_await e.huge_body();
        break;
      case outcome::kind::endless_chunked:
        co_await e.chunked();
        break;
      case outcome::kind::endless_chunk_ext:
        co_await e.chunk_extension();
        break;
      case outcome::kind::endless_headers:
        co_await e.headers();
        break;
      default:
        break;
    }
  }

  // What the API needs of a request.
  static request_view view_of(const http::request<http::string_body>& req,
                              const std::string& client, const std::string& cookie_name) {
    return {req.method_string(),
            req[http::field::host],
            req.target(),
            req[http::field::authorization],
            req["Accept-API-Version"],
            req[http::field::content_type],
            req.body(),
            client,
            req["X-OpenAM-Username"],
            req["X-OpenAM-Password"],
            req[cookie_name]};
  }

  // An outcome to answer, as an HTTP response.
  static http::response<http::string_body> response_of(outcome& out, unsigned version,
                                                       bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(out.status), version};
    res.set(http::field::content_type, out.content_type);
    if (!out.retry_after.empty()) res.set(http::field::retry_after, out.retry_after);
    if (!out.location.empty()) res.set(http::field::location, out.location);
    for (const auto& [name, value] : out.headers)
      res.set(name, value);
    res.keep_alive(keep_alive);
    res.body() = std::move(out.body);
    res.prepare_payload();
    return res;
  }

  static asio::awaitable<void> session(impl* self, tcp::socket socket) {
    if (self->handler.stall_handshake()) {
      co_await stall(std::move(socket));
      co_return;
    }
    tls_stream stream(beast::tcp_stream(std::move(socket)), self->tls);
    stream.next_layer().expires_after(std::chrono::seconds(10));
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
    if (hec) co_return;

    boost::system::error_code peer_ec;
    const std::string client =
        beast::get_lowest_layer(stream).socket().remote_endpoint(peer_ec).address().to_string();
    beast::flat_buffer buffer{80 * 1024};  // bounded, whatever a client sends
    asio::steady_timer delay(self->ioc);
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(16 * 1024);
      parser.body_limit(64 * 1024);
      stream.next_layer().expires_after(std::chrono::seconds(120));
      auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use_tuple);
      if (rec) break;
      const auto& req = parser.get();

      outcome out =
          self->handler.handle(view_of(req, client, self->opts.cookie_name), clock::now());
      if (out.what == outcome::kind::drop) {
        beast::get_lowest_layer(stream).close();  // no answer, no TLS close_notify
        co_return;
      }
      if (out.what != outcome::kind::answer) {
        co_await endless(self, stream, out);
        beast::get_lowest_layer(stream).close();
        co_return;
      }
      if (out.delay.count() > 0) {
        delay.expires_after(out.delay);
        co_await delay.async_wait(use_tuple);
      }
      auto res = response_of(out, req.version(), req.keep_alive());
      stream.next_layer().expires_after(std::chrono::seconds(30));
      auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
      if (wec || !res.keep_alive()) break;
    }
    stream.next_layer().expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(use_tuple);
  }

  template <class F>
  auto on_server_thread(F f) {
    using result = decltype(f());
    if (!thread.joinable() || std::this_thread::get_id() == thread.get_id() || stopped) {
      return f();
    }
    std::promise<result> done;
    auto fut = done.get_future();
    asio::post(ioc, [&] {
      if constexpr (std::is_void_v<result>) {
        f();
        done.set_value();
      } else {
        done.set_value(f());
      }
    });
    return fut.get();
  }
};

server::server(options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}

server::~server() {
  stop();
}

void server::start() {
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

void server::run(bool until_signal) {
  asio::signal_set signals(impl_->ioc);
  if (until_signal) {
    signals.add(SIGINT);
    signals.add(SIGTERM);
    signals.async_wait([this](boost::system::error_code ec, int) {
      if (!ec) {
        boost::system::error_code ignored;
        impl_->acceptor.close(ignored);
        impl_->ioc.stop();
      }
    });
  }
  impl_->ioc.run();
}

void server::stop() {
  if (!impl_ || impl_->stopped) return;
  asio::post(impl_->ioc, [this] {
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->ioc.stop();
  });
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->stopped = true;
}

std::uint16_t server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

std::string server::url() const {
  auto host = impl_->opts.listen_host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return fmt::format("https://{}:{}", host, port());
}

const std::string& server::token() const {
  return impl_->handler.token();
}
const std::string& server::ca_pem() const {
  return impl_->identity.ca_pem;
}
const std::string& server::realm_path() const {
  return impl_->state.realm_path();
}

std::vector<std::string> server::user_ids() const {
  return impl_->on_server_thread([this] {
    std::vector<std::string> ids;
    ids.reserve(impl_->state.seeded_users());
    for (std::size_t i = 0; i < impl_->state.seeded_users(); ++i) {
      ids.push_back(impl_->state.user_id(i));
    }
    return ids;
  });
}

void server::add_user(const std::string& realm_path, const std::string& id, device_counts counts,
                      const std::string& user_name) {
  impl_->on_server_thread([&] { impl_->state.add_user(realm_path, id, counts, user_name); });
}

std::string server::stats_json() const {
  return impl_->on_server_thread([this] { return impl_->handler.stats_json(); });
}

}  // namespace devreset::sim
