#include "analysis/gpu_analysis.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <numeric>
#include <optional>

#include "core/error.h"

namespace ys {
namespace {

// NVML clocks-event-reason bits that mean a limit held the clocks down. Idle (0x1), application
// clocks (0x2), sync boost (0x10) and display clocks (0x100) are settings or states, not limits.
constexpr uint64_t kSwPowerCap = 0x4, kHwSlowdown = 0x8, kSwThermal = 0x20, kHwThermal = 0x40,
                   kHwPowerBrake = 0x80;
constexpr uint64_t kLimitBits = kSwPowerCap | kHwSlowdown | kSwThermal | kHwThermal | kHwPowerBrake;

constexpr size_t kTopKernels = 20;

double ms_of(int64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

int64_t duration_ns(int64_t begin, int64_t end) {
  return std::max<int64_t>(0, end - begin);
}

double mean_of(const std::vector<double>& v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

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

// Host frames by time, for records the tracer could not give a frame: a record belongs to the
// frame whose first stage began at or before it and whose last stage ended after it began.
class FrameLocator {
 public:
  explicit FrameLocator(const std::vector<FrameRecord>& frames) {
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

  int64_t frame(int64_t recorded, int64_t t_ns) const {
    if (recorded >= 0) return recorded;
    auto it = std::upper_bound(windows_.begin(), windows_.end(), t_ns,
                               [](int64_t t, const Window& w) { return t < w.begin; });
    if (it == windows_.begin()) return -1;
    --it;
    return t_ns < it->end ? it->index : -1;
  }

 private:
  struct Window {
    int64_t begin, end, index;
  };
  std::vector<Window> windows_;
};

// The host inference stage of a frame record, or nothing when it did not run.
// The pipeline stage of frame `f` whose host window holds `t`, or -1. Kernels outside the
// forward (the GPU pipeline's letterbox, decoding and NMS) belong to the stage that launched
// them, and each such stage ends by waiting for its kernels, so they run inside its window.
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

// Union of [start, end) intervals sorted by start: busy time and the gaps between busy runs.
struct Coverage {
  int64_t busy_ns = 0, span_ns = 0;
  int64_t first_ns = 0, last_ns = 0;  // the first kernel's start, the last one's end
  std::vector<int64_t> gaps_ns;
};

Coverage coverage(const std::vector<std::pair<int64_t, int64_t>>& sorted) {
  Coverage c;
  if (sorted.empty()) return c;
  int64_t run_begin = sorted[0].first, run_end = sorted[0].second;
  for (size_t i = 1; i < sorted.size(); ++i) {
    const auto [b, e] = sorted[i];
    if (b > run_end) {
      c.busy_ns += run_end - run_begin;
      c.gaps_ns.push_back(b - run_end);
      run_begin = b;
    }
    run_end = std::max(run_end, e);
  }
  c.busy_ns += run_end - run_begin;
  c.span_ns = run_end - sorted[0].first;
  c.first_ns = sorted[0].first;
  c.last_ns = run_end;
  return c;
}

const char* kBucketNames[] = {"<5 us", "5-20 us", "20-100 us", "100 us-1 ms", ">1 ms"};

size_t size_bucket(double us) {
  if (us < 5) return 0;
  if (us < 20) return 1;
  if (us < 100) return 2;
  if (us <= 1000) return 3;
  return 4;
}

}  // namespace

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
  const bool detailed = !trace.kernels.empty();
  // The mode of the data analysed: a detailed run whose CUPTI trace failed but whose span events
  // came through is analysed, and labelled, as an events run.
  a.mode = detailed                     ? "detailed"
           : !trace.span_frames.empty() ? "events"
           : !trace.detail.empty()      ? trace.detail
                                        : "events";
  if (!trace.devices.empty()) a.device = trace.devices[0];
  a.cuda_graph = trace.cuda_graph;
  a.backend_kernels_per_run = trace.kernels_per_run;
  analyze_nvml(trace, profile_start_ns, a);
  if (trace.span_frames.empty() && !detailed) {
    if (!trace.cupti_why.empty())
      a.why = trace.cupti_why;
    else if (trace.devices.empty())
      a.why = "the run was not on a GPU";
    else
      a.why = "no traced frame recorded GPU times";
    return a;
  }
  a.available = true;

  size_t n_steps = graph.nodes.size();
  for (const LayerResult& l : layers) {
    for (size_t k : l.steps) n_steps = std::max(n_steps, k + 1);
  }
  std::vector<int> layer_of_step(n_steps, -1);
  for (size_t i = 0; i < layers.size(); ++i) {
    for (size_t k : layers[i].steps) layer_of_step[k] = static_cast<int>(i);
  }
  auto layer_of = [&](int64_t step) {
    return step >= 0 && static_cast<size_t>(step) < n_steps
               ? layer_of_step[static_cast<size_t>(step)]
               : -1;
  };
  std::map<int64_t, const FrameRecord*> host;
  for (const FrameRecord& f : frames) host[f.index] = &f;
  const FrameLocator locate(frames);

  // Per traced frame, the device time of each layer.
  std::map<int64_t, std::vector<double>> layer_ms;
  std::vector<bool> layer_seen(layers.size(), false), layer_half(layers.size(), false);
  std::vector<int64_t> layer_kernels(layers.size(), 0);
  std::map<int64_t, std::vector<double>> layer_busy_ms;  // detailed mode: kernel time per layer
  double untraced_inference_ms = 0;  // events mode, when there are untraced frames to compare
  // Detailed mode: kernels in start order, and per frame the indices of its kernels.
  std::vector<size_t> order;
  std::map<int64_t, std::vector<size_t>> frame_kernels;
  if (detailed) {
    order.resize(trace.kernels.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      return trace.kernels[x].start_ns < trace.kernels[y].start_ns;
    });
    // A layer's device time is its share of the frame's device timeline: each kernel counts
    // from the end of the forward's previous kernel (or its own start, for the first) to its
    // own end, so the idle gap before a kernel, spent waiting for its launch, goes to the layer
    // that launched it. That is what CUDA events around the layer measure too, and the layers
    // then add up to the forward's device span; the kernels' own durations are `busy_ms`.
    std::map<int64_t, int64_t> cursor;  // per frame: end of the forward's latest kernel so far
    for (size_t i : order) {
      const GpuKernelRecord& k = trace.kernels[i];
      const int64_t f = locate.frame(k.frame, k.start_ns);
      if (f < 0) continue;
      frame_kernels[f].push_back(i);
      auto [it, fresh] = layer_ms.try_emplace(f);
      if (fresh) {
        it->second.assign(layers.size(), 0.0);
        layer_busy_ms[f].assign(layers.size(), 0.0);
      }
      const int l = layer_of(k.step);
      if (l < 0) continue;
      const size_t li = static_cast<size_t>(l);
      auto [c, first] = cursor.try_emplace(f, k.start_ns);
      const int64_t begin = first ? k.start_ns : std::min(c->second, k.end_ns);
      it->second[li] += ms_of(duration_ns(begin, std::max(begin, k.end_ns)));
      c->second = std::max(c->second, k.end_ns);
      layer_busy_ms[f][li] += ms_of(duration_ns(k.start_ns, k.end_ns));
      layer_seen[li] = true;
      ++layer_kernels[li];
      if (!layer_half[li] && half_precision_kernel(k.name)) layer_half[li] = true;
    }
  } else {
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
    for (const FrameRecord& f : frames) {
      const auto w = inference_window(f);
      if (!w) continue;
      auto e = events_in.find(f.index);
      (e == events_in.end() ? untraced_ms : traced_ms).push_back(ms_of(w->second - w->first));
      if (e != events_in.end()) events.push_back(static_cast<double>(e->second));
    }
    if (traced_ms.size() >= 2 && untraced_ms.size() >= 2) {
      untraced_inference_ms = compute_stats(untraced_ms).median;
      const double extra = compute_stats(traced_ms).median - untraced_inference_ms;
      a.event_cost_us = std::max(0.0, 1e3 * extra / compute_stats(events).median);
    }
    const double cost_ms = a.event_cost_us / 1e3;
    for (const GpuSpanFrame& sf : trace.span_frames) {
      if (sf.ms.empty()) continue;  // no times read back: not a frame with GPU data
      auto [it, fresh] = layer_ms.try_emplace(sf.frame);
      // A frame times some layers only (the profiler rotates groups of them): the others stay
      // NaN and are left out of their layer's statistics.
      if (fresh) it->second.assign(layers.size(), std::numeric_limits<double>::quiet_NaN());
      const size_t spans = std::min(sf.ms.size(), trace.span_starts.size());
      for (size_t i = 0; i < spans; ++i) {
        const int l = layer_of(static_cast<int64_t>(trace.span_starts[i]));
        if (l < 0 || !std::isfinite(sf.ms[i])) continue;
        double& cell = it->second[static_cast<size_t>(l)];
        const double ms = std::max(0.0, static_cast<double>(sf.ms[i]) - cost_ms);
        cell = std::isfinite(cell) ? cell + ms : ms;
        layer_seen[static_cast<size_t>(l)] = true;
      }
    }
  }
  a.frames = static_cast<int64_t>(layer_ms.size());
  const double n_frames = static_cast<double>(std::max<int64_t>(a.frames, 1));

  // Layers, against the device's peaks. Events mode has no kernel names, so it is compared with
  // the FP32 peak; in detailed mode a layer that ran any half-precision kernel on a device with
  // tensor cores is compared with the FP16 tensor-core peak. A mixed layer is thereby held to the
  // higher peak, which errs toward reporting it as further from its limit, never closer.
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!layer_seen[i]) continue;
    const LayerResult& l = layers[i];
    GpuLayerStat s;
    s.id = l.id;
    s.label = l.label;
    s.type = l.type;
    s.stage = l.stage;
    std::vector<double> per_frame;
    for (const auto& [f, row] : layer_ms)
      if (std::isfinite(row[i])) per_frame.push_back(row[i]);
    s.ms = compute_stats(per_frame);
    if (detailed) {
      std::vector<double> busy;
      for (const auto& [f, row] : layer_busy_ms) busy.push_back(row[i]);
      s.busy_ms = compute_stats(busy).median;
    }
    s.kernels_per_frame = static_cast<double>(layer_kernels[i]) / n_frames;
    s.flops = l.flops;
    s.bytes = l.bytes_moved;
    if (s.ms.median > 0) {
      const double seconds = s.ms.median / 1e3;
      s.tflops = static_cast<double>(s.flops) / seconds / 1e12;
      s.gbs = static_cast<double>(s.bytes) / seconds / 1e9;
    }
    const bool half = a.device.tensor_cores && a.device.peak_fp16_tflops > 0 && layer_half[i];
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
  for (const auto& [f, row] : layer_ms) {
    auto it = host.find(f);
    if (it == host.end()) continue;
    if (auto w = inference_window(*it->second)) inference.push_back(ms_of(w->second - w->first));
  }
  // With the events' cost taken off the layers, they estimate the forward as it runs unobserved:
  // the untraced frames' inference is what they add up to.
  a.inference_ms =
      untraced_inference_ms > 0 ? untraced_inference_ms : compute_stats(inference).median;
  a.layer_sum_vs_inference_pct = a.inference_ms > 0 ? 100.0 * a.layer_sum_ms / a.inference_ms : 0;

  if (!detailed) return a;

  // Kernels.
  a.kernels = static_cast<int64_t>(trace.kernels.size());
  std::vector<double> all_us;
  all_us.reserve(trace.kernels.size());
  struct Group {
    int64_t count = 0, total_ns = 0;
    std::vector<double> us;
    size_t first = 0;
  };
  std::map<std::pair<std::string, int>, Group> groups;
  int64_t total_kernel_ns = 0;
  // Group keys: a layer index, or -2 - stage for a pipeline kernel, or -1 for neither.
  auto group_of = [&](const GpuKernelRecord& k) {
    const int l = layer_of(k.step);
    if (l >= 0) return l;
    auto h = host.find(locate.frame(k.frame, k.start_ns));
    const int st = h == host.end() ? -1 : stage_at(*h->second, k.start_ns);
    return st >= 0 && st != static_cast<int>(PipelineStage::kInference) ? -2 - st : -1;
  };
  for (size_t i : order) {
    const GpuKernelRecord& k = trace.kernels[i];
    const int64_t d = duration_ns(k.start_ns, k.end_ns);
    const int l = group_of(k);
    if (l == -1) ++a.unattributed_kernels;
    all_us.push_back(static_cast<double>(d) / 1e3);
    total_kernel_ns += d;
    auto [it, fresh] = groups.try_emplace({k.name, l});
    if (fresh) it->second.first = i;
    ++it->second.count;
    it->second.total_ns += d;
    it->second.us.push_back(static_cast<double>(d) / 1e3);
  }
  a.kernel_us = compute_stats(all_us);
  std::vector<GpuKernelStat> stats;
  for (auto& [key, g] : groups) {
    const GpuKernelRecord& k = trace.kernels[g.first];
    GpuKernelStat s;
    s.name = key.first;
    if (key.second >= 0) {
      s.layer_id = layers[static_cast<size_t>(key.second)].id;
      s.layer_label = layers[static_cast<size_t>(key.second)].label;
    } else if (key.second <= -2) {
      s.layer_id = pipeline_stage_name(static_cast<PipelineStage>(-2 - key.second));
      s.layer_label = s.layer_id + " (GPU pipeline)";
    }
    s.count = g.count;
    s.per_frame = static_cast<double>(g.count) / n_frames;
    s.total_ms = ms_of(g.total_ns);
    s.share_pct =
        total_kernel_ns > 0 ? 100.0 * static_cast<double>(g.total_ns) / total_kernel_ns : 0;
    s.us = compute_stats(std::move(g.us));
    std::copy(std::begin(k.grid), std::end(k.grid), s.grid);
    std::copy(std::begin(k.block), std::end(k.block), s.block);
    s.registers = k.registers;
    s.shared_bytes = k.shared_bytes;
    stats.push_back(std::move(s));
  }
  std::stable_sort(stats.begin(), stats.end(), [](const GpuKernelStat& x, const GpuKernelStat& y) {
    return x.total_ms > y.total_ms;
  });
  if (stats.size() > kTopKernels) stats.resize(kTopKernels);
  a.top_kernels = std::move(stats);

  // Per frame: counts, sizes, and busy time and gaps on the union of the frame's kernels (several
  // streams may overlap; the device is busy while any kernel runs).
  std::map<int64_t, int64_t> api_launches;
  for (const GpuApiRecord& r : trace.api) {
    if (!r.launches_kernel) continue;
    const int64_t f = locate.frame(r.frame, r.start_ns);
    if (f >= 0) ++api_launches[f];
  }
  std::vector<double> counts, gaps_us, busy_ms, idle_ms, gap_ms, gap_counts, launch_ms, sync_ms;
  std::vector<double> buckets(std::size(kBucketNames), 0.0);
  int64_t gap_total_ns = 0, span_total_ns = 0, busy_total_ns = 0, host_total_ns = 0;
  bool counts_match = a.frames > 0;
  bool any_step = false;
  for (const GpuKernelRecord& k : trace.kernels) any_step = any_step || k.step >= 0;
  for (const auto& [f, idx] : frame_kernels) {
    const auto n = static_cast<int64_t>(idx.size());
    counts.push_back(static_cast<double>(n));
    // Busy time and gaps are the forward's: the GPU pipeline's kernels run in other stages,
    // between which the device waits on the host by design.
    std::vector<std::pair<int64_t, int64_t>> intervals;
    intervals.reserve(idx.size());
    int64_t forward = 0;
    for (size_t i : idx) {
      const GpuKernelRecord& k = trace.kernels[i];
      buckets[size_bucket(static_cast<double>(duration_ns(k.start_ns, k.end_ns)) / 1e3)] += 1;
      if (any_step && k.step < 0) continue;
      ++forward;
      intervals.emplace_back(k.start_ns, std::max(k.start_ns, k.end_ns));
    }
    // A captured graph's kernel nodes are the forward's launches; eager launches are counted
    // from the API records, pipeline kernels included.
    if (trace.kernels_per_run >= 0) {
      counts_match = counts_match && forward == trace.kernels_per_run;
    } else {
      auto it = api_launches.find(f);
      counts_match = counts_match && it != api_launches.end() && it->second == n;
    }
    const Coverage c = coverage(intervals);
    for (int64_t g : c.gaps_ns) gaps_us.push_back(static_cast<double>(g) / 1e3);
    const int64_t gap_ns = c.span_ns - c.busy_ns;
    gap_total_ns += gap_ns;
    span_total_ns += c.span_ns;
    gap_ms.push_back(ms_of(gap_ns));
    gap_counts.push_back(static_cast<double>(c.gaps_ns.size()));
    busy_ms.push_back(ms_of(c.busy_ns));
    // Idle is measured against the host's inference window of the frame; frames without one (no
    // host record) count their device span instead, so that idle is never invented.
    int64_t window_ns = c.span_ns;
    auto it = host.find(f);
    if (it != host.end()) {
      if (auto w = inference_window(*it->second)) {
        window_ns = w->second - w->first;
        if (!intervals.empty()) {
          launch_ms.push_back(ms_of(std::max<int64_t>(0, c.first_ns - w->first)));
          sync_ms.push_back(ms_of(std::max<int64_t>(0, w->second - c.last_ns)));
        }
      }
    }
    busy_total_ns += c.busy_ns;
    host_total_ns += window_ns;
    idle_ms.push_back(ms_of(std::max<int64_t>(0, window_ns - c.busy_ns)));
  }
  a.kernels_per_frame = compute_stats(counts);
  a.kernel_counts_match = counts_match;
  for (size_t b = 0; b < buckets.size(); ++b) {
    a.kernel_size_histogram.emplace_back(kBucketNames[b], buckets[b] / n_frames);
  }
  a.busy_ms_per_frame = mean_of(busy_ms);
  a.launch_latency_ms = compute_stats(launch_ms).median;
  a.sync_latency_ms = compute_stats(sync_ms).median;
  a.idle_ms_per_frame = mean_of(idle_ms);
  a.busy_pct = host_total_ns > 0 ? std::min(100.0, 100.0 * static_cast<double>(busy_total_ns) /
                                                       static_cast<double>(host_total_ns))
                                 : 0;
  a.gap_ms_per_frame = mean_of(gap_ms);
  a.gaps_per_frame = mean_of(gap_counts);
  a.gap_us = compute_stats(gaps_us);
  a.launch_bound_pct = span_total_ns > 0 ? 100.0 * static_cast<double>(gap_total_ns) /
                                               static_cast<double>(span_total_ns)
                                         : 0;

  // Copies and host waits of the traced frames.
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, std::pair<int64_t, int64_t>>>
      copy_groups;  // (direction, memory) -> (count, (bytes, ns))
  int64_t copy_total_ns = 0, pageable_bytes = 0;
  for (const GpuCopyRecord& c : trace.copies) {
    const int64_t f = locate.frame(c.frame, c.start_ns);
    if (!layer_ms.count(f)) continue;
    GpuMemoryKind host_side = c.src;
    if (c.kind == GpuCopyKind::kDeviceToHost || c.kind == GpuCopyKind::kMemset) host_side = c.dst;
    const char* memory = memory_kind_name(host_side);
    if (c.kind == GpuCopyKind::kDeviceToDevice || c.kind == GpuCopyKind::kPeer) memory = "device";
    auto& g = copy_groups[{copy_kind_name(c.kind), memory}];
    const int64_t d = duration_ns(c.start_ns, c.end_ns);
    ++g.first;
    g.second.first += c.bytes;
    g.second.second += d;
    copy_total_ns += d;
    if (c.src == GpuMemoryKind::kPageable || c.dst == GpuMemoryKind::kPageable)
      pageable_bytes += c.bytes;
  }
  for (const auto& [key, g] : copy_groups) {
    GpuCopyStat s;
    s.direction = key.first;
    s.memory = key.second;
    s.count = g.first;
    s.bytes_per_frame = static_cast<double>(g.second.first) / n_frames;
    s.ms_per_frame = ms_of(g.second.second) / n_frames;
    s.gbs = g.second.second > 0
                ? static_cast<double>(g.second.first) / static_cast<double>(g.second.second)
                : 0;  // bytes per ns is GB/s
    a.copies.push_back(s);
  }
  std::stable_sort(
      a.copies.begin(), a.copies.end(),
      [](const GpuCopyStat& x, const GpuCopyStat& y) { return x.ms_per_frame > y.ms_per_frame; });
  a.copy_ms_per_frame = ms_of(copy_total_ns) / n_frames;
  a.pageable_bytes_per_frame = static_cast<double>(pageable_bytes) / n_frames;
  int64_t wait_ns = 0, outside_ns = 0;
  for (const GpuSyncRecord& s : trace.syncs) {
    const int64_t f = locate.frame(s.frame, s.start_ns);
    if (!layer_ms.count(f)) continue;
    wait_ns += duration_ns(s.start_ns, s.end_ns);
    auto h = host.find(f);
    const bool in_inference = h != host.end() && stage_at(*h->second, s.start_ns) ==
                                                     static_cast<int>(PipelineStage::kInference);
    if (!in_inference) outside_ns += duration_ns(s.start_ns, s.end_ns);
  }
  a.host_wait_ms_per_frame = ms_of(wait_ns) / n_frames;
  a.host_wait_outside_inference_ms_per_frame = ms_of(outside_ns) / n_frames;
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
