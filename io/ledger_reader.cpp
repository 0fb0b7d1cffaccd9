// Reading ledgers back, line by line in bounded memory, and the resume index.
#include "io/ledger_reader.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <fstream>

#include "io/detail/byte_source.hpp"
#include "io/device_type.hpp"
#include "io/ledger_writer.hpp"

namespace devreset::io {

namespace json = boost::json;

bool is_whole_record(std::string_view line) {
  boost::system::error_code ec;
  auto v = json::parse(line, ec);
  return !ec && v.is_object();
}

ledger_scan scan_ledger(const std::filesystem::path& path,
                        const std::function<void(const json::object&, std::uint64_t)>& on_record,
                        std::size_t max_line_bytes) {
  std::error_code fec;
  if (std::filesystem::is_directory(path, fec)) {
    throw ledger_error(fmt::format("ledger {}: is a directory", path.string()));
  }
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*in) throw ledger_error(fmt::format("ledger {}: cannot open for reading", path.string()));
  return scan_ledger(std::move(in), path.string(), on_record, max_line_bytes);
}

ledger_scan scan_ledger(std::unique_ptr<std::istream> in, std::string_view name,
                        const std::function<void(const json::object&, std::uint64_t)>& on_record,
                        std::size_t max_line_bytes) {
  detail::byte_source src(std::move(in));

  ledger_scan scan;
  std::string line;
  std::uint64_t line_no = 0;
  for (;;) {
    line.clear();
    bool too_long = false;
    bool newline = false;
    int c;
    while ((c = src.get()) != detail::byte_source::eof) {
      if (c == '\n') {
        newline = true;
        break;
      }
      if (line.size() < max_line_bytes) {
        line.push_back(static_cast<char>(c));
      } else {
        too_long = true;
      }
    }
    if (src.read_error()) {
      throw ledger_error(fmt::format("ledger {}: read error", name));
    }
    if (!newline && line.empty() && !too_long) break;  // the end
    ++line_no;
    boost::system::error_code ec;
    json::value v;
    if (!too_long) v = json::parse(line, ec);
    if (!too_long && !ec && v.is_object()) {
      ++scan.records;
      scan.valid_bytes = src.consumed();
      on_record(v.get_object(), line_no);
    } else if (!newline) {
      scan.torn_tail = true;  // the last line, cut by a crash while it was written
    } else if (!line.empty()) {
      scan.bad_lines.push_back(line_no);
    }
    if (!newline) break;
  }
  return scan;
}

resume_index load_resume_index(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};
  if (std::filesystem::is_directory(path, ec)) {
    throw ledger_error(fmt::format("ledger {}: is a directory", path.string()));
  }
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*in) throw ledger_error(fmt::format("ledger {}: cannot open for reading", path.string()));
  return load_resume_index(std::move(in), path.string());
}

resume_index load_resume_index(std::unique_ptr<std::istream> in, std::string_view name) {
  resume_index index;
  index.scan = scan_ledger(std::move(in), name, [&](const json::object& o, std::uint64_t) {
    auto rec = o.find("record");
    if (rec == o.end() || rec->value() != "user") return;
    auto user = o.find("user_id");
    auto realm = o.find("realm");
    auto results = o.find("results");
    if (user == o.end() || realm == o.end() || results == o.end()) return;
    if (!user->value().is_string() || !realm->value().is_string() || !results->value().is_array()) {
      return;
    }
    type_set ok;
    for (const auto& r : results->value().get_array()) {
      const auto* x = r.if_object();
      if (x == nullptr) continue;
      auto status = x->find("status");
      auto type = x->find("type");
      if (status == x->end() || type == x->end() || status->value() != "ok") continue;
      if (!type->value().is_string()) continue;
      if (auto t = parse_device_type(type->value().get_string())) ok.add(*t);
    }
    if (!ok.empty()) index.done.add(realm->value().get_string(), user->value().get_string(), ok);
  });
  return index;
}

}  // namespace devreset::io
