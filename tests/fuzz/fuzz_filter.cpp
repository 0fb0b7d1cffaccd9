// Fuzz target for IDM filters: the sim's parser takes any text without crashing (a filter or a
// reason), and a look-up's filter built from any name parses to exactly one equality on that
// name: no name widens or breaks the filter devreset sends.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "engine/idm_lookup.hpp"
#include "sim/idm_filter.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace devreset;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto any = sim::parse_filter(text);
  if (const auto* why = std::get_if<std::string>(&any)) FUZZ_CHECK(!why->empty());

  const auto built = engine::lookup_filter(io::id_kind::mail, {text, "b@example.com"});
  auto f = sim::parse_filter(built);
  FUZZ_CHECK(std::holds_alternative<sim::filter_node>(f));
  auto keys = sim::equality_keys(std::get<sim::filter_node>(f));
  FUZZ_CHECK(keys && keys->size() == 2);
  FUZZ_CHECK((*keys)[0].first == "mail" && (*keys)[0].second == text);
  FUZZ_CHECK((*keys)[1].second == "b@example.com");
  return 0;
}
