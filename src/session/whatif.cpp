#include "session/whatif.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "analysis/statistics.h"
#include "core/clock.h"
#include "core/error.h"
#include "pipeline/detector_options.h"

namespace ys {
namespace {

std::string fmt(double v) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

// Median per-frame milliseconds of detect_batch over `frames`, in the detector's batch size.
void time_pass(Detector& d, const std::vector<Tensor>& frames, size_t count,
               std::vector<double>& per_frame) {
  const size_t b = static_cast<size_t>(std::max(1, d.batch()));
  for (size_t i = 0; i < count; i += b) {
    std::vector<const Tensor*> ptrs;
    for (size_t k = i; k < std::min(count, i + b); ++k) ptrs.push_back(&frames[k]);
    const int64_t t0 = now_ns();
    d.detect_batch(ptrs);
    const double ms = static_cast<double>(now_ns() - t0) / 1e6 / static_cast<double>(ptrs.size());
    for (size_t k = 0; k < ptrs.size(); ++k) per_frame.push_back(ms);
  }
}

// Applies one setting to detector options through the command line's own mapping; returns why
// it cannot be tried, or "".
std::string try_setting(DetectorOptions& o, const Setting& setting, bool gpu_available) {
  const auto& [key, value] = setting;
  if (!is_detector_option(key)) return "the detector takes no " + key + " option";
  if (!gpu_available && detector_option_needs_gpu(key)) return key + "= needs a CUDA device";
  try {
    apply_setting(o, key, value);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

std::string settings_text(const std::vector<Setting>& settings) {
  std::string s;
  for (const auto& [key, value] : settings) s += (s.empty() ? "" : " ") + key + "=" + value;
  return s;
}

}  // namespace

void verify_finding(Finding& f, Detector& baseline, const std::vector<Tensor>& frames,
                    double latency_ms, bool gpu_available) {
  if (f.settings.empty()) return;
  if (frames.empty() || latency_ms <= 0) {
    f.measured_how = "not tried: no frames of the window were kept";
    return;
  }
  DetectorOptions base_o = baseline.options();
  for (const Setting& s : f.baseline_settings) {
    const std::string why = try_setting(base_o, s, gpu_available);
    if (!why.empty()) {
      f.measured_how = "not tried: " + why;
      return;
    }
  }
  DetectorOptions o = base_o;
  for (const Setting& s : f.settings) {
    const std::string why = try_setting(o, s, gpu_available);
    if (!why.empty()) {
      f.measured_how = "not tried: " + why;
      return;
    }
  }
  try {
    std::unique_ptr<Detector> own_base;
    if (!f.baseline_settings.empty()) own_base = std::make_unique<Detector>(base_o);
    Detector& base = own_base ? *own_base : baseline;
    Detector variant(o);
    std::vector<double> warm, base_ms, var_ms;
    const size_t n = frames.size();
    // Three frames of warm-up: a CUDA Graph is captured on a detector's second run.
    time_pass(base, frames, std::min<size_t>(3, n), warm);
    time_pass(variant, frames, std::min<size_t>(3, n), warm);
    // Alternating which runs first cancels slow drift (clocks, other load) between the two.
    for (int round = 0; round < 2; ++round) {
      if (round % 2 == 0) {
        time_pass(base, frames, n, base_ms);
        time_pass(variant, frames, n, var_ms);
      } else {
        time_pass(variant, frames, n, var_ms);
        time_pass(base, frames, n, base_ms);
      }
    }
    const double b = compute_stats(base_ms).median, v = compute_stats(var_ms).median;
    f.measured_gain_pct = 100.0 * (b - v) / latency_ms;
    f.measured_how = "detection " + fmt(b) + " -> " + fmt(v) + " ms per frame with " +
                     settings_text(f.settings) +
                     (f.baseline_settings.empty()
                          ? std::string()
                          : " (" + settings_text(f.baseline_settings) + " on both sides)") +
                     ", median over " + std::to_string(n) +
                     " recorded frames x 2 rounds, alternating";
  } catch (const std::exception& e) {
    f.measured_how = std::string("not tried: ") + e.what();
  }
}

}  // namespace ys
