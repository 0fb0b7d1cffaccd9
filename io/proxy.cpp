// Proxy URLs (Boost.URL), NO_PROXY matching (by hand: curl's rules, which no library here
// implements), and the choice between options and environment.
#include "io/proxy.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "io/text.hpp"

namespace devreset::io {

std::string proxy_config::shown() const {
  const bool v6 = host.find(':') != std::string::npos;
  return fmt::format("{}://{}{}{}:{}", scheme, v6 ? "[" : "", host, v6 ? "]" : "", port);
}

std::string proxy_config::basic_auth() const {
  if (user.empty()) return {};
  const std::string plain = user + ":" + password;
  std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(plain.data()),
                                static_cast<int>(plain.size()));
  out.resize(static_cast<std::size_t>(n));
  return "Basic " + out;
}

std::variant<proxy_config, std::string> parse_proxy(std::string_view url) {
  std::string text(trim_blanks(url));
  if (text.find("://") == std::string::npos) text = "http://" + text;  // as curl takes it
  auto u = boost::urls::parse_uri(text);
  if (!u) return std::string("not a URL");
  proxy_config p;
  p.scheme = std::string(u->scheme());
  std::transform(p.scheme.begin(), p.scheme.end(), p.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (p.scheme != "http" && p.scheme != "https") {
    return fmt::format("a {} proxy: only http:// and https:// proxies are supported",
                       printable(p.scheme, 20));
  }
  if (!u->has_authority() || u->encoded_host().empty()) return std::string("no host");
  if (!(u->encoded_path().empty() || u->encoded_path() == "/") || u->has_query() ||
      u->has_fragment()) {
    return std::string("a proxy URL has no path, query or fragment");
  }
  p.host = u->host_type() == boost::urls::host_type::name ? std::string(u->encoded_host())
                                                          : u->host_address();
  if (u->has_port()) p.port = std::string(u->port());
  if (u->has_userinfo()) {
    p.user = u->user();
    p.password = u->password();
  }
  return p;
}

namespace {

// An address as bytes (4 or 16), or nullopt for a name.
std::optional<std::array<unsigned char, 16>> address_of(std::string_view host, int& family) {
  std::array<unsigned char, 16> b{};
  const std::string h(host);
  if (inet_pton(AF_INET, h.c_str(), b.data()) == 1) {
    family = AF_INET;
    return b;
  }
  if (inet_pton(AF_INET6, h.c_str(), b.data()) == 1) {
    family = AF_INET6;
    return b;
  }
  return std::nullopt;
}

// The prefix length of a range `net/bits`: digits only, at most the address's bits.
std::optional<int> prefix_bits(std::string_view bits, int max) {
  int v = -1;
  auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), v);
  if (bits.empty() || ec != std::errc() || end != bits.data() + bits.size() || v < 0 || v > max)
    return std::nullopt;
  return v;
}

// `10.0.0.0/8` against an address: the first `bits` bits equal.
bool in_network(std::string_view entry, std::string_view host) {
  const auto slash = entry.find('/');
  int fa = 0, fb = 0;
  auto net = address_of(entry.substr(0, slash), fa);
  auto addr = address_of(host, fb);
  if (!net || !addr || fa != fb) return false;
  const int max = fa == AF_INET ? 32 : 128;
  int bits = max;
  if (slash != std::string_view::npos) {
    auto b = prefix_bits(entry.substr(slash + 1), max);
    if (!b) return false;  // no_proxy_problem refuses it before
    bits = *b;
  }
  for (int i = 0; i < bits; ++i) {
    const auto byte = static_cast<std::size_t>(i / 8);
    const auto mask = static_cast<unsigned char>(0x80u >> (i % 8));
    if (((*net)[byte] & mask) != ((*addr)[byte] & mask)) return false;
  }
  return true;
}

bool name_matches(std::string_view entry, std::string_view host) {
  while (!entry.empty() && entry.front() == '.')
    entry.remove_prefix(1);  // ".example.com": the domain and its subdomains, as curl does
  if (entry.empty() || host.size() < entry.size()) return false;
  if (!iequals(host.substr(host.size() - entry.size()), entry)) return false;
  return host.size() == entry.size() || host[host.size() - entry.size() - 1] == '.';
}

}  // namespace

bool no_proxy_matches(std::string_view list, std::string_view host) {
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
  int family = 0;
  const bool is_address = address_of(host, family).has_value();
  while (!list.empty()) {
    const auto comma = list.find(',');
    auto entry = trim_blanks(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (entry == "*") return true;
    if (entry.size() > 2 && entry.front() == '[' && entry.back() == ']') {
      entry = entry.substr(1, entry.size() - 2);
    }
    if (entry.empty()) continue;
    if (is_address ? in_network(entry, host) : name_matches(entry, host)) return true;
  }
  return false;
}

std::optional<std::string> no_proxy_problem(std::string_view list) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    auto entry = trim_blanks(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    const auto slash = entry.find('/');
    if (slash == std::string_view::npos) continue;
    int family = 0;
    auto net = entry.substr(0, slash);
    if (net.size() > 2 && net.front() == '[' && net.back() == ']')
      net = net.substr(1, net.size() - 2);
    if (!address_of(net, family)) {
      return fmt::format("'{}' is no address range (an address, '/', then bits)",
                         printable(entry, 100));
    }
    const int max = family == AF_INET ? 32 : 128;
    if (!prefix_bits(entry.substr(slash + 1), max)) {
      return fmt::format("'{}' is no address range: the bits after '/' are a number from 0 to {}",
                         printable(entry, 100), max);
    }
  }
  return std::nullopt;
}

namespace {

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

}  // namespace

proxy_choice choose_proxy(std::string_view host, const std::optional<std::string>& proxy_option,
                          const std::optional<std::string>& no_proxy_option) {
  proxy_choice c;
  std::optional<std::string> url;
  if (proxy_option) {
    url = proxy_option;
    c.from = "--proxy";
  } else {
    for (const char* name : {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}) {
      if (auto v = env(name); v && !v->empty()) {
        url = v;
        c.from = name;
        break;
      }
    }
  }
  if (!url || trim_blanks(*url).empty()) return c;  // none, or --proxy '' turning it off
  auto no_proxy = no_proxy_option ? no_proxy_option : env("no_proxy");
  if (!no_proxy_option && !no_proxy) no_proxy = env("NO_PROXY");
  if (no_proxy) {
    if (auto why = no_proxy_problem(*no_proxy)) {
      c.from = no_proxy_option ? "--no-proxy" : std::getenv("no_proxy") ? "no_proxy" : "NO_PROXY";
      c.error = fmt::format("{}: {}", c.from, *why);
      return c;
    }
    if (no_proxy_matches(*no_proxy, host)) return c;
  }
  auto parsed = parse_proxy(*url);
  if (auto* why = std::get_if<std::string>(&parsed)) {
    c.error = fmt::format("{}: {}", c.from, *why);
    return c;
  }
  c.proxy = std::get<proxy_config>(std::move(parsed));
  return c;
}

}  // namespace devreset::io
