// The HTTP proxy to reach a tenant through, as curl chooses it: `--proxy URL` (empty: none),
// else HTTPS_PROXY / https_proxy, else ALL_PROXY / all_proxy; and NO_PROXY / no_proxy (or
// `--no-proxy LIST`): hosts reached directly. No I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace devreset::io {

struct proxy_config {
  std::string scheme = "http";  ///< "http" (CONNECT in clear) or "https" (TLS to the proxy)
  std::string host;             ///< a name or an address (IPv6 without brackets)
  std::string port = "1080";    ///< curl's default
  std::string user, password;   ///< percent-decoded; empty user: no credentials
  /// "http://proxy.example.com:3128": the proxy as it may be shown (never the credentials).
  std::string shown() const;
  /// "Basic dXNlcjpwYXNz" for Proxy-Authorization; empty without credentials.
  std::string basic_auth() const;
};

/// A proxy URL as curl takes it: `[http://|https://][user[:password]@]host[:port][/]`.
/// Another scheme (socks5://...), a path, a query or no host: the reason.
std::variant<proxy_config, std::string> parse_proxy(std::string_view url);

/// Whether a NO_PROXY list exempts `host` (a name or an address): entries separated by
/// commas, `*` for every host, a name matching itself and its subdomains (`example.com`, or
/// `.example.com`), an address matching itself, `10.0.0.0/8` or `fd00::/8` matching the
/// addresses in it. Names compare without regard to case.
bool no_proxy_matches(std::string_view list, std::string_view host);

/// Why a NO_PROXY list cannot be used: its first malformed range ("10.0.0.0/", "10.0.0.0/x",
/// "10.0.0.0/33", "example.com/8"), named; nullopt when every entry is well formed. A
/// malformed range is refused, never read as matching every address.
std::optional<std::string> no_proxy_problem(std::string_view list);

/// The proxy for `host`: `proxy_option` when given (an empty one: none), else the
/// environment's; nullopt when `host` is to be reached directly. `from` names the setting
/// it came from (for messages); `error` says why a URL given cannot be used.
struct proxy_choice {
  std::optional<proxy_config> proxy;
  std::string from;   ///< "--proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"
  std::string error;  ///< not empty: the proxy URL given is unusable
};
proxy_choice choose_proxy(std::string_view host, const std::optional<std::string>& proxy_option,
                          const std::optional<std::string>& no_proxy_option);

}  // namespace devreset::io
