#include "analysis/gpu_analysis.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <optional>

#include "analysis/gpu_analysis_steps.h"
#include "core/error.h"

namespace ys {
namespace {

using namespace gpu_steps;

// NVML clocks-event-reason bits that mean a limit held the clocks down. Idle (0x1), application
// clocks (0x2), sync boost (0x10) and display clocks (0x100) are settings or states, not limits.
constexpr uint64_t kSwPowerCap = 0x4, kHwSlowdown = 0x8, kSwThermal = 0x20, kHwThermal = 0x40,
                   kHwPowerBrake = 0x80;
constexpr uint64_t kLimitBits = kSwPowerCap | kHwSlowdown | kSwThermal | kHwThermal | kHwPowerBrake;

// Kernel names that say they compute in half precision (cuDNN/cuBLAS naming: "f16", "fp16",
// "h884"/"hmma" tensor-core tiles, "half"). bf16 kernels match "f16" too, and run at the same
// tensor-core peak.
bool half_precision_kernel(const std::string& name) {
  std::string s(name.size(), ' ');
  std::transform(name.begin(), name.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* tag : {"f16", "h884", "hmma", "half"}) {
    if (s.find(tag) != std::string::npos) return true;
  }
  return false;
}

// The mode of the data analysed: a detailed run whose CUPTI trace failed but whose span events
// came through is analysed, and labelled, as an events run.
std::string mode_of(const GpuTrace& trace) {
  return !trace.kernels.empty()       ? "detailed"
         : !trace.span_frames.empty() ? "events"
         : !trace.detail.empty()      ? trace.detail
                                      : "events";
}

// Why a run has no GPU analysis, when it has neither kernels nor span times.
std::string why_no_gpu_times(const GpuTrace& trace) {
  if (!trace.cupti_why.empty()) return trace.cupti_why;
  if (trace.devices.empty()) return "the run was not on a GPU";
  return "no traced frame recorded GPU times";
}

}  // namespace

namespace gpu_steps {

double mean_of(const std::vector<double>& v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

int stage_at(const FrameRecord& f, int64_t t) {
  for (size_t s = 0; s < kPipelineStageCount; ++s) {
    if (f.begin_ns[s] != 0 && f.begin_ns[s] <= t && t <= f.end_ns[s]) return static_cast<int>(s);
  }
  return -1;
}

std::optional<std::pair<int64_t, int64_t>> inference_window(const FrameRecord& f) {
  const size_t inf = static_cast<size_t>(PipelineStage::kInference);
  if (f.begin_ns[inf] == 0 || f.end_ns[inf] < f.begin_ns[inf]) return std::nullopt;
  return std::make_pair(f.begin_ns[inf], f.end_ns[inf]);
}

FrameLocator::FrameLocator(const std::vector<FrameRecord>& frames) {
  for (const FrameRecord& f : frames) {
    int64_t begin = 0, end = 0;
    for (size_t s = 0; s < kPipelineStageCount; ++s) {
      if (f.begin_ns[s] == 0 || f.end_ns[s] < f.begin_ns[s]) continue;
      if (begin == 0 || f.begin_ns[s] < begin) begin = f.begin_ns[s];
      end = std::max(end, f.end_ns[s]);
    }
    if (begin != 0) windows_.push_back({begin, end, f.index});
  }
  std::sort(windows_.begin(), windows_.end(),
            [](const Window& a, const Window& b) { return a.begin < b.begin; });
}

int64_t FrameLocator::frame(int64_t recorded, int64_t t_ns) const {
  if (recorded >= 0) return recorded;
  auto it = std::upper_bound(windows_.begin(), windows_.end(), t_ns,
                             [](int64_t t, const Window& w) { return t < w.begin; });
  if (it == windows_.begin()) return -1;
  --it;
  return t_ns < it->end ? it->index : -1;
}

GpuTraceContext::GpuTraceContext(const GpuTrace& trace_, const Graph& graph,
                                 const std::vector<LayerResult>& layers_,
                                 const std::vector<FrameRecord>& frames_)
    : trace(trace_),
      layers(layers_),
      frames(frames_),
      detailed(!trace_.kernels.empty()),
      locate(frames_),
      layer_seen(layers_.size(), false),
      layer_half(layers_.size(), false),
      layer_kernels(layers_.size(), 0) {
  size_t n_steps = graph.nodes.size();
  for (const LayerResult& l : layers) {
    for (size_t k : l.steps) n_steps = std::max(n_steps, k + 1);
  }
  layer_of_step_.assign(n_steps, -1);
  for (size_t i = 0; i < layers.size(); ++i) {
    for (size_t k : layers[i].steps) layer_of_step_[k] = static_cast<int>(i);
  }
  for (const FrameRecord& f : frames) host[f.index] = &f;
}

int GpuTraceContext::layer_of(int64_t step) const {
  return step >= 0 && static_cast<size_t>(step) < layer_of_step_.size()
             ? layer_of_step_[static_cast<size_t>(step)]
             : -1;
}

void analyze_nvml(const GpuTrace& trace, int64_t profile_start_ns, GpuAnalysis& a) {
  a.nvml = !trace.samples.empty();
  a.nvml_why = trace.nvml_why;
  if (!a.nvml) {
    if (a.nvml_why.empty()) a.nvml_why = "no NVML samples were taken";
    return;
  }
  std::vector<const NvmlSample*> sorted;
  for (const NvmlSample& s : trace.samples) sorted.push_back(&s);
  std::stable_sort(sorted.begin(), sorted.end(), [](const NvmlSample* x, const NvmlSample* y) {
    return x->device != y->device ? x->device < y->device : x->t_ns < y->t_ns;
  });
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto value = [nan](const auto& opt) { return opt ? static_cast<double>(*opt) : nan; };
  for (const NvmlSample* s : sorted) {
    if (a.series.empty() || a.series.back().device != s->device) {
      a.series.emplace_back();
      a.series.back().device = s->device;
    }
    NvmlSeries& r = a.series.back();
    r.t_ms.push_back(ms_of(s->t_ns - profile_start_ns));
    r.gpu_util_pct.push_back(value(s->gpu_util_pct));
    r.mem_util_pct.push_back(value(s->mem_util_pct));
    r.mem_used_mib.push_back(
        s->mem_used_bytes ? static_cast<double>(*s->mem_used_bytes) / (1024.0 * 1024.0) : nan);
    r.sm_clock_mhz.push_back(value(s->sm_clock_mhz));
    r.mem_clock_mhz.push_back(value(s->mem_clock_mhz));
    r.temperature_c.push_back(value(s->temperature_c));
    r.power_w.push_back(value(s->power_w));
  }

  // The summary figures describe the measured window when the trace has one with samples in it;
  // samples from model loading or teardown would otherwise dilute them.
  std::vector<const NvmlSample*> chosen;
  if (trace.window_end_ns > trace.window_begin_ns) {
    for (const NvmlSample* s : sorted) {
      if (s->t_ns >= trace.window_begin_ns && s->t_ns <= trace.window_end_ns) chosen.push_back(s);
    }
  }
  if (chosen.empty()) chosen = sorted;
  std::vector<double> util;
  int64_t with_reasons = 0, throttled = 0;
  uint64_t reasons = 0;
  bool have_clock = false;
  for (const NvmlSample* s : chosen) {
    if (s->gpu_util_pct) util.push_back(*s->gpu_util_pct);
    if (s->mem_used_bytes)
      a.mem_used_max_mib =
          std::max(a.mem_used_max_mib, static_cast<double>(*s->mem_used_bytes) / (1024.0 * 1024.0));
    if (s->sm_clock_mhz) {
      a.sm_clock_min_mhz =
          have_clock ? std::min(a.sm_clock_min_mhz, *s->sm_clock_mhz) : *s->sm_clock_mhz;
      a.sm_clock_max_mhz = std::max(a.sm_clock_max_mhz, *s->sm_clock_mhz);
      have_clock = true;
    }
    if (s->temperature_c) a.temperature_max_c = std::max(a.temperature_max_c, *s->temperature_c);
    if (s->power_w) a.power_max_w = std::max(a.power_max_w, *s->power_w);
    if (s->power_limit_w) a.power_limit_w = std::max(a.power_limit_w, *s->power_limit_w);
    if (s->throttle_reasons) {
      ++with_reasons;
      if (is_throttling(*s->throttle_reasons)) {
        ++throttled;
        reasons |= *s->throttle_reasons;
      }
    }
  }
  a.gpu_util_mean_pct = mean_of(util);
  a.throttled_pct =
      with_reasons ? 100.0 * static_cast<double>(throttled) / static_cast<double>(with_reasons) : 0;
  a.throttle_reasons = throttle_reason_text(reasons);
}

void time_layers_by_kernels(GpuTraceContext& c) {
  const GpuTrace& trace = c.trace;
  c.order.resize(trace.kernels.size());
  std::iota(c.order.begin(), c.order.end(), size_t{0});
  std::stable_sort(c.order.begin(), c.order.end(), [&](size_t x, size_t y) {
    return trace.kernels[x].start_ns < trace.kernels[y].start_ns;
  });
  // A layer's device time is its share of the frame's device timeline: each kernel counts
  // from the end of the forward's previous kernel (or its own start, for the first) to its
  // own end, so the idle gap before a kernel, spent waiting for its launch, goes to the layer
  // that launched it. That is what CUDA events around the layer measure too, and the layers
  // then add up to the forward's device span; the kernels' own durations are `busy_ms`.
  std::map<int64_t, int64_t> cursor;  // per frame: end of the forward's latest kernel so far
  for (size_t i : c.order) {
    const GpuKernelRecord& k = trace.kernels[i];
    const int64_t f = c.locate.frame(k.frame, k.start_ns);
    if (f < 0) continue;
    c.frame_kernels[f].push_back(i);
    auto [it, fresh] = c.layer_ms.try_emplace(f);
    if (fresh) {
      it->second.assign(c.layers.size(), 0.0);
      c.layer_busy_ms[f].assign(c.layers.size(), 0.0);
    }
    const int l = c.layer_of(k.step);
    if (l < 0) continue;
    const size_t li = static_cast<size_t>(l);
    auto [cur, first] = cursor.try_emplace(f, k.start_ns);
    const int64_t begin = first ? k.start_ns : std::min(cur->second, k.end_ns);
    it->second[li] += ms_of(duration_ns(begin, std::max(begin, k.end_ns)));
    cur->second = std::max(cur->second, k.end_ns);
    c.layer_busy_ms[f][li] += ms_of(duration_ns(k.start_ns, k.end_ns));
    c.layer_seen[li] = true;
    ++c.layer_kernels[li];
    if (!c.layer_half[li] && half_precision_kernel(k.name)) c.layer_half[li] = true;
  }
}

void time_layers_by_events(GpuTraceContext& c, GpuAnalysis& a) {
  const GpuTrace& trace = c.trace;
  // Each span holds one event record of its own (its start), and an event record costs the
  // device a few microseconds. That cost is measured, not assumed: the traced frames' median
  // inference against the untraced ones', per event of a traced frame. It comes off each span.
  std::map<int64_t, size_t> events_in;
  for (const GpuSpanFrame& sf : trace.span_frames) {
    size_t n = 0;
    for (float v : sf.ms) n += std::isfinite(v) ? 1 : 0;
    if (n > 0) events_in[sf.frame] = n + 1;
  }
  std::vector<double> traced_ms, untraced_ms, events;
  for (const FrameRecord& f : c.frames) {
    const auto w = inference_window(f);
    if (!w) continue;
    auto e = events_in.find(f.index);
    (e == events_in.end() ? untraced_ms : traced_ms).push_back(ms_of(w->second - w->first));
    if (e != events_in.end()) events.push_back(static_cast<double>(e->second));
  }
  if (traced_ms.size() >= 2 && untraced_ms.size() >= 2) {
    c.untraced_inference_ms = compute_stats(untraced_ms).median;
    const double extra = compute_stats(traced_ms).median - c.untraced_inference_ms;
    a.event_cost_us = std::max(0.0, 1e3 * extra / compute_stats(events).median);
  }
  const double cost_ms = a.event_cost_us / 1e3;
  for (const GpuSpanFrame& sf : trace.span_frames) {
    if (sf.ms.empty()) continue;  // no times read back: not a frame with GPU data
    auto [it, fresh] = c.layer_ms.try_emplace(sf.frame);
    // A frame times some layers only (the profiler rotates groups of them): the others stay
    // NaN and are left out of their layer's statistics.
    if (fresh) it->second.assign(c.layers.size(), std::numeric_limits<double>::quiet_NaN());
    const size_t spans = std::min(sf.ms.size(), trace.span_starts.size());
    for (size_t i = 0; i < spans; ++i) {
      const int l = c.layer_of(static_cast<int64_t>(trace.span_starts[i]));
      if (l < 0 || !std::isfinite(sf.ms[i])) continue;
      double& cell = it->second[static_cast<size_t>(l)];
      const double ms = std::max(0.0, static_cast<double>(sf.ms[i]) - cost_ms);
      cell = std::isfinite(cell) ? cell + ms : ms;
      c.layer_seen[static_cast<size_t>(l)] = true;
    }
  }
}

// Layers, against the device's peaks. Events mode has no kernel names, so it is compared with
// the FP32 peak; in detailed mode a layer that ran any half-precision kernel on a device with
// tensor cores is compared with the FP16 tensor-core peak. A mixed layer is thereby held to the
// higher peak, which errs toward reporting it as further from its limit, never closer.
void add_layer_stats(const GpuTraceContext& c, GpuAnalysis& a) {
  for (size_t i = 0; i < c.layers.size(); ++i) {
    if (!c.layer_seen[i]) continue;
    const LayerResult& l = c.layers[i];
    GpuLayerStat s;
    s.id = l.id;
    s.label = l.label;
    s.type = l.type;
    s.stage = l.stage;
    std::vector<double> per_frame;
    for (const auto& [f, row] : c.layer_ms)
      if (std::isfinite(row[i])) per_frame.push_back(row[i]);
    s.ms = compute_stats(per_frame);
    if (c.detailed) {
      std::vector<double> busy;
      for (const auto& [f, row] : c.layer_busy_ms) busy.push_back(row[i]);
      s.busy_ms = compute_stats(busy).median;
    }
    s.kernels_per_frame = static_cast<double>(c.layer_kernels[i]) / c.n_frames;
    s.flops = l.flops;
    s.bytes = l.bytes_moved;
    if (s.ms.median > 0) {
      const double seconds = s.ms.median / 1e3;
      s.tflops = static_cast<double>(s.flops) / seconds / 1e12;
      s.gbs = static_cast<double>(s.bytes) / seconds / 1e9;
    }
    const bool half = a.device.tensor_cores && a.device.peak_fp16_tflops > 0 && c.layer_half[i];
    const double peak = half ? a.device.peak_fp16_tflops : a.device.peak_fp32_tflops;
    if (peak > 0) s.pct_peak_compute = 100.0 * s.tflops / peak;
    if (a.device.peak_bandwidth_gbs > 0)
      s.pct_peak_bandwidth = 100.0 * s.gbs / a.device.peak_bandwidth_gbs;
    a.layer_sum_ms += s.ms.median;
    a.layers.push_back(std::move(s));
  }
  for (GpuLayerStat& s : a.layers) {
    s.share_pct = a.layer_sum_ms > 0 ? 100.0 * s.ms.median / a.layer_sum_ms : 0;
  }
  std::vector<double> inference;
  for (const auto& [f, row] : c.layer_ms) {
    auto it = c.host.find(f);
    if (it == c.host.end()) continue;
    if (auto w = inference_window(*it->second)) inference.push_back(ms_of(w->second - w->first));
  }
  // With the events' cost taken off the layers, they estimate the forward as it runs unobserved:
  // the untraced frames' inference is what they add up to.
  a.inference_ms =
      c.untraced_inference_ms > 0 ? c.untraced_inference_ms : compute_stats(inference).median;
  a.layer_sum_vs_inference_pct = a.inference_ms > 0 ? 100.0 * a.layer_sum_ms / a.inference_ms : 0;
}

}  // namespace gpu_steps

std::string throttle_reason_text(uint64_t reasons) {
  static const std::pair<uint64_t, const char*> kNames[] = {
      {kSwPowerCap, "power cap"},
      {kHwSlowdown, "hardware slowdown"},
      {kSwThermal, "thermal slowdown"},
      {kHwThermal, "hardware thermal slowdown"},
      {kHwPowerBrake, "power brake"}};
  std::string text;
  for (const auto& [bit, name] : kNames) {
    if (reasons & bit) text += cat(text.empty() ? "" : ", ", name);
  }
  return text;
}

bool is_throttling(uint64_t reasons) {
  return (reasons & kLimitBits) != 0;
}

GpuAnalysis analyze_gpu(const GpuTrace& trace, const Graph& graph,
                        const std::vector<LayerResult>& layers,
                        const std::vector<FrameRecord>& frames, int64_t profile_start_ns) {
  GpuAnalysis a;
  a.mode = mode_of(trace);
  if (!trace.devices.empty()) a.device = trace.devices[0];
  a.cuda_graph = trace.cuda_graph;
  a.backend_kernels_per_run = trace.kernels_per_run;
  analyze_nvml(trace, profile_start_ns, a);
  if (trace.span_frames.empty() && trace.kernels.empty()) {
    a.why = why_no_gpu_times(trace);
    return a;
  }
  a.available = true;

  GpuTraceContext c(trace, graph, layers, frames);
  if (c.detailed)
    time_layers_by_kernels(c);
  else
    time_layers_by_events(c, a);
  a.frames = static_cast<int64_t>(c.layer_ms.size());
  c.n_frames = static_cast<double>(std::max<int64_t>(a.frames, 1));
  add_layer_stats(c, a);
  if (!c.detailed) return a;

  add_kernel_stats(c, a);
  add_frame_timeline(c, a);
  add_copies_and_waits(c, a);
  add_inference_parts(c, a);
  return a;
}

void use_device_layer_times(ProfileAnalysis& a, const GpuAnalysis& gpu) {
  if (!gpu.available || gpu.layers.empty()) return;
  std::map<std::string, const GpuLayerStat*> by_id;
  for (const GpuLayerStat& g : gpu.layers) by_id[g.id] = &g;
  std::map<Stage, ModelStageResult> stages;
  for (LayerResult& l : a.layers) {
    auto it = by_id.find(l.id);
    l.ms = it == by_id.end() ? Stats{} : it->second->ms;
    l.gflops_per_s = it == by_id.end() ? 0 : it->second->tflops * 1e3;
    l.gb_per_s = it == by_id.end() ? 0 : it->second->gbs;
    add_to_model_stage(stages[l.stage], l);
  }
  a.model_stages.clear();
  for (auto& [stage, r] : stages) a.model_stages.push_back(r);
  set_shares(a, gpu.inference_ms, gpu.frames);
  std::vector<const LayerResult*> sorted;
  for (const LayerResult& l : a.layers) sorted.push_back(&l);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](auto* x, auto* y) { return x->ms.median > y->ms.median; });
  a.top_layers.clear();
  for (size_t i = 0; i < sorted.size() && i < 10; ++i) a.top_layers.push_back(sorted[i]->id);
  a.device_layer_times = true;
}

void attach_host_context(GpuTrace& trace, const std::vector<FrameRecord>& frames,
                         const std::vector<LayerResult>& layers, int64_t profile_start_ns) {
  trace.profile_start_ns = profile_start_ns;
  trace.host_frames.clear();
  for (const FrameRecord& f : frames) {
    trace.host_frames.push_back({f.index,
                                 std::vector<int64_t>(f.begin_ns.begin(), f.begin_ns.end()),
                                 std::vector<int64_t>(f.end_ns.begin(), f.end_ns.end())});
  }
  trace.layers.clear();
  for (const LayerResult& l : layers) {
    trace.layers.push_back(
        {l.id, l.label, l.type, static_cast<int>(l.stage), l.steps, l.flops, l.bytes_moved});
  }
}

std::vector<FrameRecord> host_frames_of(const GpuTrace& trace) {
  std::vector<FrameRecord> frames;
  for (const GpuHostFrame& h : trace.host_frames) {
    FrameRecord f;
    f.index = h.frame;
    for (size_t s = 0; s < kPipelineStageCount && s < h.begin_ns.size() && s < h.end_ns.size();
         ++s) {
      f.begin_ns[s] = h.begin_ns[s];
      f.end_ns[s] = h.end_ns[s];
    }
    frames.push_back(f);
  }
  return frames;
}

std::vector<LayerResult> layers_of(const GpuTrace& trace) {
  std::vector<LayerResult> layers;
  for (const GpuLayerRef& r : trace.layers) {
    LayerResult l;
    l.id = r.id;
    l.label = r.label;
    l.type = r.type;
    l.stage = static_cast<Stage>(r.stage);
    l.steps = r.steps;
    l.flops = r.flops;
    l.bytes_moved = r.bytes;
    layers.push_back(std::move(l));
  }
  return layers;
}

}  // namespace ys
