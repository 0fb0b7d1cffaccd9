// Reading ledgers back, line by line in bounded memory, and the resume index.
#include "io/ledger_reader.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <unordered_set>

#include "io/detail/byte_source.hpp"
#include "io/device_type.hpp"
#include "io/ledger_writer.hpp"
#include "io/tenant_path.hpp"

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

ledger_lines::ledger_lines(std::unique_ptr<std::istream> in, std::string_view name,
                           std::size_t max_line_bytes)
    : src_(std::make_unique<detail::byte_source>(std::move(in))),
      name_(name),
      max_line_bytes_(max_line_bytes) {}

ledger_lines::~ledger_lines() = default;

// One line without its newline; false at the end. `too_long`: cut at max_line_bytes_.
bool ledger_lines::read_line(bool& newline, bool& too_long) {
  line_.clear();
  newline = false;
  too_long = false;
  int c;
  while ((c = src_->get()) != detail::byte_source::eof) {
    if (c == '\n') {
      newline = true;
      break;
    }
    if (line_.size() < max_line_bytes_) {
      line_.push_back(static_cast<char>(c));
    } else {
      too_long = true;
    }
  }
  if (src_->read_error()) throw ledger_error(fmt::format("ledger {}: read error", name_));
  return newline || !line_.empty() || too_long;
}

const json::object* ledger_lines::next() {
  bool newline = false;
  bool too_long = false;
  while (!ended_ && read_line(newline, too_long)) {
    ++line_no_;
    if (!newline) ended_ = true;
    boost::system::error_code ec;
    if (!too_long) value_ = json::parse(line_, ec);
    if (!too_long && !ec && value_.is_object()) {
      ++scan_.records;
      scan_.valid_bytes = src_->consumed();
      return &value_.get_object();
    }
    if (!newline) {
      scan_.torn_tail = true;  // the last line, cut by a crash while it was written
    } else if (!line_.empty()) {
      scan_.bad_lines.push_back(line_no_);
    }
  }
  ended_ = true;
  return nullptr;
}

ledger_scan scan_ledger(std::unique_ptr<std::istream> in, std::string_view name,
                        const std::function<void(const json::object&, std::uint64_t)>& on_record,
                        std::size_t max_line_bytes) {
  ledger_lines lines(std::move(in), name, max_line_bytes);
  while (const auto* o = lines.next())
    on_record(*o, lines.line());
  return lines.scan();
}

std::string run_tenant(const json::object& run) {
  if (const auto* url = run.if_contains("tenant_url"); url != nullptr && url->is_string()) {
    return std::string(url->get_string());
  }
  const auto* host = run.if_contains("tenant");
  if (host == nullptr || !host->is_string() || host->get_string().empty()) return {};
  std::string_view am_path = "/am";
  if (const auto* p = run.if_contains("am_path"); p != nullptr && p->is_string()) {
    am_path = p->get_string();
  }
  // "host" or "host:port", as the first ledgers wrote it.
  std::string_view hp = host->get_string();
  auto colon = hp.rfind(':');
  if (colon == std::string_view::npos || hp.find(':') != colon) {
    return tenant_url(hp, "443", am_path);
  }
  return tenant_url(hp.substr(0, colon), hp.substr(colon + 1), am_path);
}

resume_index load_resume_index(const std::filesystem::path& path, std::string_view tenant) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};
  if (std::filesystem::is_directory(path, ec)) {
    throw ledger_error(fmt::format("ledger {}: is a directory", path.string()));
  }
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*in) throw ledger_error(fmt::format("ledger {}: cannot open for reading", path.string()));
  return load_resume_index(std::move(in), path.string(), tenant);
}

namespace {

// The types of a user record's results that are `ok`.
type_set ok_types(const json::array& results) {
  type_set ok;
  for (const auto& r : results) {
    const auto* x = r.if_object();
    if (x == nullptr) continue;
    auto status = x->find("status");
    auto type = x->find("type");
    if (status == x->end() || type == x->end() || status->value() != "ok") continue;
    if (!type->value().is_string()) continue;
    if (auto t = parse_device_type(type->value().get_string())) ok.add(*t);
  }
  return ok;
}

}  // namespace

resume_index load_resume_index(std::unique_ptr<std::istream> in, std::string_view name,
                               std::string_view tenant) {
  resume_index index;
  std::unordered_set<std::string> runs_here;  // run ids of the runs on `tenant`
  auto on_run = [&](const json::object& o) {
    ++index.runs;
    auto where = run_tenant(o);
    const auto* id = o.if_contains("run_id");
    if (where == tenant && id != nullptr && id->is_string()) {
      ++index.runs_here;
      runs_here.emplace(id->get_string());
      if (auto sel = selection_of(o)) {
        ++index.selection_runs;
        if (!index.selection) index.selection = sel;
      }
    } else if (!where.empty() && index.other_tenants.size() < 16 &&
               std::find(index.other_tenants.begin(), index.other_tenants.end(), where) ==
                   index.other_tenants.end()) {
      index.other_tenants.push_back(std::move(where));
    }
  };
  index.scan = scan_ledger(std::move(in), name, [&](const json::object& o, std::uint64_t) {
    auto rec = o.find("record");
    if (rec == o.end()) return;
    if (rec->value() == "run") return on_run(o);
    if (rec->value() != "user") return;
    const auto* run_id = o.if_contains("run_id");
    const auto* user = o.if_contains("user_id");
    const auto* realm = o.if_contains("realm");
    const auto* results = o.if_contains("results");
    if (run_id == nullptr || user == nullptr || realm == nullptr || results == nullptr) return;
    if (!run_id->is_string() || !user->is_string() || !realm->is_string() || !results->is_array()) {
      return;
    }
    if (!runs_here.contains(std::string(run_id->get_string()))) {
      ++index.users_elsewhere;
      return;
    }
    auto ok = ok_types(results->get_array());
    if (!ok.empty()) index.done.add(realm->get_string(), user->get_string(), ok);
  });
  return index;
}

}  // namespace devreset::io
