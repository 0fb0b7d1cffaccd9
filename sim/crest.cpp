// CREST's error body and paged query results.
#include "sim/crest.hpp"

#include <openssl/evp.h>
#include <boost/beast/http/status.hpp>
#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>

namespace devreset::sim {

namespace json = boost::json;
namespace urls = boost::urls;

namespace {

// The standard reason phrase ("Service Unavailable"), from Beast's table; "" if unknown.
std::string_view reason_phrase(int status) {
  auto phrase =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  return phrase == "<unknown-status>" ? std::string_view() : std::string_view(phrase);
}

}  // namespace

outcome crest_error(int status, std::string_view message) {
  outcome o;
  o.status = status;
  o.body = json::serialize(
      json::object{{"code", status}, {"reason", reason_phrase(status)}, {"message", message}});
  return o;
}

std::string encode_cookie(std::uint64_t offset) {
  unsigned char raw[8];
  for (int i = 0; i < 8; ++i)
    raw[i] = static_cast<unsigned char>(offset >> (56 - 8 * i));
  unsigned char out[16] = {};
  int n = EVP_EncodeBlock(out, raw, 8);
  return std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
}

std::optional<std::uint64_t> decode_cookie(std::string_view cookie) {
  if (cookie.size() != 12) return std::nullopt;
  unsigned char out[12] = {};
  if (EVP_DecodeBlock(out, reinterpret_cast<const unsigned char*>(cookie.data()), 12) != 9) {
    return std::nullopt;
  }
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | out[i];
  return v;
}

outcome query_page(std::size_t total, const page_request& p,
                   const std::function<json::value(std::size_t)>& item) {
  std::size_t offset = p.offset;
  if (p.cookie && !p.cookie->empty()) {
    auto v = decode_cookie(*p.cookie);
    if (!v) return crest_error(400, "Invalid _pagedResultsCookie");
    offset = static_cast<std::size_t>(*v);
  }
  const std::size_t page = p.page_size > 0 ? p.page_size : total;
  const std::size_t end = std::min(total, offset + page);
  json::array result;
  for (std::size_t k = offset; k < end; ++k)
    result.push_back(item(k));
  json::object answer;
  answer["result"] = std::move(result);
  answer["resultCount"] = end > offset ? end - offset : 0;
  if (end < total) {
    auto cookie = encode_cookie(end);
    answer["pagedResultsCookie"] =
        p.encoded_cookie ? std::string(urls::encode(cookie, urls::unreserved_chars)) : cookie;
  } else {
    answer["pagedResultsCookie"] = nullptr;
  }
  answer["totalPagedResultsPolicy"] = p.exact_total ? "EXACT" : "NONE";
  answer["totalPagedResults"] = p.exact_total ? static_cast<std::int64_t>(total) : -1;
  answer["remainingPagedResults"] = -1;
  outcome o;
  o.body = json::serialize(answer);
  return o;
}

}  // namespace devreset::sim
