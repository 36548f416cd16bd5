// A realistic profile to feed the report: summary.json and trace.json as the profiler writes
// them (docs/PROFILE_SCHEMA.md) for YOLOv8n at 640x640 on a CPU, with deterministic timings. The
// report tests render it, and also a sparse variant with the optional parts missing. For GPU
// runs: the records the GPU profiler takes on an H100 (profiler/gpu_trace.h) and an analysis of
// them made by hand, so the reports can be tested on machines without a GPU.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/gpu_analysis.h"
#include "analysis/profile_analysis.h"
#include "profiler/gpu_trace.h"

namespace ys::testing {

struct ProfileFixture {
  nlohmann::json summary;
  nlohmann::json trace;
};

// `frames` measured frames; layer and op counts follow YOLOv8n (23 layers).
ProfileFixture yolov8n_profile(int frames = 12);

// What a run with nothing optional looks like: no advice, cpu, memory series, histogram, gpu,
// environment or trace events, and some stats objects missing.
ProfileFixture sparse_profile();

struct GpuFixture {
  GpuTrace trace;
  GpuAnalysis analysis;
};

// One traced frame on the host: its index and its inference stage.
struct HostFrame {
  int64_t index = 0;
  int64_t inference_begin_ns = 0, inference_end_ns = 0;
};

// What the GPU profiler records for `frames` of a model with `layers` (group_layers) on an H100.
// Detailed mode: CUPTI kernels attributed to steps (one to four per layer, the Detect head split
// over a second stream), the input upload, a memset and the output download per frame, the
// host's stream synchronisation and the API calls behind all of them. Events mode: per-layer
// span times only. Both with NVML samples every 2 ms, one lacking its utilization figure and a
// few held down by the power cap. The analysis follows analyze_gpu's definitions.
GpuFixture gpu_profile(const std::vector<LayerResult>& layers, const std::vector<HostFrame>& frames,
                       bool detailed = true);

// YOLOv8n's 23 layers with their execution steps, as group_layers gives them for the ops of
// yolov8n_profile (ids, labels, types, stages, FLOPs).
std::vector<LayerResult> yolov8n_layer_results();

// yolov8n_profile on cuda:0 in detailed mode: host layer and op times are launch times, each
// inference stage waits for the device, and summary.json's "gpu" object and trace.json's GPU
// lanes come from the report writer (gpu_summary_json, gpu_trace_events).
ProfileFixture yolov8n_gpu_profile(int frames = 6);

// A report of a trace recorded on the GPU machine (tests/fixtures/gpu, gpu_trace_io.h) as the
// writers make it: its host frames give the stages, latencies and stage lanes; analyze_gpu and
// use_device_layer_times the layers; summary_json and gpu_trace_events the rest. No host op
// lane: the recorded file has no host op times.
ProfileFixture recorded_gpu_profile(const std::string& path);

}  // namespace ys::testing
