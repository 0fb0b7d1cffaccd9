// CSV input (RFC 4180): quoted fields with embedded commas, quotes and newlines, CRLF or
// LF, an optional UTF-8 BOM, a header naming the columns, or a single headerless column.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <vector>

#include "io/detail/byte_source.hpp"
#include "io/detail/readers.hpp"
#include "io/detail/row_builder.hpp"
#include "io/text.hpp"

namespace devreset::io::detail {

namespace {

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
    if (rows_.options().delimiter != 0) sep_ = rows_.options().delimiter;
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
  char delimiter() const override { return sep_; }
  const std::vector<std::string>& ignored_columns() const override { return ignored_; }

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
    if (rows_.options().delimiter == 0) resplit_header();
    bool any_known = false;
    for (const auto& f : rec_.fields)
      any_known = any_known || row_field_of(f).has_value();

    if (!any_known) {
      if (rec_.fields.size() == 1) refuse_near_miss(rec_.fields.front());  // "emial"
      if (rec_.fields.size() > 1) {
        throw input_error(fmt::format(
            "{}:{}: the first row is not a header (expected the column names user_id, "
            "user_name, mail, types, realm) and a file without a header must have a single "
            "column of user ids",
            name_, rec_.line));
      }
      columns_ = 1;
      id_cols_ = {0, -1, -1};
      pending_first_ = true;  // no header: the first record is a row
      return;
    }
    map_columns();
  }

  // A header of one field holding ';' or tabs that split it into known names: the file's
  // separator is that one (a spreadsheet saved in a locale whose lists use ';').
  void resplit_header() {
    if (rec_.fields.size() != 1) return;
    for (char c : {';', '\t'}) {
      std::vector<std::string> parts;
      std::string_view rest = rec_.fields.front();
      if (rest.find(c) == std::string_view::npos) continue;
      bool known = false;
      for (;;) {
        const auto at = rest.find(c);
        parts.emplace_back(trim_blanks(rest.substr(0, at)));
        known = known || row_field_of(parts.back()).has_value();
        if (at == std::string_view::npos) break;
        rest.remove_prefix(at + 1);
      }
      // A tab-separated header of names none of which is known is still a header (of a
      // tab-separated file): said to be no header of devreset's, as its comma version is.
      if (!known && c != '\t') continue;
      sep_ = c;
      rec_.fields = std::move(parts);
      return;
    }
  }

  // A header name that looks like a typo of a column's: an error, with the suggestion.
  void refuse_near_miss(std::string_view name) const {
    if (auto like = near_miss(name)) {
      throw input_error(
          fmt::format("{}:{}: unknown column '{}' in the header: did you mean {}? (known: user_id, "
                      "user_name, mail, types, realm; other columns are ignored)",
                      name_, rec_.line, printable(trim_blanks(name), 40), *like));
    }
  }

  // The header's columns: known names mapped (each once), near misses refused with their
  // suggestion ("type": did you mean types?), other names ignored (an export's extras).
  void map_columns() {
    std::array<int, 5> at{-1, -1, -1, -1, -1};  // by row_field
    for (std::size_t i = 0; i < rec_.fields.size(); ++i) {
      const auto shown = printable(trim_blanks(rec_.fields[i]), 40);
      auto c = row_field_of(rec_.fields[i]);
      if (!c) {
        refuse_near_miss(rec_.fields[i]);
        if (!trim_blanks(rec_.fields[i]).empty())
          ignored_.push_back(std::string(trim_blanks(rec_.fields[i])));
        continue;
      }
      auto& slot = at[static_cast<std::size_t>(*c)];
      if (slot != -1) {
        throw input_error(
            fmt::format("{}:{}: column '{}' appears twice in the header", name_, rec_.line, shown));
      }
      slot = static_cast<int>(i);
    }
    if (at[0] == -1 && at[1] == -1 && at[2] == -1) {
      throw input_error(
          fmt::format("{}:{}: the header names no user (a column user_id, user_name or mail)",
                      name_, rec_.line));
    }
    columns_ = rec_.fields.size();
    id_cols_ = {at[0], at[1], at[2]};
    types_col_ = at[3];
    realm_col_ = at[4];
  }

  input_row to_row(record& r) {
    auto field = [&](int col) -> std::string_view {
      if (col < 0 || static_cast<std::size_t>(col) >= r.fields.size()) return {};
      return r.fields[static_cast<std::size_t>(col)];
    };
    identifiers ids;
    for (std::size_t i = 0; i < ids.size(); ++i)
      ids[i] = std::string(from_spreadsheet_cell(field(id_cols_[i])));  // report's cells
    // For the complaints below: the row's first identifier.
    const auto first = std::find_if(ids.begin(), ids.end(), [](auto& v) { return !v.empty(); });
    std::string id = first == ids.end() ? std::string() : *first;
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
    const auto used = std::count_if(id_cols_.begin(), id_cols_.end(), [](int c) { return c >= 0; });
    if (used == 1) {  // one identifier column: its own words for an empty cell
      const auto k = static_cast<std::size_t>(
          std::find_if(id_cols_.begin(), id_cols_.end(), [](int c) { return c >= 0; }) -
          id_cols_.begin());
      return rows_.from_fields(r.line, static_cast<id_kind>(k), std::move(ids[k]),
                               field(types_col_), field(realm_col_));
    }
    return rows_.from_fields(r.line, std::move(ids), field(types_col_), field(realm_col_));
  }

  // Reads the next non-blank record. Returns false at the end of the input.
  bool read_record(record& r) {
    do {
      begin(r);
      int c;
      while ((c = src_.get()) != byte_source::eof) {
        if (step(r, static_cast<char>(c))) break;
      }
      if (c == byte_source::eof) return end_of_input(r);
    } while (blank_);
    return true;
  }

  // The record parser: a state machine fed one byte at a time (RFC 4180).
  enum class state { field_start, unquoted, quoted, after_quote };

  void begin(record& r) {
    r.fields.clear();
    r.problem.clear();
    r.bytes = 0;
    r.line = line_;
    field_.clear();
    field_quoted_ = false;
    st_ = state::field_start;
    any_ = false;
    blank_ = false;
  }

  // One byte; true when it ended the record (a line end outside quotes).
  bool step(record& r, char ch) {
    any_ = true;
    switch (st_) {
      case state::field_start:
        if (ch == '"') {
          field_quoted_ = true;
          quote_line_ = line_;
          st_ = state::quoted;
          return false;
        }
        return unquoted(r, ch);
      case state::unquoted:
        return unquoted(r, ch);
      case state::quoted:
        if (ch == '"') {
          st_ = state::after_quote;
        } else {
          if (ch == '\n' || (ch == '\r' && src_.peek() != '\n')) ++line_;
          append(r, ch);
        }
        return false;
      case state::after_quote:
        return after_quote(r, ch);
    }
    return false;
  }

  // A ',' ends the field, a line end the record (true), after any field alike; nullopt for
  // any other byte.
  std::optional<bool> separator(record& r, char ch) {
    if (ch == sep_) {
      next_field(r);
      st_ = state::field_start;
      return false;
    }
    if (ch != '\r' && ch != '\n') return std::nullopt;
    end_of_line(ch);
    blank_ = r.fields.empty() && field_.empty() && st_ == state::field_start;
    if (!blank_) finish_field(r);
    return true;
  }

  bool unquoted(record& r, char ch) {
    if (auto ended = separator(r, ch)) return *ended;
    if (ch == '"') note(r, "a quote inside an unquoted field (quote the whole field)");
    append(r, ch);
    st_ = state::unquoted;
    return false;
  }

  bool after_quote(record& r, char ch) {
    if (ch == '"') {  // "" inside quotes: one quote
      append(r, '"');
      st_ = state::quoted;
      return false;
    }
    if (auto ended = separator(r, ch)) return *ended;
    note(r, "unexpected text after a closing quote");
    append(r, ch);
    st_ = state::unquoted;
    return false;
  }

  bool end_of_input(record& r) {
    if (!any_) return false;
    if (st_ == state::quoted) {
      note(r, fmt::format("unterminated quoted field (the quote opened on line {}); the rest of "
                          "the file was read as part of it",
                          quote_line_));
    }
    finish_field(r);
    return true;
  }

  static void note(record& r, std::string_view why) {
    if (r.problem.empty()) r.problem = why;
  }

  // Counts one byte of the row (separators too); false once the row is too long, so a line
  // of gigabytes (or of commas) is read through without being kept.
  bool count(record& r) {
    const std::size_t max_bytes = rows_.options().max_row_bytes;
    if (++r.bytes <= max_bytes) return true;
    if (r.bytes == max_bytes + 1 && r.problem.empty()) {
      r.problem = fmt::format("row longer than {} bytes", max_bytes);
    }
    return false;
  }

  void append(record& r, char c) {
    if (count(r)) field_.push_back(c);
  }

  void finish_field(record& r) {
    std::string_view v = field_;
    if (!field_quoted_) v = trim_blanks(v);
    r.fields.emplace_back(v);
    field_.clear();
    field_quoted_ = false;
  }

  void next_field(record& r) {
    if (count(r)) {
      finish_field(r);
    } else {
      field_.clear();
      field_quoted_ = false;
    }
  }

  void end_of_line(char c) {
    if (c == '\r' && src_.peek() == '\n') src_.get();
    ++line_;
  }

  byte_source src_;
  row_builder rows_;
  std::string name_;
  record rec_;
  std::string field_;  // the field being read, reused across records
  state st_ = state::field_start;
  bool field_quoted_ = false;
  bool any_ = false;    // anything read for this record, separators included
  bool blank_ = false;  // the record read was a blank line
  std::uint64_t quote_line_ = 0;
  std::uint64_t line_ = 1;
  std::size_t columns_ = 1;
  std::array<int, identifier_fields> id_cols_{0, -1, -1};  // user_id, user_name, mail
  int types_col_ = -1;
  int realm_col_ = -1;
  char sep_ = ',';
  std::vector<std::string> ignored_;  // header names that are no field (an export's extras)
  bool pending_first_ = false;
  bool reported_read_error_ = false;
};

}  // namespace

std::unique_ptr<job_reader> make_csv_reader(std::unique_ptr<std::istream> in,
                                            reader_options options, std::string name) {
  return std::make_unique<csv_reader>(std::move(in), std::move(options), std::move(name));
}

}  // namespace devreset::io::detail
