// What each HTTP status and transport outcome means, in one place.
#include "engine/status_table.hpp"

namespace devreset::engine {

std::string_view to_string(transport t) noexcept {
  switch (t) {
    case transport::ok:
      return "ok";
    case transport::connect_failed:
      return "connect failed";
    case transport::timeout:
      return "timeout";
    case transport::dropped:
      return "connection dropped";
    case transport::bad_answer:
      return "unreadable answer";
    case transport::certificate:
      return "certificate refused";
    case transport::proxy_refused:
      return "refused by the proxy";
  }
  return "unknown";
}

meaning meaning_of(const attempt_result& r) noexcept {
  switch (r.how) {
    case transport::ok:
      break;
    case transport::connect_failed:
    case transport::timeout:
    case transport::dropped:
    case transport::bad_answer:
      return meaning::retry;
    case transport::certificate:
    case transport::proxy_refused:
      return meaning::fail;
  }
  const int s = r.status;
  if (s >= 200 && s < 300) return meaning::success;
  switch (s) {
    case 401:
      return meaning::refresh_token;
    case 403:
      return meaning::forbidden;
    case 404:
      return meaning::not_found;
    case 429:
      return meaning::slow_down;
    case 500:
    case 502:
    case 503:
    case 504:
      return meaning::retry;
    case 400:
    case 405:
    case 501:
      return meaning::action_refused;
    default:
      return meaning::fail;
  }
}

}  // namespace devreset::engine
