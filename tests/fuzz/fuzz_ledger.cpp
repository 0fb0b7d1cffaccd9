// Fuzz target for the ledger reader: the resume index of any bytes, in bounded memory, and
// the scan's own accounting consistent with the input.
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>

#include "io/ledger_reader.hpp"
#include "io/ledger_writer.hpp"

#include <boost/json/object.hpp>
#include "tests/fuzz/fuzz_check.hpp"

using namespace devreset;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    // The tenant asked for is the first run record's, so the key is exercised both ways.
    std::string tenant = "https://a.example/am";
    bool first = true;
    io::scan_ledger(std::make_unique<std::istringstream>(text), "fuzz",
                    [&](const boost::json::object& o, std::uint64_t) {
                      const auto* kind = o.if_contains("record");
                      if (!first || kind == nullptr || *kind != "run") return;
                      tenant = io::run_tenant(o);
                      first = false;
                    });
    auto index = io::load_resume_index(std::make_unique<std::istringstream>(text), "fuzz", tenant);
    const auto& scan = index.scan;
    FUZZ_CHECK(scan.valid_bytes <= size);
    // Up to valid_bytes the input is whole records and bad lines; what follows is at most
    // one torn line (no newline in it, unless there were bad lines after the last record).
    FUZZ_CHECK(scan.valid_bytes == 0 || text[scan.valid_bytes - 1] == '\n' ||
               scan.valid_bytes == size);
    std::uint64_t lines = 0;
    for (char c : text)
      lines += c == '\n';
    FUZZ_CHECK(scan.records + scan.bad_lines.size() <= lines + 1);
    for (std::size_t i = 1; i < scan.bad_lines.size(); ++i) {
      FUZZ_CHECK(scan.bad_lines[i - 1] < scan.bad_lines[i]);
    }
    // Reading the same bytes again gives the same index.
    auto again = io::load_resume_index(std::make_unique<std::istringstream>(text), "fuzz", tenant);
    FUZZ_CHECK(again.scan.records == scan.records && again.scan.torn_tail == scan.torn_tail);
    FUZZ_CHECK(again.done.size() == index.done.size());
    // Only runs on the tenant count: none of them, nothing done; every run counted once.
    FUZZ_CHECK(index.runs_here <= index.runs);
    FUZZ_CHECK(index.runs_here > 0 || index.done.size() == 0);
    FUZZ_CHECK(index.other_tenants.size() <= index.runs);
    auto elsewhere = io::load_resume_index(std::make_unique<std::istringstream>(text), "fuzz",
                                           "https://never.example\x02");
    FUZZ_CHECK(elsewhere.runs_here == 0 && elsewhere.done.size() == 0);
  } catch (const io::ledger_error&) {
    FUZZ_CHECK(false);  // a stream in memory never fails to read
  }
  return 0;
}
