// What AM and IDM answer alike (CREST): the error body, and the paged query result with its
// opaque cookies.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "sim/http_types.hpp"

namespace devreset::sim {

/// {"code":404,"reason":"Not Found","message":...}
outcome crest_error(int status, std::string_view message);

/// A paging cookie holding an offset (base64 of 8 bytes), and back; nullopt for a cookie
/// this sim did not make.
std::string encode_cookie(std::uint64_t offset);
std::optional<std::uint64_t> decode_cookie(std::string_view cookie);

/// The query parameters of paging.
struct page_request {
  std::size_t page_size = 0;          ///< _pageSize (0: everything)
  std::optional<std::string> cookie;  ///< _pagedResultsCookie
  std::size_t offset = 0;             ///< _pagedResultsOffset (without a cookie)
  bool exact_total = false;           ///< _totalPagedResultsPolicy=EXACT
  /// IDM's way: the cookie is written percent-encoded in the answer's JSON (as real AIC
  /// tenants write it: "fHwAAAAAAJiWlA%3D%3D%3A0"), and `cookie` is what the client's
  /// query decodes to. AM's cookies are written raw.
  bool encoded_cookie = false;
};

/// One page of `total` items as a CREST query result (result, resultCount,
/// pagedResultsCookie, totalPagedResultsPolicy, totalPagedResults, remainingPagedResults);
/// `item(i)` makes the i-th. A cookie this sim did not make: a 400.
outcome query_page(std::size_t total, const page_request& p,
                   const std::function<boost::json::value(std::size_t)>& item);

}  // namespace devreset::sim
