// Analysis of a GPU trace (profiler/gpu_trace.h) against the host's frames and the model's
// layers: device busy and idle time, gaps between kernels and how launch-bound inference is,
// kernel counts and sizes per frame, top kernels with their layers, per-layer device time with
// achieved TFLOP/s and bandwidth against the device's peak, copies each way and their speed,
// host waits, and the NVML series with throttling. Plain data for the reports and the advisor.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "analysis/profile_analysis.h"
#include "analysis/statistics.h"
#include "profiler/gpu_trace.h"
#include "profiler/profiler.h"

namespace ys {

struct GpuKernelStat {
  std::string name;
  std::string layer_id, layer_label;   // empty when unattributed
  int64_t count = 0;                   // over the window
  double per_frame = 0;                // launches per traced frame
  double total_ms = 0, share_pct = 0;  // share of all kernel time
  Stats us;                            // duration of one launch
  int grid[3] = {0, 0, 0}, block[3] = {0, 0, 0};
  int registers = 0;
  int64_t shared_bytes = 0;
};

struct GpuLayerStat {
  std::string id, label, type;  // as LayerResult
  Stage stage = Stage::kUnknown;
  Stats ms;              // device time per traced frame, the launch gap before each kernel included
  double busy_ms = 0;    // detailed mode: median of its kernels' summed durations
  double share_pct = 0;  // of the summed layer time
  double kernels_per_frame = 0;  // CUPTI only
  int64_t flops = 0, bytes = 0;
  double tflops = 0, gbs = 0;  // achieved
  double pct_peak_compute = 0, pct_peak_bandwidth = 0;
};

struct GpuCopyStat {
  std::string direction;  // "HtoD", "DtoH", "DtoD", "memset"
  std::string memory;     // host side: "pageable", "pinned", ... ("device" for DtoD)
  int64_t count = 0;
  double bytes_per_frame = 0, ms_per_frame = 0, gbs = 0;
};

struct NvmlSeries {
  int device = 0;
  std::vector<double> t_ms;  // since the profile's start
  std::vector<double> gpu_util_pct, mem_util_pct, mem_used_mib, sm_clock_mhz, mem_clock_mhz,
      temperature_c, power_w;  // NaN where a sample lacked the figure
};

// One part of the host's inference stage in detailed mode. The parts are consecutive, disjoint
// pieces of each traced frame's inference window, so they add up frame by frame; their means add
// up too (a mean of sums is the sum of means), which their medians, shown beside them, need not.
struct GpuInferencePart {
  std::string name;      // "launch", "kernels", "copies", "launch_wait", "gaps", "sync"
  std::string what;      // what the time was, in a line for the reports
  Stats ms;              // per traced frame
  double share_pct = 0;  // of the mean inference of the same frames
};

struct GpuInferenceParts {
  std::vector<GpuInferencePart> parts;  // in the order above; empty without kernel records
  int64_t frames = 0;                   // traced frames with device work in their inference
  Stats inference_ms;                   // those frames' host inference stage
  double sum_ms = 0;                    // sum of the parts' means
  double coverage_pct = 0;              // 100 * sum_ms / mean inference
  // The frames' own parts against their own inference: the least and most covered frame.
  double frame_coverage_min_pct = 0, frame_coverage_max_pct = 0;
  // The layers of a frame cover its device span; their means add up to this per frame, while
  // the per-layer medians (layer_sum_ms) leave out what falls in a different layer each frame.
  double layers_per_frame_mean_ms = 0;
  // The host's time inside launch calls in the window, which the launch and launch_wait parts
  // wait on: under CUPTI a graph launch handles each node in turn, and this is its cost.
  Stats launch_calls_ms;
};

struct GpuAnalysis {
  bool available = false;
  std::string mode;  // "events" or "detailed"
  std::string why;   // why there is no GPU analysis, when !available
  GpuDeviceInfo device;
  bool cuda_graph = false;
  int64_t frames = 0;  // traced frames with GPU data

  // Per-layer device time and its check against the measured inference time.
  std::vector<GpuLayerStat> layers;
  double layer_sum_ms = 0;                // sum of the per-layer medians
  double inference_ms = 0;                // median host inference stage of the traced frames
  double layer_sum_vs_inference_pct = 0;  // 100 * layer_sum / inference
  // Events mode: what one event record costs the device, measured as the traced frames' extra
  // inference time per event; taken off each span's time.
  double event_cost_us = 0;

  // Kernels (detailed mode).
  int64_t kernels = 0, unattributed_kernels = 0;
  Stats kernels_per_frame;
  Stats kernel_us;
  std::vector<std::pair<std::string, double>> kernel_size_histogram;  // bucket, launches/frame
  int64_t backend_kernels_per_run = -1;
  bool kernel_counts_match = false;  // CUPTI's per-frame kernels equal what the backend launched
  std::vector<GpuKernelStat> top_kernels;  // by total time

  // Busy and idle within the inference stage of traced frames (detailed mode).
  double busy_ms_per_frame = 0, idle_ms_per_frame = 0, busy_pct = 0;
  double gap_ms_per_frame = 0;  // idle between the first and last kernel of a frame
  double gaps_per_frame = 0;
  Stats gap_us;
  double launch_bound_pct = 0;  // gap time as a share of the device's span of a frame
  // The host inference stage around the forward's kernels (medians): from its start to the
  // first kernel (the launch, with a graph one call), and from the last kernel's end to the
  // host's return from synchronising. With the layers they make up the inference stage.
  double launch_latency_ms = 0, sync_latency_ms = 0;
  // The whole inference stage cut into named parts (detailed mode).
  GpuInferenceParts inference_parts;

  // Copies and host waits (detailed mode).
  std::vector<GpuCopyStat> copies;
  double copy_ms_per_frame = 0, pageable_bytes_per_frame = 0;
  double host_wait_ms_per_frame = 0;
  // The part outside the inference stage: waiting on copies and the pipeline's own kernels.
  // Inference ends by waiting for the forward by design (its results are needed next).
  double host_wait_outside_inference_ms_per_frame = 0;

  // NVML.
  bool nvml = false;
  std::string nvml_why;
  std::vector<NvmlSeries> series;
  double gpu_util_mean_pct = 0, mem_used_max_mib = 0, sm_clock_min_mhz = 0, sm_clock_max_mhz = 0,
         temperature_max_c = 0, power_max_w = 0, power_limit_w = 0;
  double throttled_pct = 0;      // share of samples with a thermal or power limit active
  std::string throttle_reasons;  // "power cap, thermal slowdown", ...
};

// `layers` are the profile's layers (group_layers), for ids, labels, FLOPs and bytes; `frames`
// the profiler's frame records, for the host's inference stage of each traced frame.
GpuAnalysis analyze_gpu(const GpuTrace& trace, const Graph& graph,
                        const std::vector<LayerResult>& layers,
                        const std::vector<FrameRecord>& frames, int64_t profile_start_ns);

// On a GPU the host only launches ops, so the profile's layer table, model stages and slowest
// layers take the device times instead (model stages as sums of their layers' statistics, the
// rotation of timed layers leaving no common frames to add up per frame).
void use_device_layer_times(ProfileAnalysis& a, const GpuAnalysis& gpu);

// Stores the host context (frames' stage windows, layers and their steps) in the trace, and reads
// it back, so a trace file recorded on a GPU machine is analysed the same way elsewhere.
void attach_host_context(GpuTrace& trace, const std::vector<FrameRecord>& frames,
                         const std::vector<LayerResult>& layers, int64_t profile_start_ns);
std::vector<FrameRecord> host_frames_of(const GpuTrace& trace);
std::vector<LayerResult> layers_of(const GpuTrace& trace);

// "power cap, thermal slowdown" for NVML's clocks-event-reason bits (idle and application
// settings are not limits and are left out).
std::string throttle_reason_text(uint64_t reasons);
bool is_throttling(uint64_t reasons);

}  // namespace ys
