// Python literals as Ultralytics' CLI reads argument values (smart_value over ast.literal_eval):
// None, bools, ints, floats, quoted strings, lists and tuples of those, and the text itself
// where Python could read no literal. Also the str helpers (strip, lower, list repr) that its
// messages and rules use, so the argument files agree on them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ys {

struct Literal {
  enum class Kind { kNone, kBool, kInt, kFloat, kStr, kList, kTuple };
  Kind kind = Kind::kStr;
  bool b = false;
  long long i = 0;
  double f = 0;
  std::string s;
  std::vector<Literal> items;
};

// Python's type() name of the literal, as Ultralytics' type errors print it.
const char* python_type(const Literal& lit);

// An int or float literal only; nullopt for anything else.
std::optional<Literal> eval_number(std::string_view t);

// smart_value: a literal where Python can read one, else the text itself.
Literal smart_value(std::string_view text);

// The text a str-typed argument keeps: as typed, less the quotes around it.
std::string as_text(std::string_view text, const Literal& lit);

bool is_sequence(const Literal& lit);

// An int, or a list or tuple of ints only; nullopt otherwise.
std::optional<std::vector<long long>> int_items(const Literal& lit);

std::string to_lower(std::string_view s);
std::string_view trim(std::string_view s);
// Python's list repr, which Ultralytics' messages print: ['a', 'b'].
std::string py_list(const std::vector<std::string>& items);

}  // namespace ys
