// Fuzz target for the input readers (CSV, JSON array, JSON Lines; the format is chosen at
// build time by DEVRESET_FUZZ_FORMAT). Any bytes must give rows or an input_error, never a
// crash; and every row must keep the readers' promises.
#include <boost/url/parse.hpp>

#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <variant>

#include "io/job_reader.hpp"
#include "io/tenant_path.hpp"
#include "io/text.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace devreset;

static bool one_segment(const io::tenant_paths& paths, const io::job& j) {
  auto target = paths.collection(j.realm, j.user_id, io::device_type::oath);
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return false;
  for (auto seg : url->segments())
    if (seg == j.user_id) return true;
  return false;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  io::reader_options opts;
  opts.max_row_bytes = 4 * 1024;  // small limits, so the fuzzer reaches them
  opts.max_id_bytes = 64;
  auto in = std::make_unique<std::istringstream>(
      std::string(reinterpret_cast<const char*>(data), size), std::ios::binary);
  static const io::tenant_paths paths("/am");
  try {
    auto reader =
        io::make_job_reader(std::move(in), io::input_format::DEVRESET_FUZZ_FORMAT, opts, "fuzz");
    std::uint64_t last_line = 0;
    bool fatal = false;
    while (auto row = reader->next()) {
      FUZZ_CHECK(!fatal);  // nothing comes after a fatal row
      if (const auto* j = std::get_if<io::job>(&*row)) {
        FUZZ_CHECK(j->line >= 1 && j->line >= last_line);
        last_line = j->line;
        // The identifier used: the _id, or the user name or mail a look-up will resolve (its
        // filter is built and checked by fuzz_filter).
        const bool by_id = j->kind == io::id_kind::user_id;
        const auto& id = by_id ? j->user_id : j->name;
        FUZZ_CHECK(!id.empty() && id.size() <= opts.max_id_bytes);
        FUZZ_CHECK(io::is_valid_utf8(id));
        FUZZ_CHECK(io::find_control_char(id) == std::string::npos);
        FUZZ_CHECK(by_id || j->user_id.empty());
        FUZZ_CHECK(j->realm.rfind("/realms/root", 0) == 0);
        FUZZ_CHECK(!j->types.empty());
        // An id reaches the tenant as one path segment that decodes back to itself.
        if (by_id) FUZZ_CHECK(one_segment(paths, *j));
      } else {
        const auto& bad = std::get<io::invalid_row>(*row);
        FUZZ_CHECK(bad.line >= 1 && bad.line >= last_line);
        last_line = bad.line;
        FUZZ_CHECK(!bad.reason.empty());
        FUZZ_CHECK(io::is_valid_utf8(bad.reason));  // it goes into the ledger and the terminal
        FUZZ_CHECK(io::find_control_char(bad.reason) == std::string::npos);
        fatal = bad.fatal;
      }
      FUZZ_CHECK(reader->bytes_read() <= size + 3);
    }
  } catch (const io::input_error& e) {
    FUZZ_CHECK(io::is_valid_utf8(e.what()));
  }
  return 0;
}
