// CSV input (RFC 4180): quoted fields with embedded commas, quotes and newlines, CRLF or
// LF, an optional UTF-8 BOM, a header naming the columns, or a single headerless column.
#include <fmt/format.h>

#include <array>
#include <vector>

#include "io/detail/byte_source.hpp"
#include "io/detail/readers.hpp"
#include "io/detail/row_builder.hpp"
#include "io/text.hpp"

namespace devreset::io::detail {

namespace {

enum class column { user_id, types, realm };

std::optional<column> column_from_header(std::string_view name) {
  name = trim_blanks(name);
  if (iequals(name, "user_id") || iequals(name, "_id") || iequals(name, "id")) {
    return column::user_id;
  }
  if (iequals(name, "types")) return column::types;
  if (iequals(name, "realm")) return column::realm;
  return std::nullopt;
}

// One record as read: its fields, the line it starts on, and the first problem seen.
struct record {
  std::vector<std::string> fields;
  std::uint64_t line = 0;
  std::string problem;
  std::size_t bytes = 0;
};

class csv_reader final : public job_reader {
 public:
  csv_reader(std::unique_ptr<std::istream> in, reader_options options, std::string name)
      : src_(std::move(in)), rows_(std::move(options)), name_(std::move(name)) {
    src_.skip_bom();
    skip_comments();
    read_header();
  }

  std::optional<input_row> next() override {
    if (pending_first_) {
      pending_first_ = false;
      return to_row(rec_);
    }
    if (!read_record(rec_)) {
      if (src_.read_error() && !reported_read_error_) {
        reported_read_error_ = true;
        return row_builder::invalid(line_, {}, "cannot read the input: I/O error", true);
      }
      return std::nullopt;
    }
    return to_row(rec_);
  }

  std::uint64_t bytes_read() const override { return src_.consumed(); }

 private:
  // Lines that start with '#' before the header are comments (a `report --failed-out`
  // file names its tenant and realm in one); read through, never kept.
  void skip_comments() {
    while (src_.peek() == '#') {
      int c;
      while ((c = src_.get()) != byte_source::eof && c != '\n') {
      }
      ++line_;
    }
  }

  void read_header() {
    if (!read_record(rec_)) return;  // an empty file: no rows
    std::array<int, 3> at{-1, -1, -1};
    bool any_known = false;
    for (const auto& f : rec_.fields)
      any_known = any_known || column_from_header(f).has_value();

    if (!any_known) {
      if (rec_.fields.size() > 1) {
        throw input_error(fmt::format(
            "{}:{}: the first row is not a header (expected the column names user_id, types, "
            "realm) and a file without a header must have a single column of user ids",
            name_, rec_.line));
      }
      columns_ = 1;
      id_col_ = 0;
      pending_first_ = true;  // no header: the first record is a row
      return;
    }
    for (std::size_t i = 0; i < rec_.fields.size(); ++i) {
      auto c = column_from_header(rec_.fields[i]);
      if (!c) {
        throw input_error(fmt::format(
            "{}:{}: unknown column '{}' in the header (known: user_id (or _id, id), types, realm)",
            name_, rec_.line, printable(trim_blanks(rec_.fields[i]), 40)));
      }
      auto& slot = at[static_cast<std::size_t>(*c)];
      if (slot != -1) {
        throw input_error(fmt::format("{}:{}: column '{}' appears twice in the header", name_,
                                      rec_.line, printable(trim_blanks(rec_.fields[i]), 40)));
      }
      slot = static_cast<int>(i);
    }
    if (at[0] == -1) {
      throw input_error(fmt::format("{}:{}: the header has no user id column (user_id, _id or id)",
                                    name_, rec_.line));
    }
    columns_ = rec_.fields.size();
    id_col_ = at[0];
    types_col_ = at[1];
    realm_col_ = at[2];
  }

  input_row to_row(record& r) {
    auto field = [&](int col) -> std::string_view {
      if (col < 0 || static_cast<std::size_t>(col) >= r.fields.size()) return {};
      return r.fields[static_cast<std::size_t>(col)];
    };
    std::string id(field(id_col_));
    if (!r.problem.empty()) return row_builder::invalid(r.line, std::move(id), r.problem);
    if (r.fields.size() > columns_) {
      return row_builder::invalid(
          r.line, std::move(id),
          columns_ == 1 ? fmt::format("too many columns: {} fields in a file of one column of "
                                      "user ids (quote ids that contain commas)",
                                      r.fields.size())
                        : fmt::format("too many columns: {} fields, the header has {}",
                                      r.fields.size(), columns_));
    }
    return rows_.from_fields(r.line, std::move(id), field(types_col_), field(realm_col_));
  }

  // Reads the next non-blank record. Returns false at the end of the input.
  bool read_record(record& r) {
    enum class state { field_start, unquoted, quoted, after_quote };
    for (;;) {
      r.fields.clear();
      r.problem.clear();
      r.bytes = 0;
      r.line = line_;
      std::string& field = field_;
      field.clear();
      bool field_quoted = false;
      std::uint64_t quote_line = 0;
      state st = state::field_start;
      bool any = false;  // anything read for this record, separators included

      const std::size_t max_bytes = rows_.options().max_row_bytes;
      auto note = [&](std::string_view why) {
        if (r.problem.empty()) r.problem = why;
      };
      // Counts one byte of the row (separators too); false once the row is too long, so a
      // line of gigabytes (or of commas) is read through without being kept.
      auto count = [&]() -> bool {
        if (++r.bytes <= max_bytes) return true;
        if (r.bytes == max_bytes + 1 && r.problem.empty()) {
          r.problem = fmt::format("row longer than {} bytes", max_bytes);
        }
        return false;
      };
      auto append = [&](char c) {
        if (count()) field.push_back(c);
      };
      auto finish_field = [&] {
        std::string_view v = field;
        if (!field_quoted) v = trim_blanks(v);
        r.fields.emplace_back(v);
        field.clear();
        field_quoted = false;
      };
      auto next_field = [&] {
        if (count()) {
          finish_field();
        } else {
          field.clear();
          field_quoted = false;
        }
      };
      auto end_of_line = [&](int c) {
        if (c == '\r' && src_.peek() == '\n') src_.get();
        ++line_;
      };

      for (;;) {
        int c = src_.get();
        if (c == byte_source::eof) {
          if (!any) return false;
          if (st == state::quoted) {
            note(
                fmt::format("unterminated quoted field (the quote opened on line {}); the "
                            "rest of the file was read as part of it",
                            quote_line));
          }
          finish_field();
          return true;
        }
        any = true;
        char ch = static_cast<char>(c);
        switch (st) {
          case state::field_start:
            if (ch == '"') {
              field_quoted = true;
              quote_line = line_;
              st = state::quoted;
              break;
            }
            [[fallthrough]];
          case state::unquoted:
            if (ch == ',') {
              next_field();
              st = state::field_start;
            } else if (ch == '\r' || ch == '\n') {
              end_of_line(c);
              bool blank = r.fields.empty() && field.empty() && st == state::field_start;
              if (blank) {
                any = false;  // a blank line is not a row
                r.line = line_;
                continue;
              }
              finish_field();
              return true;
            } else {
              if (ch == '"') note("a quote inside an unquoted field (quote the whole field)");
              append(ch);
              st = state::unquoted;
            }
            break;
          case state::quoted:
            if (ch == '"') {
              st = state::after_quote;
            } else {
              if (ch == '\n' || (ch == '\r' && src_.peek() != '\n')) ++line_;
              append(ch);
            }
            break;
          case state::after_quote:
            if (ch == '"') {
              append('"');
              st = state::quoted;
            } else if (ch == ',') {
              next_field();
              st = state::field_start;
            } else if (ch == '\r' || ch == '\n') {
              end_of_line(c);
              finish_field();
              return true;
            } else {
              note("unexpected text after a closing quote");
              append(ch);
              st = state::unquoted;
            }
            break;
        }
      }
    }
  }

  byte_source src_;
  row_builder rows_;
  std::string name_;
  record rec_;
  std::string field_;  // the field being read, reused across records
  std::uint64_t line_ = 1;
  std::size_t columns_ = 1;
  int id_col_ = 0;
  int types_col_ = -1;
  int realm_col_ = -1;
  bool pending_first_ = false;
  bool reported_read_error_ = false;
};

}  // namespace

std::unique_ptr<job_reader> make_csv_reader(std::unique_ptr<std::istream> in,
                                            reader_options options, std::string name) {
  return std::make_unique<csv_reader>(std::move(in), std::move(options), std::move(name));
}

}  // namespace devreset::io::detail

namespace devreset::io {

bool is_known_csv_column(std::string_view name) {
  return detail::column_from_header(name).has_value();
}

}  // namespace devreset::io
