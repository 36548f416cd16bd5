#include "cli/args.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "cli/ultralytics_keys.h"
#include "core/error.h"
#include "core/log.h"

namespace ys {
namespace {

constexpr std::array<std::string_view, 4> kModes = {"predict", "export", "info", "report"};
constexpr std::array<std::string_view, 4> kRefusedModes = {"train", "val", "track", "benchmark"};
constexpr std::array<std::string_view, 4> kRefusedTasks = {"segment", "classify", "pose", "obb"};
constexpr std::array<std::string_view, 3> kSpecialModes = {"help", "version", "checks"};
constexpr std::array<std::string_view, 1> kReportVerbs = {"serve"};
// YOLOv8's largest stride: an input size that is not a multiple of it would be padded anyway.
constexpr int kMaxStride = 32;

template <size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

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

// Python's list repr, which Ultralytics' messages print: ['a', 'b'].
std::string py_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += cat(i ? ", '" : "'", items[i], "'");
  return out + "]";
}

template <size_t N>
std::vector<std::string> to_strings(const std::array<std::string_view, N>& list) {
  return {list.begin(), list.end()};
}

const ArgSpec* find_spec(std::string_view key) {
  for (const ArgSpec& spec : kArgSpecs)
    if (spec.key == key) return &spec;
  return nullptr;
}

bool nullable(const ArgSpec& spec) {
  return spec.default_value == "None";
}

// ---- Values as Python literals (what Ultralytics' smart_value gets from eval) ----

struct Literal {
  enum class Kind { kNone, kBool, kInt, kFloat, kStr, kList, kTuple };
  Kind kind = Kind::kStr;
  bool b = false;
  long long i = 0;
  double f = 0;
  std::string s;
  std::vector<Literal> items;
};

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

std::string join_ints(const std::vector<int>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += cat(i ? sep : "", v[i]);
  return out;
}

// ---- Types: names for the help table, expectations for error messages ----

std::string choices_text(const ArgSpec& spec, const char* sep) {
  std::string out, choices(spec.choices);
  for (size_t start = 0; start <= choices.size();) {
    const size_t bar = std::min(choices.find('|', start), choices.size());
    out += cat(out.empty() ? "" : sep, choices.substr(start, bar - start));
    start = bar + 1;
  }
  return out;
}

std::string type_name(const ArgSpec& spec) {
  std::string name;
  switch (spec.type) {
    case ArgType::kBool:
      name = "bool";
      break;
    case ArgType::kPositiveInt:
      name = spec.max ? cat("int 1..", spec.max) : "int >= 1";
      break;
    case ArgType::kNonNegativeInt:
      name = spec.max ? cat("int 0..", spec.max) : "int >= 0";
      break;
    case ArgType::kPositiveFloat:
      name = "float > 0";
      break;
    case ArgType::kFraction:
      name = "float 0..1";
      break;
    case ArgType::kString:
      name = "str";
      break;
    case ArgType::kChoice:
      name = choices_text(spec, " or ");
      break;
    case ArgType::kImgsz:
      name = "int or [h,w]";
      break;
    case ArgType::kClassList:
      name = "int or [int,...]";
      break;
    case ArgType::kDevice:
      name = "cpu or CUDA ids";
      break;
    case ArgType::kSchedule:
      name = "3-4 ints";
      break;
    case ArgType::kFrameSize:
      name = "WxH";
      break;
    case ArgType::kPort:
      name = "int 0..65535";
      break;
  }
  return nullable(spec) ? name + " or None" : name;
}

std::string expectation(const ArgSpec& spec) {
  std::string what;
  switch (spec.type) {
    case ArgType::kBool:
      return cat("a bool (i.e. '", spec.key, "=True' or '", spec.key, "=False')");
    case ArgType::kPositiveInt:
      what = spec.max ? cat("an int between 1 and ", spec.max) : "an int >= 1";
      break;
    case ArgType::kNonNegativeInt:
      what = spec.max ? cat("an int between 0 and ", spec.max) : "an int >= 0";
      break;
    case ArgType::kPositiveFloat:
      what = "a number > 0";
      break;
    case ArgType::kFraction:
      what = "a number between 0.0 and 1.0";
      break;
    case ArgType::kString:
      what = "a str";
      break;
    case ArgType::kChoice:
      what = cat("one of '", choices_text(spec, "', '"), "'");
      break;
    case ArgType::kImgsz:
      what = "an int or an [h, w] list of ints >= 1";
      break;
    case ArgType::kClassList:
      what = "a class id (int >= 0) or a non-empty list of them";
      break;
    case ArgType::kDevice:
      what = "'cpu', 'cuda', a CUDA device index such as '0' or 'cuda:0', or indices such as '0,1'";
      break;
    case ArgType::kSchedule:
      what = cat("3 or 4 ints 'wait,warmup,active[,repeat]', active >= 1 and the others >= 0, ",
                 "spanning at most ", INT_MAX, " frames (wait + warmup + active x repeat)");
      break;
    case ArgType::kFrameSize:
      what = "'WxH' with W and H >= 1, i.e. '1280x720'";
      break;
    case ArgType::kPort:
      what = "an int between 0 and 65535";
      break;
  }
  if (nullable(spec)) what += " or None";
  if (!spec.default_value.empty() && !nullable(spec))
    what += cat(" (i.e. '", spec.key, "=", spec.default_value, "')");
  return what;
}

[[noreturn]] void bad_type(const ArgSpec& spec, std::string_view text, const Literal& lit) {
  fail(ErrorKind::kInvalidArgument, "'", spec.key, "=", trim(text), "' is of invalid type ",
       python_type(lit), ". '", spec.key, "' must be ", expectation(spec));
}

[[noreturn]] void bad_value(const ArgSpec& spec, std::string_view text) {
  fail(ErrorKind::kInvalidArgument, "'", spec.key, "=", trim(text), "' is an invalid value. '",
       spec.key, "' must be ", expectation(spec));
}

int checked_int(const ArgSpec& spec, std::string_view text, const Literal& lit, long long lo,
                long long hi) {
  if (lit.kind != Literal::Kind::kInt) bad_type(spec, text, lit);
  if (lit.i < lo || lit.i > hi) bad_value(spec, text);
  return static_cast<int>(lit.i);
}

double checked_number(const ArgSpec& spec, std::string_view text, const Literal& lit) {
  if (lit.kind == Literal::Kind::kInt) return static_cast<double>(lit.i);
  if (lit.kind == Literal::Kind::kFloat) return lit.f;
  bad_type(spec, text, lit);
}

std::vector<int> coerce_imgsz(const ArgSpec& spec, std::string_view text, const Literal& lit) {
  const auto sizes = int_items(lit);
  if (!sizes) bad_type(spec, text, lit);
  if (sizes->empty() || sizes->size() > 2) bad_value(spec, text);
  std::vector<int> hw;
  for (long long s : *sizes) {
    if (s < 1 || s > INT_MAX - kMaxStride) bad_value(spec, text);
    hw.push_back(static_cast<int>(s));
  }
  if (hw.size() == 1) hw.push_back(hw[0]);
  std::vector<int> rounded = hw;
  for (int& s : rounded) s = (s + kMaxStride - 1) / kMaxStride * kMaxStride;
  if (rounded != hw)
    log_warn(spec.key, "=", trim(text), " must be multiple of max stride ", kMaxStride,
             ", updating to [", join_ints(rounded, ", "), "]");
  return rounded;
}

// Normalised as Ultralytics' select_device does: 'cuda:0' and '[0, 1]' become '0' and '0,1'.
std::string coerce_device(const ArgSpec& spec, std::string_view text, const Literal& lit) {
  if (lit.kind == Literal::Kind::kNone || lit.kind == Literal::Kind::kBool ||
      lit.kind == Literal::Kind::kFloat)
    bad_type(spec, text, lit);
  std::string device;
  for (char c : to_lower(as_text(text, lit)))
    if (!std::strchr("()[]'\" ", c)) device += c;
  for (size_t at; (at = device.find("cuda:")) != std::string::npos;) device.erase(at, 5);
  if (device == "cpu") return device;
  if (device == "cuda") return "0";
  std::vector<int> ids;
  for (size_t start = 0; start <= device.size();) {
    const size_t comma = std::min(device.find(',', start), device.size());
    const std::string id = device.substr(start, comma - start);
    // Four digits bound stoi and exceed any machine's GPU count.
    const bool digits =
        !id.empty() && id.size() <= 4 &&
        std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) bad_value(spec, text);
    ids.push_back(std::stoi(id));
    start = comma + 1;
  }
  return join_ints(ids, ",");
}

std::vector<int> coerce_schedule(const ArgSpec& spec, std::string_view text, const Literal& lit) {
  // Unquoted it reads as a tuple; quoted, as a str of the same four numbers.
  std::optional<std::vector<long long>> steps = int_items(lit);
  if (lit.kind == Literal::Kind::kStr) steps = int_items(smart_value(cat("[", lit.s, "]")));
  if (!steps) bad_type(spec, text, lit);
  // repeat may be left out, as in torch.profiler.schedule; it defaults to 1.
  if (steps->size() == 3) steps->push_back(1);
  if (steps->size() != 4) bad_value(spec, text);
  std::vector<int> out;
  for (size_t i = 0; i < 4; ++i) {
    const long long min = i == 2 ? 1 : 0;  // an empty active window would record nothing
    if ((*steps)[i] < min || (*steps)[i] > INT_MAX) bad_value(spec, text);
    out.push_back(static_cast<int>((*steps)[i]));
  }
  // Frame counts are ints downstream (a synthetic source makes exactly this many); each step
  // below 2^31 keeps the sum and product exact in 64 bits.
  const long long frames = static_cast<long long>(out[0]) + out[1] +
                           static_cast<long long>(out[2]) * std::max(out[3], 1);
  if (frames > INT_MAX) bad_value(spec, text);
  return out;
}

std::vector<int> coerce_frame_size(const ArgSpec& spec, std::string_view text, const Literal& lit) {
  std::optional<std::vector<long long>> wh;
  if (lit.kind == Literal::Kind::kStr) {
    if (lit.s.empty()) return {};
    const std::string s = to_lower(lit.s);
    const size_t x = s.find('x');
    if (x == std::string::npos) bad_value(spec, text);
    const auto w = eval_number(s.substr(0, x));
    const auto h = eval_number(s.substr(x + 1));
    if (!w || !h || w->kind != Literal::Kind::kInt || h->kind != Literal::Kind::kInt)
      bad_value(spec, text);
    wh = std::vector<long long>{w->i, h->i};
  } else if (is_sequence(lit)) {
    wh = int_items(lit);
  }
  if (!wh) bad_type(spec, text, lit);
  if (wh->size() != 2) bad_value(spec, text);
  for (long long v : *wh)
    if (v < 1 || v > INT_MAX) bad_value(spec, text);
  return {static_cast<int>((*wh)[0]), static_cast<int>((*wh)[1])};
}

// Throws naming the key, the value and what was expected; warns where it corrects (imgsz).
ArgValue coerce(const ArgSpec& spec, std::string_view text) {
  // Only the table has empty defaults; the command line refuses an empty value before this.
  const Literal lit = trim(text).empty() ? Literal{} : smart_value(text);
  if (lit.kind == Literal::Kind::kNone) {
    if (nullable(spec)) return std::monostate{};
    bad_type(spec, text, lit);
  }
  switch (spec.type) {
    case ArgType::kBool:
      if (lit.kind == Literal::Kind::kBool) return lit.b;
      if (lit.kind == Literal::Kind::kInt && (lit.i == 0 || lit.i == 1)) return lit.i == 1;
      if (lit.kind == Literal::Kind::kInt) bad_value(spec, text);
      bad_type(spec, text, lit);
    case ArgType::kPositiveInt:
      return checked_int(spec, text, lit, 1, spec.max ? spec.max : INT_MAX);
    case ArgType::kNonNegativeInt:
      return checked_int(spec, text, lit, 0, spec.max ? spec.max : INT_MAX);
    case ArgType::kPort:
      return checked_int(spec, text, lit, 0, 65535);
    case ArgType::kPositiveFloat: {
      const double v = checked_number(spec, text, lit);
      if (!(v > 0)) bad_value(spec, text);
      return v;
    }
    case ArgType::kFraction: {
      const double v = checked_number(spec, text, lit);
      if (!(v >= 0.0 && v <= 1.0)) bad_value(spec, text);
      return v;
    }
    case ArgType::kString:
      return as_text(text, lit);
    case ArgType::kChoice: {
      const std::string choice = to_lower(as_text(text, lit));
      const std::string choices = cat("|", spec.choices, "|");
      if (choice.empty() || choices.find(cat("|", choice, "|")) == std::string::npos)
        bad_value(spec, text);
      return choice;
    }
    case ArgType::kImgsz:
      return coerce_imgsz(spec, text, lit);
    case ArgType::kClassList: {
      const auto ids = int_items(lit);
      if (!ids) bad_type(spec, text, lit);
      if (ids->empty()) bad_value(spec, text);
      std::vector<int> out;
      for (long long id : *ids) {
        if (id < 0 || id > INT_MAX) bad_value(spec, text);
        out.push_back(static_cast<int>(id));
      }
      return out;
    }
    case ArgType::kDevice:
      return coerce_device(spec, text, lit);
    case ArgType::kSchedule:
      return coerce_schedule(spec, text, lit);
    case ArgType::kFrameSize:
      return coerce_frame_size(spec, text, lit);
  }
  fail(ErrorKind::kInternal, "unhandled type of argument '", spec.key, "'");
}

// ---- Suggestions: difflib.get_close_matches, which Ultralytics uses ----

// SequenceMatcher.ratio() without junk heuristics (they only start at 200 characters).
double similarity(std::string_view a, std::string_view b) {
  size_t matched = 0;
  std::vector<std::array<size_t, 4>> todo = {{0, a.size(), 0, b.size()}};
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  while (!todo.empty()) {
    const auto [alo, ahi, blo, bhi] = todo.back();
    todo.pop_back();
    // Longest common block; ties go to the earliest in a, then in b, as in difflib.
    size_t best_i = alo, best_j = blo, best_k = 0;
    std::fill(prev.begin(), prev.end(), 0);
    for (size_t i = alo; i < ahi; ++i) {
      std::fill(cur.begin(), cur.end(), 0);
      for (size_t j = blo; j < bhi; ++j) {
        if (a[i] != b[j]) continue;
        const size_t k = cur[j + 1] = prev[j] + 1;
        if (k > best_k) best_i = i + 1 - k, best_j = j + 1 - k, best_k = k;
      }
      std::swap(prev, cur);
    }
    if (!best_k) continue;
    matched += best_k;
    if (alo < best_i && blo < best_j) todo.push_back({alo, best_i, blo, best_j});
    if (best_i + best_k < ahi && best_j + best_k < bhi)
      todo.push_back({best_i + best_k, ahi, best_j + best_k, bhi});
  }
  const size_t total = a.size() + b.size();
  return total ? 2.0 * static_cast<double>(matched) / static_cast<double>(total) : 1.0;
}

// Every word the command line accepts as an argument, with the example a suggestion shows.
std::vector<std::pair<std::string, std::string>> suggestion_targets() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const ArgSpec& spec : kArgSpecs) {
    const bool example = !spec.default_value.empty() && !nullable(spec);
    out.emplace_back(spec.key, example ? cat(spec.key, "=", spec.default_value) : cat(spec.key));
  }
  out.emplace_back("task", "task=detect");
  out.emplace_back("mode", "mode=predict");
  out.emplace_back("detect", "detect");
  for (std::string_view w : kModes) out.emplace_back(w, w);
  for (std::string_view w : kSpecialModes) out.emplace_back(w, w);
  return out;
}

std::string unknown_key_message(const std::string& word) {
  std::vector<std::string> examples;
  const auto targets = suggestion_targets();
  for (const std::string& key : similar_keys(word))
    for (const auto& [name, example] : targets)
      if (name == key) examples.push_back(example);
  std::string msg = cat("'", word, "' is not a valid YoloScope argument.");
  if (!examples.empty()) msg += cat(" Similar arguments are i.e. ", py_list(examples), ".");
  return msg;
}

// ---- Command line ----

// Joins what the shell split: brackets first ("imgsz=[640," "480]"), then lone '=' signs
// ("conf" "=" "0.5", "conf=" "0.5", "conf" "=0.5"), as Ultralytics' merge_equals_args does.
std::vector<std::string> merge_args(const std::vector<std::string>& args) {
  std::vector<std::string> joined;
  std::string open;
  int depth = 0;
  for (const std::string& arg : args) {
    for (char c : arg) depth += (c == '[' || c == '(') - (c == ']' || c == ')');
    open += arg;
    if (depth <= 0) {
      joined.push_back(std::move(open));
      open.clear();
      depth = 0;
    }
  }
  if (!open.empty()) joined.push_back(std::move(open));

  std::vector<std::string> merged;
  for (size_t i = 0; i < joined.size(); ++i) {
    const std::string& arg = joined[i];
    const bool has_next = i + 1 < joined.size();
    if (arg == "=" && !merged.empty() && has_next) {
      merged.back() += "=" + joined[++i];
    } else if (arg.size() > 1 && arg.back() == '=' && has_next &&
               joined[i + 1].find('=') == std::string::npos) {
      merged.push_back(arg + joined[++i]);
    } else if (arg.size() > 1 && arg.front() == '=' && !merged.empty()) {
      merged.back() += arg;
    } else {
      merged.push_back(arg);
    }
  }
  return merged;
}

// help, -h, --help, version, -v, checks, check, --checks ... as Ultralytics accepts them.
std::string special_mode(const std::string& arg) {
  std::string word = to_lower(arg);
  if (word.rfind("--", 0) == 0) {
    word.erase(0, 2);
  } else if (word.rfind('-', 0) == 0) {
    word.erase(0, 1);
  }
  for (std::string_view mode : kSpecialModes) {
    const bool singular = mode.back() == 's' && word == mode.substr(0, mode.size() - 1);
    if (word == mode || singular || word == mode.substr(0, 1)) return std::string(mode);
  }
  return "";
}

struct Parser {
  CliCommand cmd;
  std::vector<std::string> errors;

  void set_task(const std::string& task) {
    if (task == "detect") {
      cmd.task = task;
    } else if (contains(kRefusedTasks, task)) {
      errors.push_back(cat("task '", task, "' is not supported: YoloScope does detection only"));
    } else {
      errors.push_back(cat("Invalid 'task=", task, "'. Valid tasks are ['detect']."));
    }
  }

  void set_mode(const std::string& mode) {
    if (contains(kModes, mode)) {
      cmd.mode = mode;
    } else if (contains(kRefusedModes, mode)) {
      errors.push_back(cat("mode '", mode, "' is not supported: YoloScope runs inference only (",
                           "predict, export, info, report)"));
    } else {
      errors.push_back(
          cat("Invalid 'mode=", mode, "'. Valid modes are ", py_list(to_strings(kModes)), "."));
    }
  }

  void set_value(const std::string& key, const std::string& value) {
    if (key == "task") return set_task(std::string(trim(value)));
    if (key == "mode") return set_mode(std::string(trim(value)));
    if (const ForeignKey* foreign = find_foreign_key(key)) {
      if (std::string error = check_foreign_key(*foreign, value); !error.empty())
        errors.push_back(std::move(error));
      return;
    }
    try {
      cmd.config.set(key, value);
    } catch (const Error& e) {
      errors.push_back(e.what());
    }
  }

  void positional(const std::string& arg) {
    if (arg == "detect" || contains(kRefusedTasks, arg)) return set_task(arg);
    if (contains(kModes, arg) || contains(kRefusedModes, arg)) return set_mode(arg);
    const ArgSpec* spec = find_spec(arg);
    if (cmd.mode == "report" && cmd.sub.empty()) {
      if (contains(kReportVerbs, arg)) {
        cmd.sub = arg;
        return;
      }
      if (!spec) {
        errors.push_back(cat("'", arg, "' is not a 'report' sub-command. Valid sub-commands are ",
                             py_list(to_strings(kReportVerbs)), "."));
        return;
      }
    }
    if ((spec && spec->type == ArgType::kBool) || find_foreign_key(arg))
      return set_value(arg, "True");
    if (spec) {
      errors.push_back(cat("'", arg, "' is a valid YoloScope argument but is missing an '=' ",
                           "sign to set its value, i.e. try '", arg, "=", spec->default_value,
                           "'"));
      return;
    }
    errors.push_back(unknown_key_message(arg));
  }

  // Checks between keys, made only once every key is valid on its own.
  void finish() {
    if (!errors.empty()) return;
    Config& config = cmd.config;
    if (cmd.task.empty()) cmd.task = "detect";
    if (cmd.mode.empty()) {
      cmd.mode = "predict";
      log_warn("'mode' argument is missing. Valid modes are ", py_list(to_strings(kModes)),
               ". Using default 'mode=predict'.");
    }
    if (cmd.mode == "report") {
      if (cmd.sub.empty()) {
        errors.push_back(
            "'yolo report' needs a sub-command, i.e. 'yolo report serve "
            "dir=runs/detect/predict/profile'");
      } else if (config.get_string("dir").empty()) {
        errors.push_back(
            "'yolo report serve' needs the profile directory, i.e. "
            "'dir=runs/detect/predict/profile'");
      }
      return;
    }
    if (!config.is_set("model"))
      log_warn("'model' argument is missing. Using default 'model=", config.get_string("model"),
               "'.");
    if (cmd.mode == "predict" && !config.is_set("source"))
      log_warn("'source' argument is missing. Using default 'source=", config.get_string("source"),
               "'.");
    if (cmd.mode == "export" && !config.is_set("format"))
      log_warn("'format' argument is missing. Using default 'format=", config.get_string("format"),
               "'.");
    if (config.get_string("source") == "-" && config.get_int_list("raw_size").empty())
      errors.push_back(
          "'source=-' reads raw BGR frames from stdin and needs their size, i.e. "
          "'raw_size=1280x720'");
    if (config.get_bool("half") && config.get_string("device") == "cpu") {
      // As Ultralytics does: FP16 is a GPU feature, the CPU runs FP32.
      log_warn("'half=True' needs a CUDA device, using 'half=False' on 'device=cpu'.");
      config.values["half"] = false;
    }
  }
};

}  // namespace

Config::Config() {
  for (const ArgSpec& spec : kArgSpecs) values.emplace(spec.key, coerce(spec, spec.default_value));
}

namespace {

template <typename T>
const T& typed(const Config& config, std::string_view key, const char* type) {
  const auto it = config.values.find(key);
  YS_CHECK(it != config.values.end(), "unknown argument '", key, "'");
  const T* value = std::get_if<T>(&it->second);
  YS_CHECK(value, "argument '", key, "' is not a ", type);
  return *value;
}

}  // namespace

bool Config::get_bool(std::string_view key) const {
  return typed<bool>(*this, key, "bool");
}
int Config::get_int(std::string_view key) const {
  return typed<int>(*this, key, "int");
}

double Config::get_float(std::string_view key) const {
  const auto it = values.find(key);
  YS_CHECK(it != values.end(), "unknown argument '", key, "'");
  if (const int* i = std::get_if<int>(&it->second)) return *i;
  return typed<double>(*this, key, "float");
}

const std::string& Config::get_string(std::string_view key) const {
  return typed<std::string>(*this, key, "str");
}

std::vector<int> Config::get_int_list(std::string_view key) const {
  if (is_none(key)) return {};
  return typed<std::vector<int>>(*this, key, "list of ints");
}

bool Config::is_none(std::string_view key) const {
  const auto it = values.find(key);
  YS_CHECK(it != values.end(), "unknown argument '", key, "'");
  return std::holds_alternative<std::monostate>(it->second);
}

bool Config::is_set(std::string_view key) const {
  return given.count(key) > 0;
}

void Config::set(std::string_view key, std::string_view text) {
  const ArgSpec* spec = find_spec(key);
  if (!spec) fail(ErrorKind::kInvalidArgument, unknown_key_message(std::string(key)));
  if (trim(text).empty()) {
    fail(ErrorKind::kInvalidArgument, "missing '", key, "' value",
         spec->default_value.empty() ? std::string()
                                     : cat(", i.e. '", key, "=", spec->default_value, "'"));
  }
  values[std::string(key)] = coerce(*spec, text);
  given.emplace(key);
}

CliCommand parse_command_line(const std::vector<std::string>& args) {
  Parser p;
  if (args.empty()) p.cmd.mode = "help";
  for (std::string arg : merge_args(args)) {
    if (arg.find('=') == std::string::npos) {
      if (std::string special = special_mode(arg); !special.empty()) {
        // As in Ultralytics: a special command runs at once and ignores the rest.
        return CliCommand{"detect", special, "", Config()};
      }
    }
    if (arg.rfind("--", 0) == 0) {
      log_warn("argument '", arg, "' does not require leading dashes '--', updating to '",
               arg.substr(2), "'.");
      arg.erase(0, 2);
    }
    if (arg.size() > 1 && arg.back() == ',') {
      log_warn("argument '", arg, "' does not require trailing comma ',', updating to '",
               arg.substr(0, arg.size() - 1), "'.");
      arg.pop_back();
    }
    if (const size_t eq = arg.find('='); eq != std::string::npos) {
      p.set_value(std::string(trim(std::string_view(arg).substr(0, eq))), arg.substr(eq + 1));
    } else {
      p.positional(arg);
    }
  }
  if (p.cmd.mode == "help") return p.cmd;
  p.finish();
  if (!p.errors.empty()) {
    std::string msg;
    for (const std::string& e : p.errors) msg += e + "\n";
    fail(ErrorKind::kInvalidArgument, msg, "See 'yolo help' for every argument.");
  }
  return p.cmd;
}

void apply_environment(Config& config, const std::function<const char*(const char*)>& getenv) {
  const char* raw = getenv("PROFILING_ENABLED");
  if (!raw || trim(raw).empty()) return;
  const std::string value = to_lower(trim(raw));
  if (value != "true" && value != "false" && value != "1" && value != "0")
    fail(ErrorKind::kInvalidArgument, "'PROFILING_ENABLED=", raw,
         "' is an invalid value. It must be true or false");
  const bool on = value == "true" || value == "1";
  if (config.is_set("profile") && config.get_bool("profile") != on)
    log_warn("PROFILING_ENABLED=", raw, " overrides 'profile=", on ? "False" : "True", "'.");
  config.values["profile"] = on;
  config.given.emplace("profile");
}

std::vector<std::string> similar_keys(const std::string& word) {
  std::vector<std::pair<double, std::string>> scored;
  for (const auto& [name, example] : suggestion_targets()) {
    const double score = similarity(name, word);
    if (score >= 0.6) scored.emplace_back(score, name);
  }
  // heapq.nlargest over (score, name): higher score first, then the larger name.
  std::sort(scored.begin(), scored.end(), std::greater<>());
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < 3; ++i) out.push_back(scored[i].second);
  return out;
}

namespace {

std::string shown_default(const ArgSpec& spec) {
  return spec.default_value.empty() ? "''" : std::string(spec.default_value);
}

}  // namespace

std::string help_text() {
  std::string text =
      "Usage: yolo [TASK] MODE [key=value ...]\n"
      "\n"
      "  TASK  detect (optional; YoloScope does detection only)\n"
      "  MODE  predict, export, info, report serve, help, version or checks\n"
      "  ARGS  key=value pairs overriding the defaults below. Values read as Python literals:\n"
      "        True/False/None, 640, 0.25, [640,480] or 640,480, 'quoted text'.\n"
      "        A bool key alone sets it True: 'yolo predict profile'.\n"
      "\n"
      "Examples:\n"
      "  yolo predict model=yolov8n.onnx source=images/ conf=0.4\n"
      "  yolo predict profile=True device=0 frames=300\n"
      "  yolo export model=yolov8n.yaml format=onnx opset=17\n"
      "  yolo report serve dir=runs/detect/predict/profile port=8080\n"
      "\n"
      "Environment:\n"
      "  PROFILING_ENABLED=true|false overrides profile=\n"
      "\n"
      "Arguments:\n";
  size_t key_w = 3, default_w = 7, type_w = 4;
  for (const ArgSpec& spec : kArgSpecs) {
    key_w = std::max(key_w, spec.key.size());
    default_w = std::max(default_w, shown_default(spec).size());
    type_w = std::max(type_w, type_name(spec).size());
  }
  const auto row = [&](std::string_view key, const std::string& def, const std::string& type,
                       std::string_view help) {
    return cat("  ", key, std::string(key_w - key.size() + 2, ' '), def,
               std::string(default_w - def.size() + 2, ' '), type,
               std::string(type_w - type.size() + 2, ' '), help, "\n");
  };
  text += row("key", "default", "type", "description");
  for (const ArgSpec& spec : kArgSpecs)
    text += row(spec.key, shown_default(spec), type_name(spec), spec.help);
  return text;
}

std::string args_markdown_table() {
  const auto cell = [](std::string_view s) {
    std::string out;
    for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
  };
  std::string table = "| key | default | type | description |\n|---|---|---|---|\n";
  for (const ArgSpec& spec : kArgSpecs)
    table += cat("| `", spec.key, "` | `", cell(shown_default(spec)), "` | ", cell(type_name(spec)),
                 " | ", cell(spec.help), " |\n");
  return table;
}

}  // namespace ys
