#include "analysis/profile_analysis.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/error.h"
#include "model/flops.h"

namespace ys {
namespace {

double ms_between(int64_t a, int64_t b) {
  return static_cast<double>(b - a) / 1e6;
}

int64_t value_bytes(const Value& v) {
  return numel(v.shape) * static_cast<int64_t>(dtype_size(v.dtype));
}

}  // namespace

void add_to_model_stage(ModelStageResult& r, const LayerResult& l) {
  r.stage = l.stage;
  ++r.layers;
  r.ms.median += l.ms.median;
  r.ms.mean += l.ms.mean;
  r.ms.p90 += l.ms.p90;
  r.ms.p99 += l.ms.p99;
  r.ms.max += l.ms.max;
  r.ms.min += l.ms.min;
  r.ms.count = std::max(r.ms.count, l.ms.count);
}

void set_shares(ProfileAnalysis& a, double basis_ms, int64_t basis_frames) {
  a.share_basis_ms = basis_ms;
  a.share_basis_frames = basis_frames;
  a.layer_sum_ms = 0;
  for (const LayerResult& l : a.layers) a.layer_sum_ms += l.ms.median;
  auto share = [&](double ms) { return basis_ms > 0 ? 100.0 * ms / basis_ms : 0; };
  for (LayerResult& l : a.layers) l.share_pct = share(l.ms.median);
  for (ModelStageResult& r : a.model_stages) r.share_pct = share(r.ms.median);
}

std::vector<LayerResult> group_layers(const Graph& g) {
  std::vector<LayerResult> layers;
  std::map<std::string, size_t> by_id;
  std::vector<std::set<int>> weights;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    const Node& n = g.nodes[k];
    std::string id = n.module >= 0 ? std::to_string(n.module) : n.name;
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      LayerResult l;
      l.id = id;
      l.module = n.module;
      l.type = n.module >= 0 ? (n.module_type.empty() ? "module" : n.module_type) : n.op;
      l.label = n.module >= 0 ? cat(l.type, " #", n.module) : n.name;
      l.stage = n.stage;
      it = by_id.emplace(id, layers.size()).first;
      layers.push_back(l);
      weights.emplace_back();
    }
    LayerResult& l = layers[it->second];
    l.steps.push_back(k);
    l.flops += node_flops(g, n);
    l.bytes_moved += node_bytes(g, n);
    for (int v : n.inputs) {
      if (v >= 0 && g.values[static_cast<size_t>(v)].is_constant() &&
          weights[it->second].insert(v).second) {
        const Value& w = g.values[static_cast<size_t>(v)];
        if (w.dtype == DType::kFloat32 || w.dtype == DType::kFloat16) l.params += w.data.numel();
      }
    }
    for (int v : n.outputs) {
      if (v >= 0) l.activation_bytes += value_bytes(g.values[static_cast<size_t>(v)]);
    }
    if (!n.outputs.empty() && n.outputs[0] >= 0)
      l.output_shape = g.values[static_cast<size_t>(n.outputs[0])].shape;
  }
  return layers;
}

namespace {

// Each frame's latency and inference time, and each pipeline stage's times and share. Splits the
// inference times by whether the frame's ops were traced, for the layer shares and the overhead.
void analyze_frames(ProfileAnalysis& a, int64_t start_ns, const std::vector<FrameRecord>& frames,
                    std::vector<double>& traced_inf, std::vector<double>& untraced_inf) {
  std::vector<std::vector<double>> stage_ms(kPipelineStageCount);
  for (const FrameRecord& f : frames) {
    int64_t first = 0, last = 0;
    for (size_t s = 0; s < kPipelineStageCount; ++s) {
      if (f.begin_ns[s] == 0 || f.end_ns[s] < f.begin_ns[s]) continue;
      stage_ms[s].push_back(ms_between(f.begin_ns[s], f.end_ns[s]));
      if (first == 0 || f.begin_ns[s] < first) first = f.begin_ns[s];
      last = std::max(last, f.end_ns[s]);
    }
    const size_t inf = static_cast<size_t>(PipelineStage::kInference);
    const double inf_ms = f.begin_ns[inf] ? ms_between(f.begin_ns[inf], f.end_ns[inf]) : 0;
    a.frame_index.push_back(f.index);
    a.latency_ms.push_back(first ? ms_between(first, last) : 0);
    a.frame_t_ms.push_back(first ? ms_between(start_ns, first) : 0);
    a.inference_ms.push_back(inf_ms);
    (f.ops_traced ? traced_inf : untraced_inf).push_back(inf_ms);
  }
  a.latency = compute_stats(a.latency_ms);
  a.latency_histogram = make_histogram(a.latency_ms);
  static const char* const kHow[] = {
      "host steady clock around frame read and decode",
      "host steady clock around letterbox, normalisation and copy-in",
      "host steady clock around the whole forward pass (after the device finished)",
      "host steady clock around candidate extraction",
      "host steady clock around NMS and box scaling",
      "host steady clock around sinks (labels, images, JSON)"};
  double stage_total = 0;
  for (size_t s = 0; s < kPipelineStageCount; ++s) {
    if (stage_ms[s].empty()) continue;
    StageResult r;
    r.name = pipeline_stage_name(static_cast<PipelineStage>(s));
    r.ms = compute_stats(stage_ms[s]);
    r.how = kHow[s];
    stage_total += r.ms.median;
    a.stages.push_back(r);
  }
  for (auto& s : a.stages) s.share_pct = stage_total > 0 ? 100.0 * s.ms.median / stage_total : 0;
}

// Ops and layers, from the frames whose ops were traced; layer shares of the traced frames'
// inference median where there are any.
void analyze_ops_and_layers(ProfileAnalysis& a, const Profiler& profiler, const Executor& executor,
                            const std::vector<double>& traced_inf) {
  const Graph& g = executor.graph();
  const auto& frames = profiler.frames();
  const auto& times = profiler.op_times();
  const size_t n_ops = profiler.ops_per_frame();
  std::vector<std::vector<double>> op_ms(n_ops);
  for (const FrameRecord& f : frames) {
    if (!f.ops_traced) continue;
    for (size_t k = 0; k < n_ops; ++k) {
      op_ms[k].push_back(ms_between(times[f.op_offset + 2 * k], times[f.op_offset + 2 * k + 1]));
    }
  }
  a.layers = group_layers(g);
  std::vector<std::string> layer_of_step(n_ops);
  for (const auto& l : a.layers) {
    for (size_t k : l.steps) layer_of_step[k] = l.id;
  }
  for (size_t k = 0; k < n_ops; ++k) {
    const ExecutionStep& step = executor.steps()[k];
    const Node& n = g.nodes[static_cast<size_t>(step.node)];
    OpResult r;
    r.name = n.name;
    r.op = n.op;
    r.layer_id = layer_of_step[k];
    r.implementation = step.kernel->implementation();
    r.stage = n.stage;
    r.ms = compute_stats(op_ms[k]);
    r.flops = node_flops(g, n);
    a.ops.push_back(r);
  }
  const size_t traced = op_ms.empty() ? 0 : op_ms[0].size();
  std::map<Stage, ModelStageResult> stages;
  const MemoryPlan& plan = executor.memory_plan();
  for (auto& l : a.layers) {
    std::vector<double> per_frame(traced, 0.0);
    for (size_t k : l.steps) {
      for (size_t f = 0; f < traced; ++f) per_frame[f] += op_ms[k][f];
    }
    l.ms = compute_stats(per_frame);
    if (l.ms.median > 0) {
      l.gflops_per_s = static_cast<double>(l.flops) / (l.ms.median * 1e-3) / 1e9;
      l.gb_per_s = static_cast<double>(l.bytes_moved) / (l.ms.median * 1e-3) / 1e9;
    }
    if (!l.steps.empty() && l.steps.back() < plan.live_bytes_after_step.size()) {
      l.live_bytes_after = static_cast<int64_t>(plan.live_bytes_after_step[l.steps.back()]);
    }
    add_to_model_stage(stages[l.stage], l);
  }
  a.model_stages.clear();
  for (auto& [stage, r] : stages) a.model_stages.push_back(r);
  const std::vector<double>& basis = traced_inf.empty() ? a.inference_ms : traced_inf;
  set_shares(a, compute_stats(basis).median, static_cast<int64_t>(basis.size()));
  std::vector<const LayerResult*> sorted;
  for (const auto& l : a.layers) sorted.push_back(&l);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](auto* x, auto* y) { return x->ms.median > y->ms.median; });
  for (size_t i = 0; i < sorted.size() && i < 10; ++i) a.top_layers.push_back(sorted[i]->id);
}

void measure_overhead(ProfileAnalysis& a, const Profiler& profiler,
                      const std::vector<double>& traced_inf,
                      const std::vector<double>& untraced_inf) {
  const auto& frames = profiler.frames();
  const size_t n_ops = profiler.ops_per_frame();
  // Overhead: each traced frame against the untraced frame right after it, so slow drifts of the
  // machine (other load, clocks) cancel; the median of those differences against the untraced
  // median. Noise: 1.96 robust standard errors of that median (MAD-based, x1.2533 for a median).
  a.overhead.method =
      "median of paired differences between frames with op tracing and the interleaved frames "
      "without it";
  a.overhead.frames = static_cast<int64_t>(frames.size());
  a.overhead.hook_cost_ns = profiler.hook_cost_ns();
  std::vector<double> diffs;
  for (size_t i = 0; i + 1 < frames.size(); ++i) {
    const size_t inf = static_cast<size_t>(PipelineStage::kInference);
    if (!frames[i].ops_traced || frames[i + 1].ops_traced || !frames[i].begin_ns[inf] ||
        !frames[i + 1].begin_ns[inf]) {
      continue;
    }
    diffs.push_back(ms_between(frames[i].begin_ns[inf], frames[i].end_ns[inf]) -
                    ms_between(frames[i + 1].begin_ns[inf], frames[i + 1].end_ns[inf]));
  }
  a.overhead.pairs = static_cast<int64_t>(diffs.size());
  if (diffs.size() >= 2 && untraced_inf.size() >= 2) {
    a.overhead.measured = true;
    a.overhead.profiled_ms = compute_stats(traced_inf).median;
    a.overhead.unprofiled_ms = compute_stats(untraced_inf).median;
    const double median_diff = compute_stats(diffs).median;
    std::vector<double> dev;
    for (double d : diffs) dev.push_back(std::fabs(d - median_diff));
    const double sigma = 1.4826 * compute_stats(dev).median;
    const double se = 1.2533 * sigma / std::sqrt(static_cast<double>(diffs.size()));
    if (a.overhead.unprofiled_ms > 0) {
      a.overhead.pct = 100.0 * median_diff / a.overhead.unprofiled_ms;
      a.overhead.noise_pct = 100.0 * 1.96 * se / a.overhead.unprofiled_ms;
      a.overhead.estimated_pct = 100.0 * a.overhead.hook_cost_ns * static_cast<double>(n_ops) /
                                 1e6 / a.overhead.unprofiled_ms;
    }
    a.overhead.within_noise = std::fabs(a.overhead.pct) <= a.overhead.noise_pct;
  }
}

// The arena and weights, and the resource samples as series.
void analyze_memory_and_cpu(ProfileAnalysis& a, const Profiler& profiler, const Executor& executor,
                            const std::vector<ResourceSample>& samples) {
  const Graph& g = executor.graph();
  const MemoryPlan& plan = executor.memory_plan();
  a.arena_bytes = static_cast<int64_t>(plan.arena_bytes);
  a.naive_bytes = static_cast<int64_t>(plan.naive_bytes);
  for (const Value& v : g.values) {
    if (v.is_constant()) a.weights_bytes += static_cast<int64_t>(v.data.nbytes());
  }
  double cpu_sum = 0;
  for (const ResourceSample& s : samples) {
    const double t = ms_between(profiler.start_ns(), s.t_ns);
    a.rss_series.emplace_back(t, static_cast<double>(s.rss_bytes));
    a.cpu_series.emplace_back(t, s.cpu_percent);
    a.rss_peak_bytes = std::max(a.rss_peak_bytes, s.rss_bytes);
    cpu_sum += s.cpu_percent;
  }
  a.cpu_mean_pct = samples.empty() ? 0 : cpu_sum / static_cast<double>(samples.size());
}

}  // namespace

ProfileAnalysis analyze_profile(const Profiler& profiler, const Executor& executor,
                                const std::vector<ResourceSample>& samples) {
  ProfileAnalysis a;
  a.frames_measured = static_cast<int64_t>(profiler.frames().size());
  std::vector<double> traced_inf, untraced_inf;
  analyze_frames(a, profiler.start_ns(), profiler.frames(), traced_inf, untraced_inf);
  analyze_ops_and_layers(a, profiler, executor, traced_inf);
  measure_overhead(a, profiler, traced_inf, untraced_inf);
  analyze_memory_and_cpu(a, profiler, executor, samples);
  return a;
}

void name_gpu_decode_stage(ProfileAnalysis& a) {
  for (StageResult& s : a.stages) {
    if (s.name != pipeline_stage_name(PipelineStage::kRead)) continue;
    s.name = "decode";
    s.how =
        "host steady clock around demuxing, NVDEC decoding and the letterbox kernel into the "
        "model input (no preprocess stage is left)";
  }
}

}  // namespace ys
