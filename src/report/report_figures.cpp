#include "report/report_figures.h"

#include <algorithm>
#include <cmath>

namespace ys {

std::string op_timing_method(const std::string& backend, bool device_layer_times) {
  if (device_layer_times) {
    return "the device's own: CUDA events around each layer (CUPTI kernel records in detailed "
           "mode), the launch gap before each kernel included; per-op times are the host's "
           "launch costs, and are not recorded while a CUDA Graph replays the forward";
  }
  if (backend.rfind("cuda", 0) == 0) {
    return "host steady clock around each op's launch: the GPU runs asynchronously, so per-op and "
           "per-layer times are launch costs, not GPU time (the device's own per-layer times are "
           "in the GPU section, summary.json's gpu.layers)";
  }
  return "host steady clock around each op (CPU kernels run synchronously)";
}

bool overhead_measurable(const OverheadResult& o) {
  return o.measured && !o.within_noise && o.pct > 0;
}

double overhead_bound_pct(const OverheadResult& o) {
  return std::max(o.noise_pct, std::fabs(o.pct));
}

double nvml_window_ms(const GpuAnalysis& g) {
  double w = 0;
  for (const NvmlSeries& s : g.series) {
    if (!s.t_ms.empty()) w = std::max(w, s.t_ms.back() - s.t_ms.front());
  }
  return w;
}

bool nvml_window_short(const GpuAnalysis& g) {
  return g.nvml && nvml_window_ms(g) < kNvmlAveragingMs;
}

bool has_kernel_data(const GpuAnalysis& g) {
  return g.mode == "detailed" && g.kernels > 0;
}

std::string kernels_why(const GpuAnalysis& g) {
  if (has_kernel_data(g)) return {};
  if (g.mode != "detailed") {
    return "kernels, copies, gaps and host waits are recorded with profile_detail=detailed "
           "(CUPTI); this run timed layers with CUDA events only";
  }
  return g.why.empty() ? "CUPTI recorded no kernels in the traced frames" : g.why;
}

}  // namespace ys
