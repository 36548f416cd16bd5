#include "pipeline/detector_options.h"

#include <array>
#include <charconv>

#include "core/error.h"

namespace ys {
namespace {

struct OptionRow {
  std::string_view key;
  bool needs_gpu;
  void (*set)(DetectorOptions& o, const OptionValues& v, std::string_view key);
};

constexpr std::array kOptionRows = {
    OptionRow{"model", false,
              [](DetectorOptions& o, const OptionValues& v, std::string_view k) {
                o.model = v.get_string(k);
              }},
    OptionRow{"imgsz", false,
              [](DetectorOptions& o, const OptionValues& v, std::string_view k) {
                const std::vector<int> hw = v.get_int_list(k);
                if (hw.empty() || hw.size() > 2)
                  fail(ErrorKind::kInvalidArgument, k, " takes one size or [h, w]");
                o.imgsz_h = hw[0];
                o.imgsz_w = hw.size() > 1 ? hw[1] : hw[0];
              }},
    OptionRow{"batch", false,
              [](DetectorOptions& o, const OptionValues& v, std::string_view k) {
                o.batch = v.get_int(k);
              }},
    OptionRow{"conf", false,
              [](DetectorOptions& o, const OptionValues& v, std::string_view k) {
                o.nms.conf = static_cast<float>(v.get_float(k));
              }},
    OptionRow{"iou", false,
              [](DetectorOptions& o, const OptionValues& v, std::string_view k) {
                o.nms.iou = v.get_float(k);
              }},
    OptionRow{"max_det", false,
              [](DetectorOptions& o, const OptionValues& v, std::string_view k) {
                o.nms.max_det = v.get_int(k);
              }},
    OptionRow{"classes", false,
              [](DetectorOptions& o, const OptionValues& v, std::string_view k) {
                o.nms.classes = v.get_int_list(k);
              }},
    OptionRow{"agnostic_nms", false,
              [](DetectorOptions& o, const OptionValues& v, std::string_view k) {
                o.nms.agnostic = v.get_bool(k);
              }},
    OptionRow{"device", false,
              [](DetectorOptions& o, const OptionValues& v, std::string_view k) {
                o.device = v.get_string(k);
              }},
    OptionRow{"threads", false,
              [](DetectorOptions& o, const OptionValues& v, std::string_view k) {
                o.threads = v.get_int(k);
              }},
    OptionRow{"half", true,
              [](DetectorOptions& o, const OptionValues& v, std::string_view k) {
                o.half = v.get_bool(k);
              }},
    OptionRow{"cuda_graph", true,
              [](DetectorOptions& o, const OptionValues& v, std::string_view k) {
                o.cuda_graph = v.get_bool(k);
              }},
    OptionRow{"gpu_pipeline", true,
              [](DetectorOptions& o, const OptionValues& v, std::string_view k) {
                o.gpu_pipeline = v.get_bool(k);
              }},
    OptionRow{"cudnn_fusion", true,
              [](DetectorOptions& o, const OptionValues& v, std::string_view k) {
                o.cudnn_fusion = v.get_bool(k);
              }},
};

const OptionRow* find_row(std::string_view key) {
  for (const OptionRow& r : kOptionRows)
    if (r.key == key) return &r;
  return nullptr;
}

template <typename T>
bool parse_number(std::string_view text, T& out) {
  const char* end = text.data() + text.size();
  const auto [at, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && at == end;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// One setting's text, read as the type its key asks for.
class SettingText final : public OptionValues {
 public:
  explicit SettingText(std::string_view text) : text_(text) {}

  bool get_bool(std::string_view key) const override {
    if (text_ == "True") return true;
    if (text_ == "False") return false;
    bad(key, "True or False");
  }
  int get_int(std::string_view key) const override {
    int v = 0;
    if (!parse_number(text_, v)) bad(key, "an integer");
    return v;
  }
  double get_float(std::string_view key) const override {
    double v = 0;
    if (!parse_number(text_, v)) bad(key, "a number");
    return v;
  }
  std::string get_string(std::string_view) const override { return std::string(text_); }
  std::vector<int> get_int_list(std::string_view key) const override {
    if (text_ == "None") return {};
    std::string_view s = text_;
    const bool bracketed = s.size() >= 2 && s.front() == '[' && s.back() == ']';
    if (bracketed) s = s.substr(1, s.size() - 2);
    std::vector<int> out;
    for (;;) {
      const size_t comma = s.find(',');
      int v = 0;
      if (!parse_number(trim(s.substr(0, comma)), v)) bad(key, "an int or a list of ints");
      out.push_back(v);
      if (comma == std::string_view::npos) return out;
      s.remove_prefix(comma + 1);
    }
  }

 private:
  [[noreturn]] void bad(std::string_view key, const char* want) const {
    fail(ErrorKind::kInvalidArgument, "'", key, "=", text_, "': ", key, " takes ", want);
  }
  std::string_view text_;
};

}  // namespace

const std::vector<std::string_view>& detector_option_keys() {
  static const std::vector<std::string_view> keys = [] {
    std::vector<std::string_view> k;
    for (const OptionRow& r : kOptionRows) k.push_back(r.key);
    return k;
  }();
  return keys;
}

bool is_detector_option(std::string_view key) {
  return find_row(key) != nullptr;
}

bool detector_option_needs_gpu(std::string_view key) {
  const OptionRow* r = find_row(key);
  return r && r->needs_gpu;
}

void set_detector_option(DetectorOptions& options, std::string_view key,
                         const OptionValues& values) {
  const OptionRow* r = find_row(key);
  if (!r) fail(ErrorKind::kInvalidArgument, "the detector takes no ", key, " option");
  r->set(options, values, key);
}

DetectorOptions detector_options_from(const OptionValues& values) {
  DetectorOptions o;
  for (const OptionRow& r : kOptionRows) r.set(o, values, r.key);
  return o;
}

void apply_setting(DetectorOptions& options, std::string_view key, std::string_view text) {
  set_detector_option(options, key, SettingText(text));
}

}  // namespace ys
