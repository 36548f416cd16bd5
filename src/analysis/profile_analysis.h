// Aggregation of a recorded profile: per-stage, per-layer (Ultralytics module) and per-op
// statistics, shares, achieved throughput, memory by layer, frame series and the profiler's
// measured overhead. Plain data: the report layer decides how to show it.
#pragma once

#include <string>
#include <vector>

#include "analysis/statistics.h"
#include "model/graph.h"
#include "profiler/profiler.h"
#include "profiler/resource_sampler.h"
#include "runtime/executor.h"

namespace ys {

struct StageResult {
  std::string name;
  Stats ms;
  double share_pct = 0;
  std::string how;
};

struct LayerResult {
  std::string id;     // "15", or the node name for graphs without module indices
  std::string label;  // "C2f #15"
  std::string type;
  int module = -1;
  Stage stage = Stage::kUnknown;
  std::vector<size_t> steps;  // execution steps of its ops
  Stats ms;
  double share_pct = 0;  // of ProfileAnalysis::share_basis_ms
  int64_t flops = 0, params = 0, activation_bytes = 0, bytes_moved = 0;
  Shape output_shape;
  double gflops_per_s = 0, gb_per_s = 0;
  int64_t live_bytes_after = 0;
};

struct OpResult {
  std::string name, op, layer_id, implementation;
  Stage stage = Stage::kUnknown;
  Stats ms;
  int64_t flops = 0;
};

// A model stage is the sum of its layers: each statistic is the sum of theirs, so the stage's
// median is what its layers' medians add up to (a p90 so made bounds the stage's own p90 from
// above, layers seldom peaking in the same frame).
struct ModelStageResult {
  Stage stage = Stage::kUnknown;
  Stats ms;
  double share_pct = 0;  // of ProfileAnalysis::share_basis_ms
  int layers = 0;
};

struct OverheadResult {
  bool measured = false;
  double profiled_ms = 0, unprofiled_ms = 0, pct = 0;
  // Half-width of an approximate 95% interval around pct from the spread of the paired
  // differences; when |pct| is below it, the measurement cannot tell the overhead from noise.
  double noise_pct = 0;
  bool within_noise = false;
  // Hook cost times ops per frame, against the unprofiled inference time.
  double hook_cost_ns = 0, estimated_pct = 0;
  int64_t frames = 0, pairs = 0;
  std::string method;
};

struct ProfileAnalysis {
  std::vector<StageResult> stages;
  std::vector<ModelStageResult> model_stages;
  std::vector<LayerResult> layers;
  std::vector<OpResult> ops;
  std::vector<std::string> top_layers;
  std::vector<int64_t> frame_index;
  std::vector<double> latency_ms, inference_ms;
  // Each measured frame's start, ms since the profiler started (for periods in wall time).
  std::vector<double> frame_t_ms;
  Stats latency;
  Histogram latency_histogram;
  OverheadResult overhead;
  int64_t arena_bytes = 0, naive_bytes = 0, weights_bytes = 0, rss_peak_bytes = 0;
  std::vector<std::pair<double, double>> rss_series;  // t_ms, bytes
  std::vector<std::pair<double, double>> cpu_series;  // t_ms, percent
  double cpu_mean_pct = 0;
  int64_t frames_measured = 0;
  // What every layer and model-stage share is of: the median inference stage of the frames the
  // layers were timed on (the op-traced frames; on a GPU, the device's traced frames), so that
  // "x % of inference" means the same in every section. The layers' medians add up to
  // layer_sum_ms; the rest of inference is the executor's own time between ops.
  double share_basis_ms = 0;
  int64_t share_basis_frames = 0;
  double layer_sum_ms = 0;
  // The layer and model-stage times are the device's own (set by use_device_layer_times), not
  // the host's time around each op.
  bool device_layer_times = false;
};

// Layers of a prepared graph in execution order (grouping consecutive steps by module).
std::vector<LayerResult> group_layers(const Graph& g);

// Adds a layer's statistics to its model stage's (see ModelStageResult).
void add_to_model_stage(ModelStageResult& r, const LayerResult& l);
// Sets share_basis_*, layer_sum_ms and every layer's and model stage's share_pct.
void set_shares(ProfileAnalysis& a, double basis_ms, int64_t basis_frames);

ProfileAnalysis analyze_profile(const Profiler& profiler, const Executor& executor,
                                const std::vector<ResourceSample>& samples);

// decoder=nvdec (issue 20): the read stage is the GPU decoder's (demuxing, NVDEC and the letterbox
// kernel into the model's input), so it is named "decode", with how it was timed (trace.json's
// spans: name_gpu_decode_spans). Live metrics and long runs keep the frame loop's name, "read".
void name_gpu_decode_stage(ProfileAnalysis& a);

}  // namespace ys
