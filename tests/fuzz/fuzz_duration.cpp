// Fuzz target for duration parsing: any text parses or says why not; what parses prints
// back in a form that parses to the same duration.
#include <cstdint>
#include <string>
#include <string_view>

#include "io/duration.hpp"
#include "io/text.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace devreset;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto d = io::parse_duration(text, &error);
  if (!d) {
    FUZZ_CHECK(!error.empty());
    FUZZ_CHECK(io::is_valid_utf8(error));
    FUZZ_CHECK(io::find_control_char(error) == std::string::npos);
    return 0;
  }
  FUZZ_CHECK(d->count() >= 0);
  auto printed = io::format_duration(*d);
  auto back = io::parse_duration(printed);
  FUZZ_CHECK(back.has_value() && *back == *d);
  return 0;
}
