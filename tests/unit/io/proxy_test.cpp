// Proxy URLs, NO_PROXY lists and the choice between --proxy and the environment, as curl's
// users expect them.
#include <gtest/gtest.h>

#include <cstdlib>

#include "io/proxy.hpp"

namespace devreset::io {
namespace {

proxy_config parsed(std::string_view url) {
  auto p = parse_proxy(url);
  if (auto* why = std::get_if<std::string>(&p)) ADD_FAILURE() << url << ": " << *why;
  return std::holds_alternative<proxy_config>(p) ? std::get<proxy_config>(p) : proxy_config{};
}

std::string error_of(std::string_view url) {
  auto p = parse_proxy(url);
  return std::holds_alternative<std::string>(p) ? std::get<std::string>(p) : "";
}

TEST(Proxy, UrlsAsCurlTakesThem) {
  auto p = parsed("http://proxy.corp:3128");
  EXPECT_EQ(p.host, "proxy.corp");
  EXPECT_EQ(p.port, "3128");
  EXPECT_TRUE(p.user.empty());
  EXPECT_EQ(p.basic_auth(), "");
  EXPECT_EQ(parsed("proxy.corp").port, "1080") << "no scheme: http, curl's default port";
  EXPECT_EQ(parsed("proxy.corp").scheme, "http");
  EXPECT_EQ(parsed("http://[::1]:8080/").shown(), "http://[::1]:8080");
  auto c = parsed("http://al%40corp:p%3Ass%20w@proxy:8080");
  EXPECT_EQ(c.user, "al@corp") << "percent-decoded";
  EXPECT_EQ(c.password, "p:ss w");
  EXPECT_EQ(c.basic_auth(), "Basic YWxAY29ycDpwOnNzIHc=");
  EXPECT_EQ(c.shown(), "http://proxy:8080") << "never the credentials";
  EXPECT_NE(error_of("socks5://proxy:1080").find("only http:// and https://"), std::string::npos);
  EXPECT_NE(error_of("http://proxy:3128/path").find("no path"), std::string::npos);
  EXPECT_EQ(error_of("http://user:secret@"), "no host");
  EXPECT_EQ(error_of("http://user:secret@:80").find("secret"), std::string::npos)
      << "an error never holds the URL";
}

TEST(Proxy, NoProxyListsMatchNamesDomainsAddressesAndRanges) {
  EXPECT_TRUE(no_proxy_matches("example.com", "example.com"));
  EXPECT_TRUE(no_proxy_matches("example.com", "tenant.EXAMPLE.com"));
  EXPECT_TRUE(no_proxy_matches(".example.com", "tenant.example.com"));
  EXPECT_TRUE(no_proxy_matches(".example.com", "example.com"));
  EXPECT_FALSE(no_proxy_matches("example.com", "badexample.com")) << "a label, not a suffix";
  EXPECT_FALSE(no_proxy_matches("example.com", "example.com.evil.net"));
  EXPECT_TRUE(no_proxy_matches("foo, bar.org ,10.0.0.0/8", "10.1.2.3"));
  EXPECT_FALSE(no_proxy_matches("10.0.0.0/8", "11.0.0.1"));
  EXPECT_TRUE(no_proxy_matches("127.0.0.1", "127.0.0.1"));
  EXPECT_FALSE(no_proxy_matches("127.0.0.1", "127.0.0.2"));
  EXPECT_TRUE(no_proxy_matches("fd00::/8", "fd12::1"));
  EXPECT_TRUE(no_proxy_matches("[::1]", "::1"));
  EXPECT_TRUE(no_proxy_matches("*", "anything.example"));
  EXPECT_FALSE(no_proxy_matches("", "example.com"));
  EXPECT_FALSE(no_proxy_matches("10.0.0.0/8", "ten.example.com")) << "a range holds addresses";
}

TEST(Proxy, AMalformedRangeIsRefusedNeverMatchesEverything) {
  // Issue 30: "10.0.0.0/" and "10.0.0.0/x" read as /0 matched every IPv4 address.
  for (const char* bad : {"10.0.0.0/", "10.0.0.0/x", "10.0.0.0/33", "10.0.0.0/8x", "10.0.0.0/-1",
                          "fd00::/129", "example.com/8"}) {
    EXPECT_FALSE(no_proxy_matches(bad, "192.168.1.1")) << bad;
    auto why = no_proxy_problem(std::string("foo,") + bad);
    ASSERT_TRUE(why) << bad;
    EXPECT_NE(why->find(std::string("'") + bad + "'"), std::string::npos) << *why;
  }
  EXPECT_EQ(no_proxy_problem("10.0.0.0/8, fd00::/8, [fd00::]/16, .example.com, *, 127.0.0.1"),
            std::nullopt);
  ::setenv("HTTPS_PROXY", "http://env-proxy:3128", 1);
  ::unsetenv("no_proxy");
  ::setenv("NO_PROXY", "10.0.0.0/", 1);
  auto c = choose_proxy("10.1.2.3", std::nullopt, std::nullopt);
  EXPECT_FALSE(c.proxy);
  EXPECT_NE(c.error.find("NO_PROXY: '10.0.0.0/' is no address range"), std::string::npos)
      << c.error;
  ::unsetenv("NO_PROXY");
  ::unsetenv("HTTPS_PROXY");
}

TEST(Proxy, TheOptionWinsOverTheEnvironmentAndNoProxyExempts) {
  ::setenv("HTTPS_PROXY", "http://env-proxy:3128", 1);
  ::unsetenv("https_proxy");
  ::unsetenv("NO_PROXY");
  ::unsetenv("no_proxy");
  auto c = choose_proxy("tenant.example.com", std::nullopt, std::nullopt);
  ASSERT_TRUE(c.proxy);
  EXPECT_EQ(c.proxy->host, "env-proxy");
  EXPECT_EQ(c.from, "HTTPS_PROXY");
  EXPECT_EQ(choose_proxy("t.example.com", std::string("http://opt:1"), std::nullopt).proxy->host,
            "opt");
  EXPECT_FALSE(choose_proxy("t.example.com", std::string(""), std::nullopt).proxy)
      << "--proxy '' turns the environment's off";
  ::setenv("NO_PROXY", ".example.com", 1);
  EXPECT_FALSE(choose_proxy("t.example.com", std::nullopt, std::nullopt).proxy);
  EXPECT_TRUE(choose_proxy("t.example.com", std::nullopt, std::string("other.org")).proxy)
      << "--no-proxy wins over NO_PROXY";
  ::setenv("HTTPS_PROXY", "ftp://x", 1);
  EXPECT_NE(choose_proxy("tenant.org", std::nullopt, std::nullopt).error.find("HTTPS_PROXY: "),
            std::string::npos);
  ::unsetenv("HTTPS_PROXY");
  ::unsetenv("NO_PROXY");
}

}  // namespace
}  // namespace devreset::io
