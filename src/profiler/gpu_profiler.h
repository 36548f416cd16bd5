// The GPU side of a profile. Attached to a backend that runs on a GPU, it times each layer of
// traced frames on the device with CUDA events (cheap, the default), or in detailed mode records
// every kernel, copy, synchronisation and API call through CUPTI's activity API, attributing
// each to its execution step through the backend's DeviceObserver hooks (external correlation
// for eager launches, graph-node ids for kernels replayed from a CUDA Graph). An NVML thread
// samples the device's own state meanwhile. Untraced frames run exactly as without a profiler,
// which is what lets the report measure the profiler's overhead from paired frames. In a long run
// CUPTI instead streams into a bounded ring, and only in the frames the run arms (long_frame).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "model/graph.h"
#include "profiler/gpu_record_ring.h"
#include "profiler/gpu_trace.h"
#include "runtime/backend.h"

namespace ys {

struct GpuProfilerOptions {
  bool detailed = false;    // CUPTI activity tracing
  int nvml_period_ms = 20;  // 0: no NVML sampling
  // Layers timed with events in one traced frame; the groups rotate over the traced frames.
  // Each event costs the device about 2 us inside a CUDA Graph (measured on an H200), so timing
  // all 23 layers of a YOLOv8n in every traced frame would cost about 10% of a 0.47 ms forward;
  // a group of 4 cost 3.2% on an H100, a group of 3 costs about 2.5%.
  size_t spans_per_frame = 3;
  std::string nvml_library = "libnvidia-ml.so.1";
  // A long run's flight recorder: CUPTI streams its records here, in frames long_frame arms.
  std::shared_ptr<GpuRecordRing> ring;
};

// First step of each layer span: a new span wherever a node's module (or, for nodes outside any
// module, the node itself) differs from the previous step's.
std::vector<size_t> layer_span_starts(const Graph& graph);

class GpuProfiler {
 public:
  // `graph` is the executor's prepared graph (step k runs graph.nodes[k]).
  GpuProfiler(Backend& backend, const Graph& graph, GpuProfilerOptions options);
  ~GpuProfiler();  // detaches from the backend
  GpuProfiler(const GpuProfiler&) = delete;
  GpuProfiler& operator=(const GpuProfiler&) = delete;

  // Around each measured frame's detect call; `traced` as Profiler::begin_frame decided. A traced
  // frame records span events (and CUPTI activity in detailed mode); end_frame reads them after
  // the detector has synchronised.
  void begin_frame(int64_t index, bool traced);
  void end_frame();
  // Around a frame outside the measured window (wait, warmup): times the next group of layers
  // without keeping anything, so each group's timed CUDA Graph is captured before the window
  // rather than inside a measured frame. Ends with end_frame().
  void prepare_frame();
  // A long run's frame outside the measured window: CUPTI traces it when `trace` (switched only
  // when that changes). Needs GpuProfilerOptions::ring.
  void long_frame(bool trace);
  // Why a long run's frames cannot be traced ("" when they can).
  std::string kernels_why() const;

  // Stops tracing and sampling, flushes CUPTI, maps its clock and returns everything recorded.
  GpuTrace finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ys
