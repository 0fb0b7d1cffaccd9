// The completion token of the engine's waits that tell their error instead of throwing it:
// `auto [ec, n] = co_await op(use_tuple);`.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace devreset::engine::detail {

inline constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace devreset::engine::detail
