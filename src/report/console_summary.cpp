#include "report/console_summary.h"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "report/report_figures.h"

namespace ys {
namespace {

// Kernel names from templates run to hundreds of characters; the console gets their start.
std::string short_name(const std::string& name, size_t max = 48) {
  return name.size() <= max ? name : name.substr(0, max - 3) + "...";
}

// The inference stage part by part. Means, because they add up as each frame's parts do; the
// median inference is given beside the mean it is compared with.
std::string inference_parts_console(const GpuAnalysis& g) {
  const GpuInferenceParts& p = g.inference_parts;
  if (p.parts.empty()) return "";
  std::ostringstream os;
  os << std::fixed << std::setprecision(3) << "  GPU inference part by part (means of " << p.frames
     << " traced frames; each frame's parts add up to its inference):";
  for (size_t i = 0; i < p.parts.size(); ++i) {
    std::string name = p.parts[i].name;
    std::replace(name.begin(), name.end(), '_', ' ');
    os << (i ? " + " : " ") << name << " " << p.parts[i].ms.mean << " ms (" << std::setprecision(1)
       << p.parts[i].share_pct << "%)" << std::setprecision(3);
  }
  os << " = " << p.sum_ms << " ms, " << std::setprecision(1) << p.coverage_pct
     << "% of the mean inference " << std::setprecision(3) << p.inference_ms.mean << " ms (median "
     << p.inference_ms.median << " ms); the host spent " << p.launch_calls_ms.median
     << " ms (median) in launch calls; the layers add up to " << p.layers_per_frame_mean_ms
     << " ms per frame, their medians to " << g.layer_sum_ms << " ms\n";
  return os.str();
}

std::string gpu_console(const GpuAnalysis& g) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(2);
  if (!g.available) {
    os << "  GPU: not available: " << (g.why.empty() ? "no GPU data was recorded" : g.why) << "\n";
    return os.str();
  }
  os << "  GPU: " << g.device.name << " (" << g.mode << (g.cuda_graph ? ", CUDA Graph" : "")
     << "): " << g.layer_sum_ms << " ms per frame on the device over " << g.frames
     << " traced frames (" << std::setprecision(1) << g.layer_sum_vs_inference_pct
     << "% of inference)";
  if (has_kernel_data(g)) {
    os << ", busy " << g.busy_pct << "%, launch-bound " << g.launch_bound_pct << "%, "
       << std::setprecision(0) << g.kernels_per_frame.median << " kernels/frame; "
       << std::setprecision(3) << g.launch_latency_ms << " ms from launch to first kernel, "
       << g.sync_latency_ms << " ms from last kernel to the host\n";
    os << inference_parts_console(g);
    os << std::setprecision(2) << "  GPU top kernels:";
    for (size_t i = 0; i < g.top_kernels.size() && i < 3; ++i) {
      const GpuKernelStat& k = g.top_kernels[i];
      os << "  " << short_name(k.name) << " ("
         << (k.layer_label.empty() ? "no layer" : k.layer_label) << ") "
         << k.total_ms / static_cast<double>(std::max<int64_t>(1, g.frames)) << " ms/frame, "
         << std::setprecision(1) << k.share_pct << "%" << std::setprecision(2);
    }
    os << "\n  GPU copies:";
    if (g.copies.empty()) os << " none";
    for (const GpuCopyStat& c : g.copies) {
      os << "  " << c.direction << " " << c.bytes_per_frame / 1048576.0 << " MiB/frame " << c.memory
         << " " << c.ms_per_frame << " ms (" << std::setprecision(1) << c.gbs << " GB/s)"
         << std::setprecision(2);
    }
    os << "; host waits " << g.host_wait_ms_per_frame << " ms/frame\n";
  } else {
    os << "\n  GPU kernels: not available: " << kernels_why(g) << "\n";
  }
  if (g.nvml) {
    os << std::setprecision(0) << "  GPU NVML: utilization " << g.gpu_util_mean_pct << "% mean";
    if (nvml_window_short(g)) {
      os << std::setprecision(2) << " (over " << nvml_window_ms(g) / 1e3
         << " s, shorter than NVML's averaging period of up to 1 s: not this window's figure"
         << (has_kernel_data(g) ? "; CUPTI's busy time above is this window's" : "") << ")"
         << std::setprecision(0);
    }
    os << ", memory " << g.mem_used_max_mib << " MiB max, SM clock " << g.sm_clock_min_mhz << "-"
       << g.sm_clock_max_mhz << " MHz, " << g.temperature_max_c << " C max, " << g.power_max_w
       << " W max";
    if (g.power_limit_w > 0) os << " (limit " << g.power_limit_w << " W)";
    os << std::setprecision(1) << ", throttled in " << g.throttled_pct << "% of samples";
    if (!g.throttle_reasons.empty()) os << " (" << g.throttle_reasons << ")";
    os << "\n";
  } else {
    os << "  GPU NVML: not available: "
       << (g.nvml_why.empty() ? "NVML was not sampled" : g.nvml_why) << "\n";
  }
  return os.str();
}

}  // namespace

std::string console_summary(const ProfileAnalysis& a, const ModelInfo& model, const RunInfo& run,
                            const std::string& report_dir, const GpuAnalysis* gpu) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(2);
  os << "\nProfile of " << model.name << (model.synthetic_weights ? " (SYNTHETIC weights)" : "")
     << ": " << a.frames_measured << " frames measured, median latency " << a.latency.median
     << " ms (p99 " << a.latency.p99 << " ms, jitter " << a.latency.stddev << " ms)\n";
  for (const std::string& note : run.notes) os << "  Note: " << note << "\n";
  if (run.backend.rfind("cuda", 0) == 0)
    os << "  Note: layer times are " << op_timing_method(run.backend, a.device_layer_times) << "\n";
  os << "  Stages:";
  for (const auto& s : a.stages)
    os << "  " << s.name << " " << s.ms.median << " ms (" << std::setprecision(1) << s.share_pct
       << "%)" << std::setprecision(2);
  // A profile of several devices times no layers: no model or layer line then.
  if (!a.model_stages.empty())
    os << "\n  Model (share of the " << a.share_basis_ms << " ms inference median):";
  for (const auto& s : a.model_stages) {
    os << "  " << stage_name(s.stage) << " " << s.ms.median << " ms (" << std::setprecision(1)
       << s.share_pct << "%)" << std::setprecision(2);
  }
  if (!a.top_layers.empty()) os << "\n  Slowest layers:";
  for (size_t i = 0; i < a.top_layers.size() && i < 3; ++i) {
    for (const auto& l : a.layers) {
      if (l.id == a.top_layers[i])
        os << "  " << l.label << " " << l.ms.median << " ms (" << std::setprecision(1)
           << l.share_pct << "%)" << std::setprecision(2);
    }
  }
  os << "\n  Memory: arena " << static_cast<double>(a.arena_bytes) / 1048576.0
     << " MiB (planner peak; " << static_cast<double>(a.naive_bytes) / 1048576.0
     << " MiB without reuse), RSS peak " << static_cast<double>(a.rss_peak_bytes) / 1048576.0
     << " MiB\n";
  if (gpu) os << gpu_console(*gpu);
  // Measured against noise, plus the calibrated floor: a negative or noisy figure on a busy
  // machine must not read as a claim.
  if (overhead_measurable(a.overhead)) {
    os << "  Profiler overhead: " << a.overhead.pct << "% +/- " << a.overhead.noise_pct
       << "% measured over " << a.overhead.pairs << " traced/untraced frame pairs";
  } else if (a.overhead.measured) {
    os << "  Profiler overhead: not measurable: below +/-" << overhead_bound_pct(a.overhead)
       << "% (the noise of " << a.overhead.pairs << " traced/untraced frame pairs)";
  } else if (a.overhead.frames >= 4 && a.top_layers.empty()) {
    os << "  Profiler overhead: not measured (no frame's ops were traced)";
  } else {
    os << "  Profiler overhead: not measured (needs at least 4 active frames)";
  }
  os << "; hook cost " << std::setprecision(0) << a.overhead.hook_cost_ns << " ns per op";
  if (a.overhead.measured)
    os << " = " << std::setprecision(3) << a.overhead.estimated_pct << "% of inference";
  os << "\n" << std::setprecision(2);
  os << "  Report: " << report_dir << "/report.html\n";
  return os.str();
}

}  // namespace ys
