// What summary.json, the console and the page say alike about a figure: whether the profiler's
// overhead stands out of its noise, how layer times were taken on this backend, whether NVML's
// sampling window was long enough to mean anything, and why there are no kernel figures.
#pragma once

#include <string>

#include "analysis/gpu_analysis.h"
#include "analysis/profile_analysis.h"

namespace ys {

// How op and layer times were taken on this backend: host timestamps around each kernel, which
// on an asynchronous GPU backend time the launch, not the work.
std::string op_timing_method(const std::string& backend, bool device_layer_times = false);

// A measured overhead is shown as a number only when it is positive and beyond its noise;
// otherwise as "not measurable: below +/- bound".
bool overhead_measurable(const OverheadResult& o);
double overhead_bound_pct(const OverheadResult& o);

// NVML's utilization is the share of time a kernel ran over its own sample period, which the
// driver sets between 1/6 s and 1 s by product: over a shorter window its readings mostly
// describe the time before the window.
constexpr double kNvmlAveragingMs = 1000;

// The time the NVML samples span, over all devices.
double nvml_window_ms(const GpuAnalysis& g);
bool nvml_window_short(const GpuAnalysis& g);
// CUPTI recorded kernels (profile_detail=detailed); else kernels_why says why not.
bool has_kernel_data(const GpuAnalysis& g);
std::string kernels_why(const GpuAnalysis& g);

}  // namespace ys
