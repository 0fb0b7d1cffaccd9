// The one translation unit that compiles Asio, Asio SSL and Beast (separate compilation).
// Everything else includes their headers only; see net/CMakeLists.txt.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
