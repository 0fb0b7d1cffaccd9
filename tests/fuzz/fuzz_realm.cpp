// Fuzz target for realm parsing: any text gives a realm path or a printable reason; a realm
// path is in the tenant's form, parses to itself, and builds request targets that parse.
#include <boost/url/parse.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "io/realm_path.hpp"
#include "io/tenant_path.hpp"
#include "io/text.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace devreset;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = io::realm_path(text);
  if (const auto* err = std::get_if<io::realm_error>(&r)) {
    FUZZ_CHECK(!err->reason.empty());
    FUZZ_CHECK(io::is_valid_utf8(err->reason));
    FUZZ_CHECK(io::find_control_char(err->reason) == std::string::npos);
    return 0;
  }
  const auto& path = std::get<std::string>(r);
  FUZZ_CHECK(path.rfind("/realms/root", 0) == 0);
  auto again = io::realm_path(path);
  FUZZ_CHECK(std::holds_alternative<std::string>(again) && std::get<std::string>(again) == path);
  static const io::tenant_paths paths("/am");
  auto target = paths.query(path, "user", io::device_type::webauthn, 10, "cookie");
  FUZZ_CHECK(boost::urls::parse_origin_form(target).has_value());
  return 0;
}
