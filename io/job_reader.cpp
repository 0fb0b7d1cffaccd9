// Input format selection and opening of input files.
#include "io/job_reader.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "io/detail/readers.hpp"
#include "io/text.hpp"

namespace devreset::io {

namespace {
constexpr std::string_view origin_prefix = "# devreset: tenant ";
constexpr std::string_view realm_word = " realm ";
}  // namespace

std::string origin_comment(const input_origin& o) {
  return fmt::format("{}{}{}{}", origin_prefix, o.tenant, realm_word, o.realm);
}

std::optional<input_origin> parse_origin_comment(std::string_view line) {
  if (line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
    line.remove_suffix(1);
  if (!line.starts_with(origin_prefix)) return std::nullopt;
  line.remove_prefix(origin_prefix.size());
  auto at = line.rfind(realm_word);
  if (at == std::string_view::npos) return input_origin{std::string(line), {}};
  return input_origin{std::string(line.substr(0, at)),
                      std::string(line.substr(at + realm_word.size()))};
}

std::optional<input_format> parse_input_format(std::string_view name) {
  if (iequals(name, "csv")) return input_format::csv;
  if (iequals(name, "json")) return input_format::json;
  if (iequals(name, "jsonl") || iequals(name, "ndjson")) return input_format::jsonl;
  return std::nullopt;
}

std::string_view to_string(id_kind k) noexcept {
  switch (k) {
    case id_kind::user_id:
      return "user_id";
    case id_kind::user_name:
      return "user_name";
    case id_kind::mail:
      return "mail";
  }
  return "user_id";
}

std::string_view to_string(input_format f) noexcept {
  switch (f) {
    case input_format::csv:
      return "csv";
    case input_format::json:
      return "json";
    case input_format::jsonl:
      return "jsonl";
  }
  return "unknown";
}

input_format format_from_extension(const std::filesystem::path& path) {
  auto ext = path.extension().string();
  if (iequals(ext, ".csv") || iequals(ext, ".txt") || iequals(ext, ".tsv"))
    return input_format::csv;  // a tab-separated file: its header's tabs say so
  if (iequals(ext, ".json")) return input_format::json;
  if (iequals(ext, ".jsonl") || iequals(ext, ".ndjson")) return input_format::jsonl;
  throw input_error(fmt::format(
      "{}: cannot tell the input format from the extension '{}' (.csv, .tsv, .txt, .json, "
      ".jsonl are known): name it with --input-format csv|json|jsonl",
      path.string(), ext));
}

std::unique_ptr<job_reader> make_job_reader(std::unique_ptr<std::istream> in, input_format format,
                                            reader_options options, std::string name) {
  switch (format) {
    case input_format::csv:
      return detail::make_csv_reader(std::move(in), std::move(options), std::move(name));
    case input_format::json:
      return detail::make_json_array_reader(std::move(in), std::move(options), std::move(name));
    case input_format::jsonl:
      return detail::make_jsonl_reader(std::move(in), std::move(options), std::move(name));
  }
  throw input_error("unknown input format");
}

namespace {

std::string spreadsheet(const std::filesystem::path& path) {
  return fmt::format(
      "{}: is a spreadsheet, not a list of users: save it as CSV (UTF-8) (\"Save as\", \"CSV "
      "UTF-8\") and give that file",
      path.string());
}

// A spreadsheet by its first bytes, whatever its name: a zip (.xlsx, .ods) or an OLE compound
// file (.xls). Regular files only: a pipe cannot be read twice.
void sniff_spreadsheet(std::istream& in, const std::filesystem::path& path) {
  char magic[4] = {};
  in.read(magic, 4);
  const std::string_view head(magic, static_cast<std::size_t>(in.gcount()));
  if (head == std::string_view("PK\x03\x04", 4) ||
      head == std::string_view("\xD0\xCF\x11\xE0", 4)) {
    throw input_error(spreadsheet(path));
  }
  in.clear();
  in.seekg(0);
}

}  // namespace

std::unique_ptr<job_reader> open_job_reader(const std::filesystem::path& path,
                                            std::optional<input_format> format,
                                            reader_options options) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec)
    throw input_error(fmt::format("{}: cannot open the input: {}", path.string(), ec.message()));
  if (std::filesystem::is_directory(status)) {
    throw input_error(fmt::format("{}: is a directory, not an input file", path.string()));
  }
  const auto ext = path.extension().string();
  for (const char* sheet : {".xlsx", ".xlsm", ".xls", ".ods", ".numbers"}) {
    if (iequals(ext, sheet)) throw input_error(spreadsheet(path));
  }
  auto fmt_ = format ? *format : format_from_extension(path);
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*in) {
    throw input_error(
        fmt::format("{}: cannot open the input: {}", path.string(), std::strerror(errno)));
  }
  if (std::filesystem::is_regular_file(status)) sniff_spreadsheet(*in, path);
  return make_job_reader(std::move(in), fmt_, std::move(options), path.string());
}

}  // namespace devreset::io
