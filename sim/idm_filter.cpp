// A recursive-descent parser of CREST query filters, and their evaluation.
#include "sim/idm_filter.hpp"

#include "io/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace devreset::sim {

namespace {

constexpr int max_depth = 64;  // nesting a filter may have
constexpr std::size_t max_length = 64 * 1024;

struct token {
  enum class kind { end, open, close, bang, string, word };
  kind what = kind::end;
  std::string text;  // string: decoded; word: as written
  std::size_t at = 0;
};

bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '/' || c == '_' || c == '.' ||
         c == '-' || c == '+';
}

class parser {
 public:
  explicit parser(std::string_view text) : text_(text) { advance(); }

  filter_node parse() {
    auto f = disjunction(0);
    if (tok_.what != token::kind::end) fail("unexpected text");
    return f;
  }

 private:
  [[noreturn]] void fail(std::string_view what) {
    throw std::runtime_error(fmt::format("{} at position {}", what, tok_.at + 1));
  }

  void advance() {
    while (pos_ < text_.size() && text_[pos_] == ' ')
      ++pos_;
    tok_ = token{};
    tok_.at = pos_;
    if (pos_ == text_.size()) return;
    const char c = text_[pos_];
    if (c == '(' || c == ')' || c == '!') {
      tok_.what = c == '(' ? token::kind::open : c == ')' ? token::kind::close : token::kind::bang;
      ++pos_;
    } else if (c == '"') {
      read_string();
    } else if (word_char(c)) {
      tok_.what = token::kind::word;
      while (pos_ < text_.size() && word_char(text_[pos_]))
        tok_.text += text_[pos_++];
    } else {
      fail(fmt::format("unexpected character '{}'", c));
    }
  }

  void read_string() {
    tok_.what = token::kind::string;
    ++pos_;  // the opening quote
    for (;;) {
      if (pos_ >= text_.size()) fail("unterminated string");
      const char c = text_[pos_++];
      if (c == '"') return;
      if (c == '\\') {
        if (pos_ >= text_.size()) fail("unterminated string");
        tok_.text += text_[pos_++];  // a backslash keeps the next character
        continue;
      }
      tok_.text += c;
    }
  }

  bool keyword(std::string_view k) const {
    return tok_.what == token::kind::word && io::iequals(tok_.text, k);
  }

  filter_node group(filter_node::kind k, filter_node first, filter_node (parser::*next)(int),
                    std::string_view word, int depth) {
    if (!keyword(word)) return first;
    filter_node f;
    f.what = k;
    f.children.push_back(std::move(first));
    while (keyword(word)) {
      advance();
      f.children.push_back((this->*next)(depth));
    }
    return f;
  }

  filter_node disjunction(int depth) {
    if (depth > max_depth) fail("filter nested too deep");
    return group(filter_node::kind::any_of, conjunction(depth), &parser::conjunction, "or", depth);
  }

  filter_node conjunction(int depth) {
    return group(filter_node::kind::all_of, negation(depth), &parser::negation, "and", depth);
  }

  filter_node negation(int depth) {
    if (depth > max_depth) fail("filter nested too deep");
    if (tok_.what != token::kind::bang) return primary(depth);
    advance();
    filter_node f;
    f.what = filter_node::kind::negation;
    f.children.push_back(negation(depth + 1));
    return f;
  }

  filter_node primary(int depth) {
    if (tok_.what == token::kind::open) {
      advance();
      auto f = disjunction(depth + 1);
      if (tok_.what != token::kind::close) fail("expected ')'");
      advance();
      return f;
    }
    if (tok_.what != token::kind::word) fail("expected a field, true or false");
    filter_node f;
    if (keyword("true") || keyword("false")) {
      f.literal = keyword("true");
      advance();
      return f;
    }
    f.attribute = tok_.text.front() == '/' ? tok_.text.substr(1) : tok_.text;
    advance();
    return comparison(std::move(f));
  }

  filter_node comparison(filter_node f) {
    if (keyword("pr")) {
      f.what = filter_node::kind::present;
      advance();
      return f;
    }
    static constexpr std::string_view ops[] = {"eq", "co", "sw", "gt", "ge", "lt", "le"};
    const auto op = std::find_if(std::begin(ops), std::end(ops),
                                 [this](std::string_view o) { return keyword(o); });
    if (op == std::end(ops)) fail("expected an operator (eq, co, sw, gt, ge, lt, le, pr)");
    f.what = filter_node::kind::compare;
    f.op = std::string(*op);
    advance();
    if (tok_.what == token::kind::string) {
      f.value = tok_.text;
    } else if (tok_.what == token::kind::word && value_word(tok_.text)) {
      f.value = tok_.text;
      f.value_is_string = false;
    } else {
      fail("expected a value (a \"string\", a number, true or false)");
    }
    advance();
    return f;
  }

  static bool value_word(std::string_view w) {
    if (io::iequals(w, "true") || io::iequals(w, "false")) return true;
    double d = 0;
    auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), d);
    return ec == std::errc() && end == w.data() + w.size();
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  token tok_;
};

bool lower_less(std::string_view a, std::string_view b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) <
           std::tolower(static_cast<unsigned char>(y));
  });
}

bool compare(const filter_node& f, std::string_view v) {
  if (!f.value_is_string) return false;  // every attribute here is a string
  const std::string_view want = f.value;
  if (f.op == "eq") return io::iequals(v, want);
  if (f.op == "sw") return v.size() >= want.size() && io::iequals(v.substr(0, want.size()), want);
  if (f.op == "co") {
    for (std::size_t i = 0; i + want.size() <= v.size(); ++i)
      if (io::iequals(v.substr(i, want.size()), want)) return true;
    return false;
  }
  if (f.op == "lt") return lower_less(v, want);
  if (f.op == "gt") return lower_less(want, v);
  if (f.op == "le") return !lower_less(want, v);
  return !lower_less(v, want);  // ge
}

}  // namespace

std::variant<filter_node, std::string> parse_filter(std::string_view text) {
  if (text.size() > max_length) return std::string("filter too long");
  try {
    parser p(text);
    return p.parse();
  } catch (const std::runtime_error& e) {
    return std::string(e.what());
  }
}

bool matches(const filter_node& f, const attribute_lookup& attribute) {
  switch (f.what) {
    case filter_node::kind::literal:
      return f.literal;
    case filter_node::kind::negation:
      return !matches(f.children.front(), attribute);
    case filter_node::kind::any_of:
      return std::any_of(f.children.begin(), f.children.end(),
                         [&](const filter_node& c) { return matches(c, attribute); });
    case filter_node::kind::all_of:
      return std::all_of(f.children.begin(), f.children.end(),
                         [&](const filter_node& c) { return matches(c, attribute); });
    case filter_node::kind::present:
      return attribute(f.attribute).has_value();
    case filter_node::kind::compare: {
      auto v = attribute(f.attribute);
      return v && compare(f, *v);
    }
  }
  return false;
}

std::optional<std::vector<std::pair<std::string, std::string>>> equality_keys(
    const filter_node& f) {
  using keys = std::vector<std::pair<std::string, std::string>>;
  switch (f.what) {
    case filter_node::kind::compare:
      if (f.op != "eq" || !f.value_is_string) return std::nullopt;
      return keys{{f.attribute, f.value}};
    case filter_node::kind::any_of: {
      keys all;
      for (const auto& c : f.children) {
        auto k = equality_keys(c);
        if (!k) return std::nullopt;  // one part needs a scan: all of it does
        all.insert(all.end(), k->begin(), k->end());
      }
      return all;
    }
    case filter_node::kind::all_of:
      for (const auto& c : f.children)
        if (auto k = equality_keys(c)) return k;  // a match needs this part anyway
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

}  // namespace devreset::sim
