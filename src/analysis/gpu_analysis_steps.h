// The steps of analyze_gpu (analysis/gpu_analysis.h) and what they share. analyze_gpu reads the
// run's facts and NVML's series, times each layer on the device (from CUPTI's kernels or from
// CUDA events' spans), rates the layers against the device's peaks, and in detailed mode adds
// the kernels, each frame's busy time and gaps, and the copies and host waits. Each step fills
// its own part of one GpuAnalysis. Internal to analysis/.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "analysis/gpu_analysis.h"

namespace ys::gpu_steps {

inline double ms_of(int64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

inline int64_t duration_ns(int64_t begin, int64_t end) {
  return end > begin ? end - begin : 0;
}

double mean_of(const std::vector<double>& v);

// The pipeline stage of frame `f` whose host window holds `t`, or -1. Kernels outside the
// forward (the GPU pipeline's letterbox, decoding and NMS) belong to the stage that launched
// them, and each such stage ends by waiting for its kernels, so they run inside its window.
int stage_at(const FrameRecord& f, int64_t t);
// The host inference stage of a frame record, or nothing when it did not run.
std::optional<std::pair<int64_t, int64_t>> inference_window(const FrameRecord& f);

// Host frames by time, for records the tracer could not give a frame: a record belongs to the
// frame whose first stage began at or before it and whose last stage ended after it began.
class FrameLocator {
 public:
  explicit FrameLocator(const std::vector<FrameRecord>& frames);
  int64_t frame(int64_t recorded, int64_t t_ns) const;

 private:
  struct Window {
    int64_t begin, end, index;
  };
  std::vector<Window> windows_;
};

// The trace with the model's layers by execution step and the host's frames by index and by
// time, and what the layer timing step found for each traced frame, for the steps after it.
struct GpuTraceContext {
  GpuTraceContext(const GpuTrace& trace, const Graph& graph, const std::vector<LayerResult>& layers,
                  const std::vector<FrameRecord>& frames);

  // The index in `layers` of the layer an execution step belongs to, or -1.
  int layer_of(int64_t step) const;

  const GpuTrace& trace;
  const std::vector<LayerResult>& layers;
  const std::vector<FrameRecord>& frames;
  bool detailed = false;  // CUPTI's kernels, not CUDA events' spans
  std::map<int64_t, const FrameRecord*> host;
  FrameLocator locate;

  // Per traced frame, the device time of each layer (NaN where events mode did not time it).
  std::map<int64_t, std::vector<double>> layer_ms;
  std::map<int64_t, std::vector<double>> layer_busy_ms;  // detailed mode: kernel time per layer
  std::vector<bool> layer_seen, layer_half;
  std::vector<int64_t> layer_kernels;
  double untraced_inference_ms = 0;  // events mode, when there are untraced frames to compare
  // Detailed mode: kernels in start order, and per frame the indices of its kernels.
  std::vector<size_t> order;
  std::map<int64_t, std::vector<size_t>> frame_kernels;
  double n_frames = 1;  // traced frames with GPU data, at least 1, to divide by

 private:
  std::vector<int> layer_of_step_;
};

// NVML's series and the summary figures of the measured window (gpu_analysis.cpp).
void analyze_nvml(const GpuTrace& trace, int64_t profile_start_ns, GpuAnalysis& a);
// Per-frame layer times: from the kernels (detailed mode) or from the event spans.
void time_layers_by_kernels(GpuTraceContext& c);
void time_layers_by_events(GpuTraceContext& c, GpuAnalysis& a);
// Each layer's statistics against the device's peaks, their sum and the inference they make up.
void add_layer_stats(const GpuTraceContext& c, GpuAnalysis& a);

// Detailed mode (gpu_device_work.cpp): kernels by name and layer, the top ones; each frame's
// kernel counts, sizes, busy time and gaps; copies by direction and memory, and host waits.
void add_kernel_stats(const GpuTraceContext& c, GpuAnalysis& a);
void add_frame_timeline(const GpuTraceContext& c, GpuAnalysis& a);
void add_copies_and_waits(const GpuTraceContext& c, GpuAnalysis& a);
// Each traced frame's inference window cut into named parts (gpu_inference_parts.cpp).
void add_inference_parts(const GpuTraceContext& c, GpuAnalysis& a);

}  // namespace ys::gpu_steps
