// summary.json's "gpu" object: the device, its layers, kernels, copies and NVML counters.
#include <algorithm>
#include <cmath>

#include "core/rounding.h"
#include "report/json_figures.h"
#include "report/report_figures.h"
#include "report/summary_json.h"

namespace ys {
namespace {

using nlohmann::json;

json device_json(const GpuDeviceInfo& d) {
  return {{"id", d.id},
          {"name", d.name},
          {"compute_capability", std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor)},
          {"sm_count", d.sm_count},
          {"memory_bytes", d.memory_bytes},
          {"sm_clock_mhz", round_to(d.sm_clock_mhz, 1)},
          {"peak_fp32_tflops", round_to(d.peak_fp32_tflops, 2)},
          {"peak_fp16_tflops", round_to(d.peak_fp16_tflops, 2)},
          {"peak_bandwidth_gbs", round_to(d.peak_bandwidth_gbs, 1)},
          {"tensor_cores", d.tensor_cores}};
}

constexpr size_t kMaxSeriesPoints = 500;

// Long runs sample NVML thousands of times; the report draws a few hundred pixels. Each output
// point is the mean of a run of consecutive samples (NaNs left out), so a short spike is
// flattened but no stretch of the run is skipped.
json series_json(const NvmlSeries& s) {
  const size_t n = s.t_ms.size();
  const size_t points = std::min(n, kMaxSeriesPoints);
  auto bucket_mean = [&](const std::vector<double>& v, size_t k) {
    const size_t a = k * n / points, b = (k + 1) * n / points;
    double sum = 0;
    int64_t count = 0;
    for (size_t i = a; i < b && i < v.size(); ++i) {
      if (std::isfinite(v[i])) {
        sum += v[i];
        ++count;
      }
    }
    return count ? sum / static_cast<double>(count) : std::nan("");
  };
  auto column = [&](const std::vector<double>& v, int digits) {
    json out = json::array();
    for (size_t k = 0; k < points; ++k) out.push_back(number_or_null(bucket_mean(v, k), digits));
    return out;
  };
  return {{"device", s.device},
          {"samples", n},
          {"points", points},
          {"t_ms", column(s.t_ms, 1)},
          {"gpu_util_pct", column(s.gpu_util_pct, 1)},
          {"mem_util_pct", column(s.mem_util_pct, 1)},
          {"mem_used_mib", column(s.mem_used_mib, 1)},
          {"sm_clock_mhz", column(s.sm_clock_mhz, 0)},
          {"mem_clock_mhz", column(s.mem_clock_mhz, 0)},
          {"temperature_c", column(s.temperature_c, 1)},
          {"power_w", column(s.power_w, 1)}};
}

// The inference stage cut into named parts; null without kernel records to cut it by.
json inference_parts_json(const GpuInferenceParts& p) {
  if (p.parts.empty()) return nullptr;
  json parts = json::array();
  for (const GpuInferencePart& part : p.parts) {
    parts.push_back({{"name", part.name},
                     {"what", part.what},
                     {"ms", stats_json(part.ms, 4)},
                     {"share_pct", round_to(part.share_pct, 2)}});
  }
  return {{"frames", p.frames},
          {"inference_ms", stats_json(p.inference_ms, 4)},
          {"parts", parts},
          {"sum_ms", round_to(p.sum_ms, 4)},
          {"coverage_pct", round_to(p.coverage_pct, 2)},
          {"frame_coverage_min_pct", round_to(p.frame_coverage_min_pct, 2)},
          {"frame_coverage_max_pct", round_to(p.frame_coverage_max_pct, 2)},
          {"layers_per_frame_mean_ms", round_to(p.layers_per_frame_mean_ms, 4)},
          {"launch_calls_ms", stats_json(p.launch_calls_ms, 4)}};
}

// "kernels", "busy", "copies" and the host waits: CUPTI's records, null without them.
void add_device_work(const GpuAnalysis& g, json& j) {
  if (has_kernel_data(g)) {
    json top = json::array();
    for (const GpuKernelStat& k : g.top_kernels) {
      top.push_back({{"name", k.name},
                     {"layer", k.layer_id.empty() ? json(nullptr) : json(k.layer_id)},
                     {"layer_label", k.layer_label},
                     {"count", k.count},
                     {"per_frame", round_to(k.per_frame, 2)},
                     {"total_ms", round_to(k.total_ms, 4)},
                     {"share_pct", round_to(k.share_pct, 2)},
                     {"us", stats_or_null(k.us)},
                     {"grid", {k.grid[0], k.grid[1], k.grid[2]}},
                     {"block", {k.block[0], k.block[1], k.block[2]}},
                     {"registers", k.registers},
                     {"shared_bytes", k.shared_bytes}});
    }
    json histogram = json::array();
    for (const auto& [bucket, per_frame] : g.kernel_size_histogram)
      histogram.push_back({{"bucket", bucket}, {"per_frame", round_to(per_frame, 2)}});
    j["kernels"] = {
        {"count", g.kernels},
        {"unattributed", g.unattributed_kernels},
        {"per_frame", stats_or_null(g.kernels_per_frame)},
        {"us", stats_or_null(g.kernel_us)},
        {"size_histogram", histogram},
        {"backend_per_run",
         g.backend_kernels_per_run >= 0 ? json(g.backend_kernels_per_run) : json(nullptr)},
        {"counts_match", g.kernel_counts_match},
        {"top", top}};
    j["busy"] = {{"busy_ms_per_frame", round_to(g.busy_ms_per_frame, 4)},
                 {"idle_ms_per_frame", round_to(g.idle_ms_per_frame, 4)},
                 {"busy_pct", round_to(g.busy_pct, 2)},
                 {"gap_ms_per_frame", round_to(g.gap_ms_per_frame, 4)},
                 {"gaps_per_frame", round_to(g.gaps_per_frame, 2)},
                 {"gap_us", stats_or_null(g.gap_us)},
                 {"launch_bound_pct", round_to(g.launch_bound_pct, 2)},
                 {"launch_latency_ms", round_to(g.launch_latency_ms, 4)},
                 {"sync_latency_ms", round_to(g.sync_latency_ms, 4)}};
    j["inference_parts"] = inference_parts_json(g.inference_parts);
    json copies = json::array();
    for (const GpuCopyStat& c : g.copies) {
      copies.push_back({{"direction", c.direction},
                        {"memory", c.memory},
                        {"count", c.count},
                        {"bytes_per_frame", round_to(c.bytes_per_frame, 0)},
                        {"ms_per_frame", round_to(c.ms_per_frame, 4)},
                        {"gb_per_s", round_to(c.gbs, 2)}});
    }
    j["copies"] = {{"by_direction", copies},
                   {"ms_per_frame", round_to(g.copy_ms_per_frame, 4)},
                   {"pageable_bytes_per_frame", round_to(g.pageable_bytes_per_frame, 0)}};
    j["host_wait_ms_per_frame"] = round_to(g.host_wait_ms_per_frame, 4);
    j["host_wait_outside_inference_ms_per_frame"] =
        round_to(g.host_wait_outside_inference_ms_per_frame, 4);
  } else {
    j["kernels"] = nullptr;
    j["busy"] = nullptr;
    j["inference_parts"] = nullptr;
    j["copies"] = nullptr;
    j["host_wait_ms_per_frame"] = nullptr;
    j["host_wait_outside_inference_ms_per_frame"] = nullptr;
  }
}

json nvml_json(const GpuAnalysis& g) {
  json nvml = {{"available", g.nvml}};
  if (g.nvml) {
    json series = json::array();
    for (const NvmlSeries& s : g.series) series.push_back(series_json(s));
    nvml["gpu_util_mean_pct"] = round_to(g.gpu_util_mean_pct, 1);
    nvml["window_ms"] = round_to(nvml_window_ms(g), 1);
    nvml["averaging_period_ms"] = kNvmlAveragingMs;
    nvml["short_window"] = nvml_window_short(g);
    nvml["mem_used_max_mib"] = round_to(g.mem_used_max_mib, 1);
    nvml["sm_clock_min_mhz"] = round_to(g.sm_clock_min_mhz, 0);
    nvml["sm_clock_max_mhz"] = round_to(g.sm_clock_max_mhz, 0);
    nvml["temperature_max_c"] = round_to(g.temperature_max_c, 1);
    nvml["power_max_w"] = round_to(g.power_max_w, 1);
    nvml["power_limit_w"] = round_to(g.power_limit_w, 1);
    nvml["throttled_pct"] = round_to(g.throttled_pct, 2);
    nvml["throttle_reasons"] = g.throttle_reasons;
    nvml["series"] = series;
  } else {
    nvml["why"] = g.nvml_why;
  }
  return nvml;
}

}  // namespace

json gpu_summary_json(const GpuAnalysis& g) {
  if (!g.available) return {{"available", false}, {"why", g.why}, {"mode", g.mode}};
  json j;
  j["available"] = true;
  j["mode"] = g.mode;
  j["device"] = device_json(g.device);
  j["cuda_graph"] = g.cuda_graph;
  j["frames"] = g.frames;
  json layers = json::array();
  for (const GpuLayerStat& l : g.layers) {
    layers.push_back({{"id", l.id},
                      {"label", l.label},
                      {"type", l.type},
                      {"stage", stage_name(l.stage)},
                      {"ms", stats_or_null(l.ms)},
                      {"share_pct", round_to(l.share_pct, 2)},
                      {"kernels_per_frame", round_to(l.kernels_per_frame, 2)},
                      {"busy_ms", round_to(l.busy_ms, 4)},
                      {"flops", l.flops},
                      {"bytes", l.bytes},
                      {"tflops", round_to(l.tflops, 3)},
                      {"gb_per_s", round_to(l.gbs, 2)},
                      {"pct_peak_compute", round_to(l.pct_peak_compute, 2)},
                      {"pct_peak_bandwidth", round_to(l.pct_peak_bandwidth, 2)}});
  }
  j["layers"] = layers;
  j["layer_sum_ms"] = round_to(g.layer_sum_ms, 4);
  j["inference_ms"] = round_to(g.inference_ms, 4);
  j["layer_sum_vs_inference_pct"] = round_to(g.layer_sum_vs_inference_pct, 2);
  j["event_cost_us"] = round_to(g.event_cost_us, 3);
  add_device_work(g, j);
  j["nvml"] = nvml_json(g);

  json missing = json::object();
  if (!has_kernel_data(g)) missing["kernels"] = kernels_why(g);
  if (!g.nvml) missing["nvml"] = g.nvml_why.empty() ? "NVML was not sampled" : g.nvml_why;
  j["not_available"] = missing;
  return j;
}

}  // namespace ys
