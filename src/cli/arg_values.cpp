#include "cli/arg_values.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <optional>

#include "cli/py_literal.h"
#include "core/error.h"
#include "core/log.h"

namespace ys {
namespace {

// YOLOv8's largest stride: an input size that is not a multiple of it would be padded anyway.
constexpr int kMaxStride = 32;

std::string join_ints(const std::vector<int>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += cat(i ? sep : "", v[i]);
  return out;
}

std::string choices_text(const ArgSpec& spec, const char* sep) {
  std::string out, choices(spec.choices);
  for (size_t start = 0; start <= choices.size();) {
    const size_t bar = std::min(choices.find('|', start), choices.size());
    out += cat(out.empty() ? "" : sep, choices.substr(start, bar - start));
    start = bar + 1;
  }
  return out;
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

}  // namespace

const ArgSpec* find_spec(std::string_view key) {
  for (const ArgSpec& spec : kArgSpecs)
    if (spec.key == key) return &spec;
  return nullptr;
}

bool nullable(const ArgSpec& spec) {
  return spec.default_value == "None";
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

}  // namespace ys
