// Turning an analysed profile into files: summary.json (schema in docs/PROFILE_SCHEMA.md),
// trace.json (Chrome Trace Event Format), layers.csv, report.html, and the console summary. The
// GPU arguments are optional: without them (a CPU run) every output is what it was before GPU
// profiling existed, apart from summary.json's "gpu": null.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "analysis/gpu_analysis.h"
#include "analysis/profile_analysis.h"
#include "profiler/environment.h"
#include "profiler/gpu_trace.h"
#include "profiler/profiler.h"
#include "profiler/resource_sampler.h"

namespace ys {

constexpr int kProfileSchemaVersion = 2;

struct ModelInfo {
  std::string name, path, sha256, family;
  bool synthetic_weights = false;
  Shape input_shape;
  int64_t parameters = 0;
  double gflops = 0;
  int64_t layers = 0, ops = 0;
};

struct RunInfo {
  std::string source;
  int64_t frames_total = 0;
  ProfileSchedule schedule;
  int64_t batch = 1;
  std::string device, backend;
  int threads = 0;
  std::vector<std::pair<std::string, std::string>> args;
  // What the reader must know to trust the figures: a source shorter than the schedule, a
  // setting that did nothing on this device. Shown in the console, summary.json and the report.
  std::vector<std::string> notes;
};

// `gpu` null (a CPU run) writes "gpu": null.
nlohmann::json summary_json(const ProfileAnalysis& a, const ModelInfo& model, const RunInfo& run,
                            const Environment& env,
                            const nlohmann::json& advice = nlohmann::json::array(),
                            const GpuAnalysis* gpu = nullptr);
// summary.json's "gpu" object on its own.
nlohmann::json gpu_summary_json(const GpuAnalysis& gpu);

// With `gpu`, the trace gains one process per device with a lane per stream (kernels nested
// under their layer's span) and a copies lane per stream, host lanes for device waits and CUDA
// API calls, and NVML counters.
nlohmann::json chrome_trace(const Profiler& profiler, const Executor& executor,
                            const std::vector<ResourceSample>& samples,
                            const GpuTrace* gpu = nullptr);
// Those GPU events alone. `layers` (group_layers of the executor's graph) name the execution
// steps; `frames` place span times of events mode, which have no start of their own, back to
// back from each frame's inference begin; times are relative to `start_ns`.
nlohmann::json gpu_trace_events(const GpuTrace& gpu, const std::vector<LayerResult>& layers,
                                const std::vector<FrameRecord>& frames, int64_t start_ns);
std::string layers_csv(const ProfileAnalysis& a);
// How op and layer times were taken on this backend: host timestamps around each kernel, which
// on an asynchronous GPU backend time the launch, not the work.
std::string op_timing_method(const std::string& backend, bool device_layer_times = false);

// A measured overhead is shown as a number only when it is positive and beyond its noise;
// otherwise as "not measurable: below +/- bound".
bool overhead_measurable(const OverheadResult& o);
double overhead_bound_pct(const OverheadResult& o);

// A few lines for the terminal: where the time goes and where the report is.
std::string console_summary(const ProfileAnalysis& a, const ModelInfo& model, const RunInfo& run,
                            const std::string& report_dir, const GpuAnalysis* gpu = nullptr);

// Writes summary.json, trace.json, layers.csv and report.html into `dir` (created if needed).
// Throws ys::Error(kIo) naming the file that could not be written.
void write_profile_reports(const std::string& dir, const nlohmann::json& summary,
                           const nlohmann::json& trace, const std::string& csv);

}  // namespace ys
