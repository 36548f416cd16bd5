#include "session/live_exposition.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "report/prometheus_text.h"

namespace ys {
namespace {

using Samples = std::vector<std::pair<PromLabels, double>>;

Samples one(double v) {
  return {{{}, v}};
}

// One sample per published GPU, labelled with its device index.
template <typename Field>
Samples per_gpu(const LiveSnapshot& s, Field field) {
  Samples out;
  for (const GpuGauges& g : s.gpus)
    out.push_back({{{"device", std::to_string(g.device)}}, field(g)});
  return out;
}

}  // namespace

std::string prometheus_metrics(const LiveSnapshot& s) {
  PromWriter w;
  w.family("yoloscope_build_info", "gauge",
           "Always 1; the labels name the YoloScope version, the backend and the model.",
           {{{{"version", s.version}, {"backend", s.backend}, {"model", s.model}}, 1}});
  w.family("yoloscope_frames_total", "counter",
           "Images through the whole pipeline (read to output).",
           one(static_cast<double>(s.frames)));
  Samples dets;
  for (size_t c = 0; c < s.detections.size(); ++c) {
    // Classes never seen are left out: 80 lines of zeros per scrape say nothing.
    if (s.detections[c] == 0) continue;
    const std::string name = c < s.class_names.size() ? s.class_names[c] : "unknown";
    dets.push_back({{{"class", name}}, static_cast<double>(s.detections[c])});
  }
  w.family("yoloscope_detections_total", "counter", "Detections kept after NMS, by class.", dets);

  std::vector<PromHistogram> stages;
  const auto& bounds = stage_bucket_bounds();
  for (size_t i = 0; i < kPipelineStageCount; ++i) {
    PromHistogram h;
    h.labels = {{"stage", pipeline_stage_name(static_cast<PipelineStage>(i))}};
    h.bounds.assign(bounds.begin(), bounds.end());
    h.counts.assign(s.stages[i].counts.begin(), s.stages[i].counts.end());
    h.sum = static_cast<double>(s.stages[i].sum_ns) / 1e9;
    stages.push_back(std::move(h));
  }
  w.histogram("yoloscope_stage_seconds",
              "Time of one pipeline stage for one batch (read, preprocess, inference, box_decode, "
              "nms, output).",
              stages);
  w.family("yoloscope_inference_batch_size", "gauge", "Images in the last inference call.",
           one(static_cast<double>(s.batch_size)));
  w.family("yoloscope_spikes_total", "counter", "Latency spikes found so far.",
           one(static_cast<double>(s.spikes)));
  w.family("yoloscope_spike_period_seconds", "gauge",
           "Period of recurring spikes; 0 while none is found.", one(s.spike_period_seconds));

  w.family("yoloscope_gpu_utilization_ratio", "gauge",
           "Share of the last NVML sample period in which a kernel ran (0 to 1).",
           per_gpu(s, [](const GpuGauges& g) { return g.utilization_ratio; }));
  w.family("yoloscope_gpu_memory_used_bytes", "gauge", "Device memory in use (NVML).",
           per_gpu(s, [](const GpuGauges& g) { return g.memory_used_bytes; }));
  w.family("yoloscope_gpu_sm_clock_hertz", "gauge", "SM clock (NVML).",
           per_gpu(s, [](const GpuGauges& g) { return g.sm_clock_hertz; }));
  w.family("yoloscope_gpu_power_watts", "gauge", "Board power draw (NVML).",
           per_gpu(s, [](const GpuGauges& g) { return g.power_watts; }));
  w.family("yoloscope_gpu_throttled", "gauge",
           "1 while a power or thermal clock-event reason slows the GPU, else 0 (NVML).",
           per_gpu(s, [](const GpuGauges& g) { return g.throttled; }));

  w.family("yoloscope_process_cpu_seconds_total", "counter",
           "CPU time of the process, user and system, all threads.", one(s.process_cpu_seconds));
  w.family("yoloscope_process_resident_memory_bytes", "gauge", "Resident memory of the process.",
           one(s.resident_memory_bytes));
  const double elapsed = static_cast<double>(std::max<int64_t>(s.t_ns - s.start_ns, 1)) / 1e9;
  w.family("yoloscope_profiler_overhead_ratio", "gauge",
           "Share of the run's wall time spent recording these metrics on the pipeline's thread.",
           one(s.recording_seconds / elapsed));
  return w.text();
}

std::string prometheus_metrics(const LiveMetrics& metrics) {
  return prometheus_metrics(metrics.snapshot());
}

}  // namespace ys
