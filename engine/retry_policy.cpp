// Retry decisions, backoff with full jitter, Retry-After parsing.
#include "engine/retry_policy.hpp"

#include "engine/status_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <ostream>

namespace devreset::engine {

std::ostream& operator<<(std::ostream& os, const decision& d) {
  switch (d.what) {
    case decision::kind::done:
      return os << "done";
    case decision::kind::retry:
      return os << "retry after " << d.wait.count() << "ms";
    case decision::kind::refresh_token:
      return os << "refresh token";
    case decision::kind::not_found:
      return os << "not found";
    case decision::kind::give_up:
      return os << "give up: " << d.reason;
  }
  return os;
}

namespace {

// The reason phrases of RFC 9110 (and 429 of RFC 6585); "" if unknown. A table here rather
// than Beast's obsolete_reason(), which would tie the decision code (and its fuzzer) to the
// separately compiled Beast library.
// clang-format off
std::string_view status_phrase(int status) {
  switch (status) {
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    default: return "";
  }
}
// clang-format on

}  // namespace

std::string describe(const attempt_result& r) {
  if (r.how != transport::ok) return std::string(to_string(r.how));
  auto phrase = status_phrase(r.status);
  return phrase.empty() ? fmt::format("HTTP {}", r.status) : fmt::format("{} {}", r.status, phrase);
}

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ')
    value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::chrono::milliseconds(std::chrono::hours(24 * 365 * 30));
    long secs = 0;
    for (char c : value)
      secs = secs * 10 + (c - '0');
    return std::chrono::seconds(secs);
  }
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  std::string text(value);
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  // In seconds: a date past 2262 does not fit the clock's nanoseconds (found by fuzzing).
  const long long when = timegm(&tm);
  const long long now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (when <= now_s) return std::chrono::milliseconds(0);
  constexpr long long far = 30LL * 365 * 24 * 3600;  // anything further is "far"
  return std::chrono::seconds(std::min(when - now_s, far));
}

std::chrono::milliseconds retry_policy::backoff(int attempt, double random01) const {
  double ceiling =
      static_cast<double>(config_.backoff_base.count()) * std::pow(2.0, std::max(0, attempt - 1));
  ceiling = std::min(ceiling, static_cast<double>(config_.backoff_cap.count()));
  return std::chrono::milliseconds(static_cast<std::int64_t>(ceiling * random01));
}

decision retry_policy::decide(const attempt_result& r, int attempt, bool token_refreshed,
                              std::chrono::system_clock::time_point now, double random01) const {
  auto retry = [&](std::chrono::milliseconds wait) {
    if (attempt >= config_.max_attempts) {
      return decision{
          decision::kind::give_up,
          {},
          fmt::format("{} after {} attempt{}", describe(r), attempt, attempt == 1 ? "" : "s")};
    }
    return decision{decision::kind::retry, wait, {}};
  };

  switch (meaning_of(r)) {
    case meaning::success:
      return decision{decision::kind::done, {}, {}};
    case meaning::retry:
    case meaning::slow_down: {
      auto wait = backoff(attempt, random01);
      if (auto ra = parse_retry_after(r.retry_after, now)) {
        wait = std::max(wait, std::min(*ra, config_.retry_after_cap));
      }
      return retry(wait);
    }
    case meaning::refresh_token:
      if (!token_refreshed) return decision{decision::kind::refresh_token, {}, {}};
      return decision{decision::kind::give_up, {}, describe(r) + " (after a token refresh)"};
    case meaning::not_found:
      return decision{decision::kind::not_found, {}, describe(r)};
    case meaning::forbidden:
    case meaning::action_refused:
    case meaning::fail:
      break;
  }
  return decision{decision::kind::give_up, {}, describe(r)};
}

}  // namespace devreset::engine
