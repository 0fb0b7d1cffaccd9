// The hostile modes: what a broken tenant, or what stands in front of it, answers.
#include "sim/hostile.hpp"

#include "sim/crest.hpp"
#include "sim/random.hpp"

namespace devreset::sim {

namespace {

// A gateway's HTML error page, as nginx writes it.
outcome gateway_page() {
  outcome o;
  o.status = 502;
  o.content_type = "text/html";
  o.body =
      "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
      "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
      "</body>\r\n</html>\r\n";
  return o;
}

outcome with_retry_after(int status, std::string_view message, std::string retry_after) {
  auto o = crest_error(status, message);
  o.retry_after = std::move(retry_after);
  return o;
}

// What one per-request mode answers.
outcome answer_of(hostile mode) {
  outcome o;
  switch (mode) {
    case hostile::huge:
      o.what = outcome::kind::huge_body;
      break;
    case hostile::chunked:
      o.what = outcome::kind::endless_chunked;
      break;
    case hostile::chunk_ext:
      o.what = outcome::kind::endless_chunk_ext;
      break;
    case hostile::headers:
      o.what = outcome::kind::endless_headers;
      break;
    case hostile::retry_year:
      return with_retry_after(429, "Too Many Requests", "31536000");
    case hostile::retry_garbage:
      return with_retry_after(503, "Service Unavailable", "soon, maybe; try 10 minutes or so");
    case hostile::result_false:
      o.body = R"({"result":false})";
      break;
    case hostile::html:
      return gateway_page();
    case hostile::bad_json:
      o.body = R"({"result":true,"_id":"dev)";
      break;
    case hostile::redirect:
      o.status = 302;
      o.content_type = "text/html";
      o.location = "https://login.elsewhere.example/am/XUI/?goto=%2Fam%2Fjson";
      o.body = "<html><body>Moved</body></html>";
      break;
    case hostile::controls:
      // U+009B is a CSI on xterm-likes; U+202E reverses what follows; U+2066 isolates.
      return crest_error(400,
                         "Bad \xC2\x9B"
                         "31m request \xE2\x80\xAE"
                         "desrever \xE2\x81\xA6"
                         "x");
    case hostile::tls_stall:
      break;  // per connection: stall_handshake()
  }
  return o;
}

}  // namespace

std::optional<hostile> parse_hostile(std::string_view name) noexcept {
  for (std::size_t i = 0; i < hostile_count; ++i) {
    if (hostile_names[i] == name) return static_cast<hostile>(i);
  }
  return std::nullopt;
}

hostile_modes::hostile_modes(const std::array<double, hostile_count>& rates) : rates_(rates) {
  for (std::size_t i = 0; i < hostile_count; ++i) {
    if (static_cast<hostile>(i) != hostile::tls_stall) per_request_ += rates[i];
  }
}

bool hostile_modes::stall_handshake(std::mt19937_64& rng) {
  const auto i = static_cast<std::size_t>(hostile::tls_stall);
  if (rates_[i] <= 0 || draw(rng) >= rates_[i]) return false;
  ++seen_[i];
  return true;
}

std::optional<outcome> hostile_modes::answer(std::mt19937_64& rng) {
  if (per_request_ <= 0) return std::nullopt;
  double u = draw(rng);
  for (std::size_t i = 0; i < hostile_count; ++i) {
    if (static_cast<hostile>(i) == hostile::tls_stall) continue;
    if (u >= rates_[i]) {
      u -= rates_[i];
      continue;
    }
    ++seen_[i];
    auto o = answer_of(static_cast<hostile>(i));
    o.hostile = true;
    return o;
  }
  return std::nullopt;
}

boost::json::object hostile_modes::json() const {
  boost::json::object o;
  for (std::size_t i = 0; i < hostile_count; ++i) {
    if (seen_[i] > 0) o[hostile_names[i]] = seen_[i];
  }
  return o;
}

}  // namespace devreset::sim
