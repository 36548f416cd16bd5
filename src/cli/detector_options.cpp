#include "cli/detector_options.h"

#include "pipeline/detector_options.h"

namespace ys {
namespace {

// The Config's typed values; the parser has already validated every one.
class ConfigValues final : public OptionValues {
 public:
  explicit ConfigValues(const Config& c) : c_(c) {}
  bool get_bool(std::string_view key) const override { return c_.get_bool(key); }
  int get_int(std::string_view key) const override { return c_.get_int(key); }
  double get_float(std::string_view key) const override { return c_.get_float(key); }
  std::string get_string(std::string_view key) const override { return c_.get_string(key); }
  std::vector<int> get_int_list(std::string_view key) const override {
    return c_.get_int_list(key);
  }

 private:
  const Config& c_;
};

}  // namespace

DetectorOptions detector_options(const Config& c) {
  return detector_options_from(ConfigValues(c));
}

}  // namespace ys
