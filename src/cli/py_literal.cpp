#include "cli/py_literal.h"

#include <cctype>
#include <charconv>
#include <cstdlib>

#include "core/error.h"

namespace ys {
namespace {

// Splits at commas outside brackets and quotes; nullopt if a quote or bracket is left open.
std::optional<std::vector<std::string_view>> split_top_level(std::string_view s) {
  std::vector<std::string_view> parts;
  int depth = 0;
  char quote = 0;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '[' || c == '(') {
      ++depth;
    } else if (c == ']' || c == ')') {
      if (--depth < 0) return std::nullopt;
    } else if (c == ',' && depth == 0) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  if (quote || depth) return std::nullopt;
  parts.push_back(s.substr(start));
  return parts;
}

std::optional<Literal> eval_literal(std::string_view text);

// Items of "a, b," (a trailing comma is allowed, as in Python).
std::optional<Literal> eval_sequence(std::string_view inner, Literal::Kind kind) {
  Literal out;
  out.kind = kind;
  if (trim(inner).empty()) return out;
  auto parts = split_top_level(inner);
  if (!parts) return std::nullopt;
  if (parts->size() > 1 && trim(parts->back()).empty()) parts->pop_back();
  for (std::string_view part : *parts) {
    auto item = eval_literal(part);
    if (!item) return std::nullopt;
    out.items.push_back(std::move(*item));
  }
  return out;
}

// A subset of ast.literal_eval: None/True/False (any case), ints, floats, quoted strings, lists
// and tuples of those. nullopt where Python would raise, so the caller keeps the raw text.
std::optional<Literal> eval_literal(std::string_view text) {
  const std::string_view t = trim(text);
  if (t.empty()) return std::nullopt;
  const std::string lower = to_lower(t);
  Literal lit;
  if (lower == "none") {
    lit.kind = Literal::Kind::kNone;
    return lit;
  }
  if (lower == "true" || lower == "false") {
    lit.kind = Literal::Kind::kBool;
    lit.b = lower == "true";
    return lit;
  }
  const char first = t.front(), last = t.back();
  if (t.size() >= 2 && (first == '\'' || first == '"') && last == first) {
    const std::string_view inner = t.substr(1, t.size() - 2);
    if (inner.find(first) != std::string_view::npos) return std::nullopt;
    lit.s = std::string(inner);
    return lit;
  }
  const auto parts = split_top_level(t);
  if (!parts) return std::nullopt;
  if (parts->size() > 1) return eval_sequence(t, Literal::Kind::kTuple);
  if (first == '[' && last == ']')
    return eval_sequence(t.substr(1, t.size() - 2), Literal::Kind::kList);
  if (first == '(' && last == ')') {
    const std::string_view inner = t.substr(1, t.size() - 2);
    const auto inner_parts = split_top_level(inner);
    // "(5)" is only grouping in Python; "()" and "(5,)" are tuples.
    if (inner_parts && inner_parts->size() == 1 && !trim(inner).empty()) return eval_literal(inner);
    return eval_sequence(inner, Literal::Kind::kTuple);
  }
  return eval_number(t);
}

}  // namespace

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::string py_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += cat(i ? ", '" : "'", items[i], "'");
  return out + "]";
}

const char* python_type(const Literal& lit) {
  switch (lit.kind) {
    case Literal::Kind::kNone:
      return "NoneType";
    case Literal::Kind::kBool:
      return "bool";
    case Literal::Kind::kInt:
      return "int";
    case Literal::Kind::kFloat:
      return "float";
    case Literal::Kind::kStr:
      return "str";
    case Literal::Kind::kList:
      return "list";
    case Literal::Kind::kTuple:
      return "tuple";
  }
  return "";
}

std::optional<Literal> eval_number(std::string_view t) {
  if (t.empty()) return std::nullopt;
  size_t pos = (t[0] == '+' || t[0] == '-') ? 1 : 0;
  size_t digits = 0, frac_digits = 0;
  bool is_float = false;
  while (pos < t.size() && std::isdigit(static_cast<unsigned char>(t[pos]))) ++pos, ++digits;
  if (pos < t.size() && t[pos] == '.') {
    is_float = true;
    ++pos;
    while (pos < t.size() && std::isdigit(static_cast<unsigned char>(t[pos]))) ++pos, ++frac_digits;
  }
  if (digits + frac_digits == 0) return std::nullopt;
  if (pos < t.size() && (t[pos] == 'e' || t[pos] == 'E')) {
    is_float = true;
    ++pos;
    if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) ++pos;
    size_t exp_digits = 0;
    while (pos < t.size() && std::isdigit(static_cast<unsigned char>(t[pos]))) ++pos, ++exp_digits;
    if (!exp_digits) return std::nullopt;
  }
  if (pos != t.size()) return std::nullopt;
  const std::string text(t[0] == '+' ? t.substr(1) : t);
  Literal lit;
  if (!is_float) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), lit.i);
    if (ec == std::errc() && end == text.data() + text.size()) {
      lit.kind = Literal::Kind::kInt;
      return lit;
    }
  }
  // Integers too large for long long become floats, which the int checks then refuse by type.
  lit.kind = Literal::Kind::kFloat;
  lit.f = std::strtod(text.c_str(), nullptr);
  return lit;
}

// smart_value: a literal where Python can read one, else the text itself.
Literal smart_value(std::string_view text) {
  if (auto lit = eval_literal(text)) return *lit;
  Literal lit;
  lit.s = std::string(trim(text));
  return lit;
}

// The text a str-typed argument keeps: as typed, less the quotes around it.
std::string as_text(std::string_view text, const Literal& lit) {
  const std::string_view t = trim(text);
  return lit.kind == Literal::Kind::kStr ? lit.s : std::string(t);
}

bool is_sequence(const Literal& lit) {
  return lit.kind == Literal::Kind::kList || lit.kind == Literal::Kind::kTuple;
}

std::optional<std::vector<long long>> int_items(const Literal& lit) {
  if (lit.kind == Literal::Kind::kInt) return std::vector<long long>{lit.i};
  if (!is_sequence(lit)) return std::nullopt;
  std::vector<long long> out;
  for (const Literal& item : lit.items) {
    if (item.kind != Literal::Kind::kInt) return std::nullopt;
    out.push_back(item.i);
  }
  return out;
}

}  // namespace ys
