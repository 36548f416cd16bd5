// DetectorOptions by the yolo command's key names: the one place where a key such as "threads" or
// "half" meets its field. The CLI builds its detectors through it, reading each key from its
// parsed arguments; the what-if runner (session/whatif.h) applies the settings the advisor
// proposes through it, as the text the command line takes. So the what-if can never try a
// setting that the CLI would spell differently, and a new detector option is one row here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pipeline/detector.h"

namespace ys {

// Where the values come from: the CLI's parsed arguments, or one setting's text. The getters take
// the key so that a source can say which one it could not read.
class OptionValues {
 public:
  virtual ~OptionValues() = default;
  virtual bool get_bool(std::string_view key) const = 0;
  virtual int get_int(std::string_view key) const = 0;
  virtual double get_float(std::string_view key) const = 0;
  virtual std::string get_string(std::string_view key) const = 0;
  virtual std::vector<int> get_int_list(std::string_view key) const = 0;  // None gives {}
};

// The keys that set a DetectorOptions field, one row each in detector_options.cpp.
const std::vector<std::string_view>& detector_option_keys();
bool is_detector_option(std::string_view key);
// Options that only act on a CUDA device (half, cuda_graph, gpu_pipeline, cudnn_fusion).
bool detector_option_needs_gpu(std::string_view key);

// Sets `key`'s field from `values`. Throws Error(kInvalidArgument) for a key that is no option.
void set_detector_option(DetectorOptions& options, std::string_view key,
                         const OptionValues& values);
// Every key of detector_option_keys() from `values`.
DetectorOptions detector_options_from(const OptionValues& values);

// One `key=value` with the value as the command line writes it: True or False, an integer, a
// decimal, an int list ("[640, 480]", or one int for imgsz), None for no list. Throws
// Error(kInvalidArgument) naming the key and the text when either is not understood.
void apply_setting(DetectorOptions& options, std::string_view key, std::string_view text);

}  // namespace ys
