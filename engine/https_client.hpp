// The HTTPS client of the engine: keep-alive TLS connections to one tenant host, with SNI,
// certificate and host-name verification (system store or a CA file), TCP_NODELAY, TLS
// session resumption across reconnects, and one deadline per request. Beast stays in the
// .cpp; callers see plain types and awaitables.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "engine/request.hpp"
#include "io/proxy.hpp"

namespace devreset::engine {

struct tls_settings {
  std::string ca_file;        ///< PEM CA bundle; empty: the system's trust store
  bool insecure = false;      ///< no verification at all (explicit only, and said loudly)
  std::string proxy_ca_file;  ///< an https:// proxy's CA bundle; empty: the system's store
};

/// Why `ca_file` cannot serve as the CA bundle (not readable, not a regular file, no PEM
/// certificate in it), or nullopt when it can.
std::optional<std::string> ca_file_problem(const std::string& ca_file);

/// What all connections to one tenant share: the TLS context, the resolved addresses,
/// the TLS session to resume, and the counters of connections made.
class https_host {
 public:
  /// Throws std::runtime_error when the CA file cannot be loaded. With `proxy`, every
  /// connection is a CONNECT tunnel through it (over TLS to an https:// proxy), and TLS to
  /// the tenant inside.
  https_host(std::string host, std::string port, tls_settings tls,
             std::optional<io::proxy_config> proxy = std::nullopt);
  ~https_host();
  https_host(const https_host&) = delete;
  https_host& operator=(const https_host&) = delete;

  /// Resolves the host once for all connections. Returns an error text, or empty on success.
  boost::asio::awaitable<std::string> resolve(boost::asio::any_io_executor ex);

  const std::string& host() const;
  /// " through the proxy at http://proxy:3128", or empty without a proxy (for messages).
  std::string via() const;
  /// Tunnels opened through the proxy (one per connection).
  std::uint64_t tunnels() const;
  std::uint64_t connects() const;  ///< TCP+TLS connections made
  std::uint64_t resumed() const;   ///< of which resumed a TLS session

  struct impl;
  impl& get() { return *impl_; }

 private:
  std::unique_ptr<impl> impl_;
};

/// One keep-alive connection, used by one worker at a time. Reconnects when needed.
class https_connection {
 public:
  https_connection(boost::asio::any_io_executor ex, https_host& host);
  ~https_connection();
  https_connection(https_connection&&) noexcept;

  /// Sends one request with the headers of docs/tenant-api.md and reads the answer, all within
  /// `timeout`. A connection that failed or timed out is closed, never reused.
  boost::asio::awaitable<http_answer> send(const planned_request& req, credential cred,
                                           std::chrono::milliseconds timeout);
  /// Sends a request whose headers (beside Host and User-Agent) are exactly `headers`, with
  /// `body` (a JSON body when not empty): AM's sign-in, serverinfo and sign-out. The
  /// credential of send() is not sent.
  boost::asio::awaitable<http_answer> send_plain(http_method method, std::string_view target,
                                                 std::span<const header_field> headers,
                                                 std::string_view body,
                                                 std::chrono::milliseconds timeout);
  /// POSTs an HTML form (application/x-www-form-urlencoded) without a bearer token: the
  /// token endpoint's request.
  boost::asio::awaitable<http_answer> post_form(std::string_view target, std::string form,
                                                std::chrono::milliseconds timeout);
  /// Closes the connection: what is pending on it fails at once; the next request
  /// reconnects. Safe to call while a request is in flight.
  void close();

 private:
  boost::asio::awaitable<http_answer> exchange(std::chrono::milliseconds timeout);
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace devreset::engine
