#include "report/profile_report.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/file_io.h"
#include "report/html_report.h"

namespace ys {
namespace {

using nlohmann::json;

double round_to(double x, int digits) {
  const double f = std::pow(10.0, digits);
  return std::round(x * f) / f;
}

json stats_json(const Stats& s) {
  return {{"median", round_to(s.median, 4)},
          {"mean", round_to(s.mean, 4)},
          {"p90", round_to(s.p90, 4)},
          {"p99", round_to(s.p99, 4)},
          {"max", round_to(s.max, 4)},
          {"min", round_to(s.min, 4)},
          {"count", s.count}};
}

// Statistics of a part that recorded nothing (kernel sizes in events mode) are null, not zeros.
json stats_or_null(const Stats& s) {
  return s.count == 0 ? json(nullptr) : stats_json(s);
}

// NaN (a figure NVML could not give) becomes null.
json number_or_null(double x, int digits) {
  return std::isfinite(x) ? json(round_to(x, digits)) : json(nullptr);
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::ostringstream os;
  os << std::put_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return os.str();
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  write_file_atomic(path.string(), text, cat("cannot write '", path.string(), "'"));
}

json device_json(const GpuDeviceInfo& d) {
  return {{"id", d.id},
          {"name", d.name},
          {"compute_capability", std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor)},
          {"sm_count", d.sm_count},
          {"memory_bytes", d.memory_bytes},
          {"sm_clock_mhz", round_to(d.sm_clock_mhz, 1)},
          {"peak_fp32_tflops", round_to(d.peak_fp32_tflops, 2)},
          {"peak_fp16_tflops", round_to(d.peak_fp16_tflops, 2)},
          {"peak_bandwidth_gbs", round_to(d.peak_bandwidth_gbs, 1)},
          {"tensor_cores", d.tensor_cores}};
}

constexpr size_t kMaxSeriesPoints = 500;

// Long runs sample NVML thousands of times; the report draws a few hundred pixels. Each output
// point is the mean of a run of consecutive samples (NaNs left out), so a short spike is
// flattened but no stretch of the run is skipped.
json series_json(const NvmlSeries& s) {
  const size_t n = s.t_ms.size();
  const size_t points = std::min(n, kMaxSeriesPoints);
  auto bucket_mean = [&](const std::vector<double>& v, size_t k) {
    const size_t a = k * n / points, b = (k + 1) * n / points;
    double sum = 0;
    int64_t count = 0;
    for (size_t i = a; i < b && i < v.size(); ++i) {
      if (std::isfinite(v[i])) {
        sum += v[i];
        ++count;
      }
    }
    return count ? sum / static_cast<double>(count) : std::nan("");
  };
  auto column = [&](const std::vector<double>& v, int digits) {
    json out = json::array();
    for (size_t k = 0; k < points; ++k) out.push_back(number_or_null(bucket_mean(v, k), digits));
    return out;
  };
  return {{"device", s.device},
          {"samples", n},
          {"points", points},
          {"t_ms", column(s.t_ms, 1)},
          {"gpu_util_pct", column(s.gpu_util_pct, 1)},
          {"mem_util_pct", column(s.mem_util_pct, 1)},
          {"mem_used_mib", column(s.mem_used_mib, 1)},
          {"sm_clock_mhz", column(s.sm_clock_mhz, 0)},
          {"mem_clock_mhz", column(s.mem_clock_mhz, 0)},
          {"temperature_c", column(s.temperature_c, 1)},
          {"power_w", column(s.power_w, 1)}};
}

// NVML's utilization is the share of time a kernel ran over its own sample period, which the
// driver sets between 1/6 s and 1 s by product: over a shorter window its readings mostly
// describe the time before the window.
constexpr double kNvmlAveragingMs = 1000;

// The time the NVML samples span, over all devices.
double nvml_window_ms(const GpuAnalysis& g) {
  double w = 0;
  for (const NvmlSeries& s : g.series) {
    if (!s.t_ms.empty()) w = std::max(w, s.t_ms.back() - s.t_ms.front());
  }
  return w;
}

bool nvml_window_short(const GpuAnalysis& g) {
  return g.nvml && nvml_window_ms(g) < kNvmlAveragingMs;
}

bool has_kernel_data(const GpuAnalysis& g) {
  return g.mode == "detailed" && g.kernels > 0;
}

std::string kernels_why(const GpuAnalysis& g) {
  if (has_kernel_data(g)) return {};
  if (g.mode != "detailed") {
    return "kernels, copies, gaps and host waits are recorded with profile_detail=detailed "
           "(CUPTI); this run timed layers with CUDA events only";
  }
  return g.why.empty() ? "CUPTI recorded no kernels in the traced frames" : g.why;
}

}  // namespace

json gpu_summary_json(const GpuAnalysis& g) {
  if (!g.available) return {{"available", false}, {"why", g.why}, {"mode", g.mode}};
  json j;
  j["available"] = true;
  j["mode"] = g.mode;
  j["device"] = device_json(g.device);
  j["cuda_graph"] = g.cuda_graph;
  j["frames"] = g.frames;
  json layers = json::array();
  for (const GpuLayerStat& l : g.layers) {
    layers.push_back({{"id", l.id},
                      {"label", l.label},
                      {"type", l.type},
                      {"stage", stage_name(l.stage)},
                      {"ms", stats_or_null(l.ms)},
                      {"share_pct", round_to(l.share_pct, 2)},
                      {"kernels_per_frame", round_to(l.kernels_per_frame, 2)},
                      {"busy_ms", round_to(l.busy_ms, 4)},
                      {"flops", l.flops},
                      {"bytes", l.bytes},
                      {"tflops", round_to(l.tflops, 3)},
                      {"gb_per_s", round_to(l.gbs, 2)},
                      {"pct_peak_compute", round_to(l.pct_peak_compute, 2)},
                      {"pct_peak_bandwidth", round_to(l.pct_peak_bandwidth, 2)}});
  }
  j["layers"] = layers;
  j["layer_sum_ms"] = round_to(g.layer_sum_ms, 4);
  j["inference_ms"] = round_to(g.inference_ms, 4);
  j["layer_sum_vs_inference_pct"] = round_to(g.layer_sum_vs_inference_pct, 2);
  j["event_cost_us"] = round_to(g.event_cost_us, 3);

  const bool detailed = has_kernel_data(g);
  if (detailed) {
    json top = json::array();
    for (const GpuKernelStat& k : g.top_kernels) {
      top.push_back({{"name", k.name},
                     {"layer", k.layer_id.empty() ? json(nullptr) : json(k.layer_id)},
                     {"layer_label", k.layer_label},
                     {"count", k.count},
                     {"per_frame", round_to(k.per_frame, 2)},
                     {"total_ms", round_to(k.total_ms, 4)},
                     {"share_pct", round_to(k.share_pct, 2)},
                     {"us", stats_or_null(k.us)},
                     {"grid", {k.grid[0], k.grid[1], k.grid[2]}},
                     {"block", {k.block[0], k.block[1], k.block[2]}},
                     {"registers", k.registers},
                     {"shared_bytes", k.shared_bytes}});
    }
    json histogram = json::array();
    for (const auto& [bucket, per_frame] : g.kernel_size_histogram)
      histogram.push_back({{"bucket", bucket}, {"per_frame", round_to(per_frame, 2)}});
    j["kernels"] = {
        {"count", g.kernels},
        {"unattributed", g.unattributed_kernels},
        {"per_frame", stats_or_null(g.kernels_per_frame)},
        {"us", stats_or_null(g.kernel_us)},
        {"size_histogram", histogram},
        {"backend_per_run",
         g.backend_kernels_per_run >= 0 ? json(g.backend_kernels_per_run) : json(nullptr)},
        {"counts_match", g.kernel_counts_match},
        {"top", top}};
    j["busy"] = {{"busy_ms_per_frame", round_to(g.busy_ms_per_frame, 4)},
                 {"idle_ms_per_frame", round_to(g.idle_ms_per_frame, 4)},
                 {"busy_pct", round_to(g.busy_pct, 2)},
                 {"gap_ms_per_frame", round_to(g.gap_ms_per_frame, 4)},
                 {"gaps_per_frame", round_to(g.gaps_per_frame, 2)},
                 {"gap_us", stats_or_null(g.gap_us)},
                 {"launch_bound_pct", round_to(g.launch_bound_pct, 2)},
                 {"launch_latency_ms", round_to(g.launch_latency_ms, 4)},
                 {"sync_latency_ms", round_to(g.sync_latency_ms, 4)}};
    json copies = json::array();
    for (const GpuCopyStat& c : g.copies) {
      copies.push_back({{"direction", c.direction},
                        {"memory", c.memory},
                        {"count", c.count},
                        {"bytes_per_frame", round_to(c.bytes_per_frame, 0)},
                        {"ms_per_frame", round_to(c.ms_per_frame, 4)},
                        {"gb_per_s", round_to(c.gbs, 2)}});
    }
    j["copies"] = {{"by_direction", copies},
                   {"ms_per_frame", round_to(g.copy_ms_per_frame, 4)},
                   {"pageable_bytes_per_frame", round_to(g.pageable_bytes_per_frame, 0)}};
    j["host_wait_ms_per_frame"] = round_to(g.host_wait_ms_per_frame, 4);
    j["host_wait_outside_inference_ms_per_frame"] =
        round_to(g.host_wait_outside_inference_ms_per_frame, 4);
  } else {
    j["kernels"] = nullptr;
    j["busy"] = nullptr;
    j["copies"] = nullptr;
    j["host_wait_ms_per_frame"] = nullptr;
    j["host_wait_outside_inference_ms_per_frame"] = nullptr;
  }

  json nvml = {{"available", g.nvml}};
  if (g.nvml) {
    json series = json::array();
    for (const NvmlSeries& s : g.series) series.push_back(series_json(s));
    nvml["gpu_util_mean_pct"] = round_to(g.gpu_util_mean_pct, 1);
    nvml["window_ms"] = round_to(nvml_window_ms(g), 1);
    nvml["averaging_period_ms"] = kNvmlAveragingMs;
    nvml["short_window"] = nvml_window_short(g);
    nvml["mem_used_max_mib"] = round_to(g.mem_used_max_mib, 1);
    nvml["sm_clock_min_mhz"] = round_to(g.sm_clock_min_mhz, 0);
    nvml["sm_clock_max_mhz"] = round_to(g.sm_clock_max_mhz, 0);
    nvml["temperature_max_c"] = round_to(g.temperature_max_c, 1);
    nvml["power_max_w"] = round_to(g.power_max_w, 1);
    nvml["power_limit_w"] = round_to(g.power_limit_w, 1);
    nvml["throttled_pct"] = round_to(g.throttled_pct, 2);
    nvml["throttle_reasons"] = g.throttle_reasons;
    nvml["series"] = series;
  } else {
    nvml["why"] = g.nvml_why;
  }
  j["nvml"] = nvml;

  json missing = json::object();
  if (!detailed) missing["kernels"] = kernels_why(g);
  if (!g.nvml) missing["nvml"] = g.nvml_why.empty() ? "NVML was not sampled" : g.nvml_why;
  j["not_available"] = missing;
  return j;
}

json summary_json(const ProfileAnalysis& a, const ModelInfo& model, const RunInfo& run,
                  const Environment& env, const json& advice, const GpuAnalysis* gpu) {
  json j;
  j["schema"] = "yoloscope.profile";
  j["schema_version"] = kProfileSchemaVersion;
  j["generated_at"] = utc_now();
  j["tool"] = {{"name", "YoloScope"}, {"version", "0.1.0"}};
  j["model"] = {{"name", model.name},
                {"path", model.path},
                {"sha256", model.sha256},
                {"family", model.family},
                {"synthetic_weights", model.synthetic_weights},
                {"input_shape", model.input_shape},
                {"parameters", model.parameters},
                {"gflops", round_to(model.gflops, 3)},
                {"layers", model.layers},
                {"ops", model.ops}};
  json args = json::object();
  for (const auto& [k, v] : run.args) args[k] = v;
  j["run"] = {{"source", run.source},
              {"frames_total", run.frames_total},
              {"frames_measured", a.frames_measured},
              {"measured_frames", a.frame_index},
              {"schedule",
               {{"wait", run.schedule.wait},
                {"warmup", run.schedule.warmup},
                {"active", run.schedule.active},
                {"repeat", run.schedule.repeat}}},
              {"batch", run.batch},
              {"device", run.device},
              {"backend", run.backend},
              {"op_timing", op_timing_method(run.backend, a.device_layer_times)},
              {"threads", run.threads},
              {"args", args},
              {"notes", run.notes}};
  json stages = json::array();
  for (const auto& s : a.stages) {
    stages.push_back({{"name", s.name},
                      {"ms", stats_json(s.ms)},
                      {"share_pct", round_to(s.share_pct, 2)},
                      {"how", s.how}});
  }
  j["stages"] = stages;
  json model_stages = json::array();
  for (const auto& s : a.model_stages) {
    model_stages.push_back({{"name", stage_name(s.stage)},
                            {"ms", stats_json(s.ms)},
                            {"share_pct", round_to(s.share_pct, 2)},
                            {"layers", s.layers}});
  }
  j["model_stages"] = model_stages;
  j["shares"] = {{"of", "inference"},
                 {"inference_ms", round_to(a.share_basis_ms, 4)},
                 {"frames", a.share_basis_frames},
                 {"layer_sum_ms", round_to(a.layer_sum_ms, 4)},
                 {"how", a.device_layer_times
                             ? "layer and model-stage shares are of the median host inference "
                               "stage of the frames the GPU traced"
                             : "layer and model-stage shares are of the median inference stage "
                               "of the op-traced frames, the frames the layers were timed on"}};
  json layers = json::array();
  for (const auto& l : a.layers) {
    layers.push_back({{"id", l.id},
                      {"label", l.label},
                      {"module", l.module},
                      {"type", l.type},
                      {"stage", stage_name(l.stage)},
                      {"ops", l.steps.size()},
                      {"ms", stats_json(l.ms)},
                      {"share_pct", round_to(l.share_pct, 2)},
                      {"flops", l.flops},
                      {"params", l.params},
                      {"output_shape", l.output_shape},
                      {"activation_bytes", l.activation_bytes},
                      {"gflops_per_s", round_to(l.gflops_per_s, 2)},
                      {"gb_per_s", round_to(l.gb_per_s, 3)},
                      {"live_bytes_after", l.live_bytes_after}});
  }
  j["layers"] = layers;
  json ops = json::array();
  for (const auto& o : a.ops) {
    ops.push_back({{"name", o.name},
                   {"op", o.op},
                   {"layer", o.layer_id},
                   {"stage", stage_name(o.stage)},
                   {"ms", stats_json(o.ms)},
                   {"flops", o.flops},
                   {"implementation", o.implementation}});
  }
  j["ops"] = ops;
  j["top_layers"] = a.top_layers;
  json rss = json::array(), cpu = json::array();
  for (const auto& [t, v] : a.rss_series) rss.push_back({round_to(t, 1), static_cast<int64_t>(v)});
  for (const auto& [t, v] : a.cpu_series) cpu.push_back({round_to(t, 1), round_to(v, 1)});
  j["memory"] = {{"arena_peak_bytes", a.arena_bytes},
                 {"naive_bytes", a.naive_bytes},
                 {"weights_bytes", a.weights_bytes},
                 {"rss_peak_bytes", a.rss_peak_bytes},
                 {"rss_series", rss}};
  j["cpu"] = {
      {"utilization_series", cpu}, {"mean_pct", round_to(a.cpu_mean_pct, 1)}, {"cores", env.cores}};
  json lat = json::array(), inf = json::array();
  for (double v : a.latency_ms) lat.push_back(round_to(v, 4));
  for (double v : a.inference_ms) inf.push_back(round_to(v, 4));
  json edges = json::array();
  for (double e : a.latency_histogram.edges) edges.push_back(round_to(e, 4));
  j["frames"] = {{"index", a.frame_index},
                 {"latency_ms", lat},
                 {"inference_ms", inf},
                 {"jitter_ms", round_to(a.latency.stddev, 4)},
                 {"histogram", {{"edges_ms", edges}, {"counts", a.latency_histogram.counts}}}};
  j["overhead_pct"] = a.overhead.measured ? json(round_to(a.overhead.pct, 2)) : json(nullptr);
  j["overhead"] = {{"method", a.overhead.method},
                   {"measured", a.overhead.measured},
                   {"noise_pct", round_to(a.overhead.noise_pct, 2)},
                   {"within_noise", a.overhead.within_noise},
                   {"measurable", overhead_measurable(a.overhead)},
                   {"bound_pct", a.overhead.measured && !overhead_measurable(a.overhead)
                                     ? json(round_to(overhead_bound_pct(a.overhead), 2))
                                     : json(nullptr)},
                   {"hook_cost_ns", round_to(a.overhead.hook_cost_ns, 1)},
                   {"estimated_pct", round_to(a.overhead.estimated_pct, 4)},
                   {"pairs", a.overhead.pairs},
                   {"profiled_ms", round_to(a.overhead.profiled_ms, 4)},
                   {"unprofiled_ms", round_to(a.overhead.unprofiled_ms, 4)},
                   {"frames", a.overhead.frames}};
  json libs = json::object();
  for (const auto& [k, v] : env.libraries) libs[k] = v;
  j["environment"] = {{"cpu_model", env.cpu_model},
                      {"cores", env.cores},
                      {"os", env.os},
                      {"compiler", env.compiler},
                      {"hostname", env.hostname},
                      {"libraries", libs},
                      {"gpu", env.gpu.empty() ? json(nullptr) : json(env.gpu)}};
  j["gpu"] = gpu ? gpu_summary_json(*gpu) : json(nullptr);
  j["advice"] = advice;
  return j;
}

namespace {

// Host lanes are process 1 (threads 1-3: stages, layers, ops); GPU waits and CUDA API calls are
// host threads too. Each device is its own process, after the host.
constexpr int kHostPid = 1;
constexpr int kWaitTid = 4;
constexpr int kApiTidBase = 10;
constexpr int kGpuPidBase = 100;

json name_event(const char* what, int pid, const std::string& name) {
  return {{"ph", "M"}, {"pid", pid}, {"name", what}, {"args", {{"name", name}}}};
}
void thread_events(int pid, int tid, const std::string& name, json& ev) {
  ev.push_back({{"ph", "M"},
                {"pid", pid},
                {"tid", tid},
                {"name", "thread_name"},
                {"args", {{"name", name}}}});
  ev.push_back({{"ph", "M"},
                {"pid", pid},
                {"tid", tid},
                {"name", "thread_sort_index"},
                {"args", {{"sort_index", tid}}}});
}

struct LaneKey {
  int device;
  int64_t stream;
  auto operator<=>(const LaneKey&) const = default;
};

}  // namespace

json gpu_trace_events(const GpuTrace& gpu, const std::vector<LayerResult>& layers,
                      const std::vector<FrameRecord>& frames, int64_t start_ns) {
  // Differences in integer nanoseconds first (steady-clock readings exceed a double's exact
  // integers), and a duration as the difference of rounded ends, so a layer span that ends with
  // its last kernel ends exactly where that kernel does.
  auto us = [&](int64_t ns) { return round_to(static_cast<double>(ns - start_ns) / 1e3, 3); };
  auto dur = [&](int64_t a, int64_t b) { return round_to(us(b) - us(a), 3); };
  size_t steps = 0;
  for (const LayerResult& l : layers)
    for (size_t st : l.steps) steps = std::max(steps, st + 1);
  std::vector<int> layer_of_step(steps, -1);
  for (size_t i = 0; i < layers.size(); ++i)
    for (size_t st : layers[i].steps) layer_of_step[st] = static_cast<int>(i);
  auto layer_of = [&](int64_t step) -> const LayerResult* {
    if (step < 0 || static_cast<size_t>(step) >= steps) return nullptr;
    const int l = layer_of_step[static_cast<size_t>(step)];
    return l < 0 ? nullptr : &layers[static_cast<size_t>(l)];
  };
  std::map<int64_t, const FrameRecord*> frame_by_index;
  for (const FrameRecord& f : frames) frame_by_index[f.index] = &f;
  auto stage_of = [&](const GpuKernelRecord& k) {
    auto it = frame_by_index.find(k.frame);
    if (it == frame_by_index.end()) return -1;
    for (size_t st = 0; st < kPipelineStageCount; ++st) {
      const FrameRecord& f = *it->second;
      if (st != static_cast<size_t>(PipelineStage::kInference) && f.begin_ns[st] != 0 &&
          f.begin_ns[st] <= k.start_ns && k.start_ns <= f.end_ns[st])
        return static_cast<int>(st);
    }
    return -1;
  };
  // Attribution shared by kernels, copies and API calls: only what is known.
  auto where = [&](json& args, int64_t frame, int64_t step) {
    if (frame >= 0) args["frame"] = frame;
    if (step >= 0) args["step"] = step;
    if (const LayerResult* l = layer_of(step)) {
      args["layer"] = l->id;
      args["layer_label"] = l->label;
    }
  };

  json ev = json::array();
  std::map<int, std::string> device_names;
  for (const GpuDeviceInfo& d : gpu.devices) device_names[d.id] = d.name;
  std::map<LaneKey, std::vector<const GpuKernelRecord*>> kernel_lanes;
  std::map<LaneKey, std::vector<const GpuCopyRecord*>> copy_lanes;
  for (const GpuKernelRecord& k : gpu.kernels) {
    kernel_lanes[{k.device, k.stream}].push_back(&k);
    device_names.emplace(k.device, "");
  }
  for (const GpuCopyRecord& c : gpu.copies) {
    copy_lanes[{c.device, c.stream}].push_back(&c);
    device_names.emplace(c.device, "");
  }
  for (const NvmlSample& n : gpu.samples) device_names.emplace(n.device, "");
  // Events mode: span times of the backend's device, which has no streams to show.
  const bool span_lane = gpu.kernels.empty() && !gpu.span_frames.empty();
  const int span_device = gpu.devices.empty() ? 0 : gpu.devices.front().id;
  if (span_lane) device_names.emplace(span_device, "");

  for (const auto& [id, name] : device_names) {
    const int pid = kGpuPidBase + id;
    ev.push_back(name_event("process_name", pid,
                            "GPU " + std::to_string(id) + (name.empty() ? "" : ": " + name)));
    ev.push_back({{"ph", "M"},
                  {"pid", pid},
                  {"name", "process_sort_index"},
                  {"args", {{"sort_index", pid}}}});
  }

  // One lane per stream for kernels and one for its copies, numbered in stream order.
  std::set<LaneKey> streams;
  for (const auto& [key, list] : kernel_lanes) streams.insert(key);
  for (const auto& [key, list] : copy_lanes) streams.insert(key);
  std::map<LaneKey, int> kernel_tid, copy_tid;
  std::map<int, int> next_tid;
  for (const LaneKey& key : streams) {
    int& tid = next_tid.try_emplace(key.device, span_lane && key.device == span_device ? 2 : 1)
                   .first->second;
    const int pid = kGpuPidBase + key.device;
    const std::string stream = "stream " + std::to_string(key.stream);
    if (kernel_lanes.count(key)) {
      kernel_tid[key] = tid;
      thread_events(pid, tid++, stream, ev);
    }
    if (copy_lanes.count(key)) {
      copy_tid[key] = tid;
      thread_events(pid, tid++, stream + " copies", ev);
    }
  }

  for (auto& [key, list] : kernel_lanes) {
    const int pid = kGpuPidBase + key.device, tid = kernel_tid[key];
    std::sort(list.begin(), list.end(), [](const GpuKernelRecord* a, const GpuKernelRecord* b) {
      return a->start_ns < b->start_ns;
    });
    // A layer's span covers each run of consecutive kernels of one frame and layer on this
    // stream: it encloses exactly its kernels, so they nest under it, and spans of one lane
    // never overlap even where a layer's kernels were interleaved with another's.
    for (size_t i = 0; i < list.size();) {
      const LayerResult* layer = list[i]->frame >= 0 ? layer_of(list[i]->step) : nullptr;
      // A kernel outside the forward (the GPU pipeline's letterbox, decoding, NMS) nests under
      // the stage that launched it, which waits for it and so holds it in its host window.
      const int stage = layer || list[i]->frame < 0 ? -1 : stage_of(*list[i]);
      size_t j = i + 1;
      int64_t end = list[i]->end_ns;
      double busy_ns = static_cast<double>(list[i]->end_ns - list[i]->start_ns);
      while ((layer || stage >= 0) && j < list.size() && list[j]->frame == list[i]->frame &&
             layer_of(list[j]->step) == layer && (layer || stage_of(*list[j]) == stage)) {
        end = std::max(end, list[j]->end_ns);
        busy_ns += static_cast<double>(list[j]->end_ns - list[j]->start_ns);
        ++j;
      }
      if (layer || stage >= 0) {
        json args = {{"frame", list[i]->frame},
                     {"kernels", j - i},
                     {"kernel_ms", round_to(busy_ns / 1e6, 4)}};
        std::string name;
        if (layer) {
          name = layer->label;
          args["layer"] = layer->id;
          args["stage"] = stage_name(layer->stage);
          args["type"] = layer->type;
        } else {
          args["stage"] = pipeline_stage_name(static_cast<PipelineStage>(stage));
          name = args["stage"].get<std::string>() + " (GPU pipeline)";
        }
        const int64_t b = list[i]->start_ns;
        ev.push_back({{"name", name},
                      {"cat", "layer"},
                      {"ph", "X"},
                      {"pid", pid},
                      {"tid", tid},
                      {"ts", us(b)},
                      {"dur", dur(b, end)},
                      {"args", args}});
      }
      for (size_t k = i; k < j; ++k) {
        const GpuKernelRecord& r = *list[k];
        json args = {{"grid", {r.grid[0], r.grid[1], r.grid[2]}},
                     {"block", {r.block[0], r.block[1], r.block[2]}},
                     {"registers", r.registers},
                     {"shared_bytes", r.shared_bytes},
                     {"stream", r.stream},
                     {"correlation", r.correlation},
                     {"from_graph", r.from_graph}};
        where(args, r.frame, r.step);
        ev.push_back({{"name", r.name},
                      {"cat", "kernel"},
                      {"ph", "X"},
                      {"pid", pid},
                      {"tid", tid},
                      {"ts", us(r.start_ns)},
                      {"dur", dur(r.start_ns, r.end_ns)},
                      {"args", args}});
      }
      i = j;
    }
  }

  for (const auto& [key, list] : copy_lanes) {
    const int pid = kGpuPidBase + key.device, tid = copy_tid[key];
    for (const GpuCopyRecord* c : list) {
      const int64_t b = c->start_ns, e = c->end_ns;
      const std::string direction = copy_kind_name(c->kind);
      json args = {
          {"direction", direction},
          {"bytes", c->bytes},
          {"src", memory_kind_name(c->src)},
          {"dst", memory_kind_name(c->dst)},
          {"gb_per_s",
           e > b ? round_to(static_cast<double>(c->bytes) / static_cast<double>(e - b), 3) : 0.0},
          {"stream", c->stream},
          {"correlation", c->correlation},
          {"from_graph", c->from_graph}};
      where(args, c->frame, c->step);
      ev.push_back({{"name", c->kind == GpuCopyKind::kMemset ? "memset" : "memcpy " + direction},
                    {"cat", "copy"},
                    {"ph", "X"},
                    {"pid", pid},
                    {"tid", tid},
                    {"ts", us(b)},
                    {"dur", dur(b, e)},
                    {"args", args}});
    }
  }

  if (span_lane) {
    const int pid = kGpuPidBase + span_device;
    thread_events(pid, 1, "layers (CUDA events)", ev);
    std::map<int64_t, const FrameRecord*> by_index;
    for (const FrameRecord& f : frames) by_index[f.index] = &f;
    const size_t inference = static_cast<size_t>(PipelineStage::kInference);
    for (const GpuSpanFrame& sf : gpu.span_frames) {
      const auto it = by_index.find(sf.frame);
      if (it == by_index.end() || it->second->begin_ns[inference] == 0) continue;
      // Events time each span's length, not its start: spans are laid end to end from the
      // frame's inference begin, which is where the device can have started at the earliest.
      int64_t t = it->second->begin_ns[inference];
      for (size_t i = 0; i < sf.ms.size() && i < gpu.span_starts.size(); ++i) {
        const int64_t e = t + std::llround(static_cast<double>(sf.ms[i]) * 1e6);
        const LayerResult* layer = layer_of(static_cast<int64_t>(gpu.span_starts[i]));
        json args = {{"frame", sf.frame},
                     {"device_ms", round_to(sf.ms[i], 4)},
                     {"placement", "end to end from the frame's inference begin"}};
        if (layer) {
          args["layer"] = layer->id;
          args["stage"] = stage_name(layer->stage);
          args["type"] = layer->type;
        }
        ev.push_back(
            {{"name", layer ? layer->label : "steps from " + std::to_string(gpu.span_starts[i])},
             {"cat", "layer"},
             {"ph", "X"},
             {"pid", pid},
             {"tid", 1},
             {"ts", us(t)},
             {"dur", dur(t, e)},
             {"args", args}});
        t = e;
      }
    }
  }

  if (!gpu.syncs.empty()) thread_events(kHostPid, kWaitTid, "GPU waits", ev);
  for (const GpuSyncRecord& w : gpu.syncs) {
    json args = {{"what", w.what}, {"device", w.device}, {"stream", w.stream}};
    if (w.frame >= 0) args["frame"] = w.frame;
    ev.push_back({{"name", "wait for " + w.what},
                  {"cat", "sync"},
                  {"ph", "X"},
                  {"pid", kHostPid},
                  {"tid", kWaitTid},
                  {"ts", us(w.start_ns)},
                  {"dur", dur(w.start_ns, w.end_ns)},
                  {"args", args}});
  }

  std::map<uint32_t, int> api_tid;
  for (const GpuApiRecord& a : gpu.api) api_tid.emplace(a.thread, 0);
  int next_api = kApiTidBase;
  for (auto& [thread, tid] : api_tid) {
    tid = next_api++;
    thread_events(
        kHostPid, tid,
        api_tid.size() == 1 ? "CUDA API" : "CUDA API (thread " + std::to_string(thread) + ")", ev);
  }
  for (const GpuApiRecord& a : gpu.api) {
    json args = {{"correlation", a.correlation}, {"launches_kernel", a.launches_kernel}};
    where(args, a.frame, a.step);
    ev.push_back({{"name", a.name},
                  {"cat", "api"},
                  {"ph", "X"},
                  {"pid", kHostPid},
                  {"tid", api_tid[a.thread]},
                  {"ts", us(a.start_ns)},
                  {"dur", dur(a.start_ns, a.end_ns)},
                  {"args", args}});
  }

  // NVML readings as counters, one track per figure and device; a figure NVML could not give is
  // left out of that sample rather than drawn as zero.
  for (const NvmlSample& n : gpu.samples) {
    const int pid = kGpuPidBase + n.device;
    auto counter = [&](const char* name, const char* unit, double v, int digits) {
      if (!std::isfinite(v)) return;
      ev.push_back({{"name", name},
                    {"ph", "C"},
                    {"pid", pid},
                    {"ts", us(n.t_ns)},
                    {"args", {{unit, round_to(v, digits)}}}});
    };
    if (n.gpu_util_pct) counter("GPU utilization", "percent", *n.gpu_util_pct, 1);
    if (n.mem_used_bytes)
      counter("GPU memory used", "MiB", static_cast<double>(*n.mem_used_bytes) / 1048576.0, 1);
    if (n.sm_clock_mhz) counter("SM clock", "MHz", *n.sm_clock_mhz, 0);
    if (n.temperature_c) counter("GPU temperature", "C", *n.temperature_c, 1);
    if (n.power_w) counter("GPU power", "W", *n.power_w, 1);
  }
  return ev;
}

json chrome_trace(const Profiler& profiler, const Executor& executor,
                  const std::vector<ResourceSample>& samples, const GpuTrace* gpu) {
  const Graph& g = executor.graph();
  const int64_t t0 = profiler.start_ns();
  auto us = [&](int64_t ns) { return round_to(static_cast<double>(ns - t0) / 1e3, 3); };
  auto dur = [](int64_t a, int64_t b) { return round_to(static_cast<double>(b - a) / 1e3, 3); };
  json ev = json::array();
  ev.push_back(
      {{"ph", "M"}, {"pid", 1}, {"name", "process_name"}, {"args", {{"name", "YoloScope host"}}}});
  const char* const lanes[] = {"stages", "layers", "ops"};
  for (int t = 0; t < 3; ++t) {
    ev.push_back({{"ph", "M"},
                  {"pid", 1},
                  {"tid", t + 1},
                  {"name", "thread_name"},
                  {"args", {{"name", lanes[t]}}}});
    ev.push_back({{"ph", "M"},
                  {"pid", 1},
                  {"tid", t + 1},
                  {"name", "thread_sort_index"},
                  {"args", {{"sort_index", t + 1}}}});
  }
  std::vector<LayerResult> layers = group_layers(g);
  const auto& times = profiler.op_times();
  for (const FrameRecord& f : profiler.frames()) {
    for (size_t s = 0; s < kPipelineStageCount; ++s) {
      if (f.begin_ns[s] == 0 || f.end_ns[s] < f.begin_ns[s]) continue;
      ev.push_back({{"name", pipeline_stage_name(static_cast<PipelineStage>(s))},
                    {"cat", "stage"},
                    {"ph", "X"},
                    {"pid", 1},
                    {"tid", 1},
                    {"ts", us(f.begin_ns[s])},
                    {"dur", dur(f.begin_ns[s], f.end_ns[s])},
                    {"args", {{"frame", f.index}, {"ops_traced", f.ops_traced}}}});
    }
    // A traced frame whose forward ran as one CUDA Graph launch has no op times (the hooks
    // stay off): it has no host op or layer spans to show.
    if (!f.ops_traced || executor.steps().empty() || times[f.op_offset] == 0) continue;
    for (const LayerResult& l : layers) {
      // A layer's span runs from its first op's start to its last op's end; ops of one module
      // are consecutive in YOLO exports, so spans nest.
      int64_t b = times[f.op_offset + 2 * l.steps.front()],
              e = times[f.op_offset + 2 * l.steps.back() + 1];
      ev.push_back(
          {{"name", l.label},
           {"cat", "layer"},
           {"ph", "X"},
           {"pid", 1},
           {"tid", 2},
           {"ts", us(b)},
           {"dur", dur(b, e)},
           {"args", {{"frame", f.index}, {"stage", stage_name(l.stage)}, {"type", l.type}}}});
    }
    for (size_t k = 0; k < executor.steps().size(); ++k) {
      const Node& n = g.nodes[static_cast<size_t>(executor.steps()[k].node)];
      int64_t b = times[f.op_offset + 2 * k], e = times[f.op_offset + 2 * k + 1];
      ev.push_back({{"name", n.name},
                    {"cat", "op"},
                    {"ph", "X"},
                    {"pid", 1},
                    {"tid", 3},
                    {"ts", us(b)},
                    {"dur", dur(b, e)},
                    {"args",
                     {{"frame", f.index},
                      {"op", n.op},
                      {"layer", n.module >= 0 ? std::to_string(n.module) : n.name}}}});
    }
  }
  for (const ResourceSample& s : samples) {
    ev.push_back({{"name", "cpu"},
                  {"ph", "C"},
                  {"pid", 1},
                  {"ts", us(s.t_ns)},
                  {"args", {{"percent", round_to(s.cpu_percent, 1)}}}});
    ev.push_back(
        {{"name", "memory"},
         {"ph", "C"},
         {"pid", 1},
         {"ts", us(s.t_ns)},
         {"args", {{"rss_mib", round_to(static_cast<double>(s.rss_bytes) / 1048576.0, 2)}}}});
  }
  if (gpu) {
    for (json& e : gpu_trace_events(*gpu, layers, profiler.frames(), t0))
      ev.push_back(std::move(e));
  }
  return {
      {"traceEvents", ev},
      {"displayTimeUnit", "ms"},
      {"otherData", {{"tool", "YoloScope"}, {"clock", "host steady clock, us since run start"}}}};
}

std::string layers_csv(const ProfileAnalysis& a) {
  std::ostringstream os;
  os << "id,label,type,stage,ops,median_ms,p90_ms,p99_ms,share_pct,flops,params,output_shape,"
        "activation_bytes,"
        "gflops_per_s,gb_per_s,live_bytes_after\n";
  for (const auto& l : a.layers) {
    std::string shape;
    for (size_t i = 0; i < l.output_shape.size(); ++i)
      shape += (i ? "x" : "") + std::to_string(l.output_shape[i]);
    os << l.id << ',' << '"' << l.label << '"' << ',' << l.type << ',' << stage_name(l.stage) << ','
       << l.steps.size() << ',' << l.ms.median << ',' << l.ms.p90 << ',' << l.ms.p99 << ','
       << l.share_pct << ',' << l.flops << ',' << l.params << ',' << shape << ','
       << l.activation_bytes << ',' << l.gflops_per_s << ',' << l.gb_per_s << ','
       << l.live_bytes_after << '\n';
  }
  return os.str();
}

std::string op_timing_method(const std::string& backend, bool device_layer_times) {
  if (device_layer_times) {
    return "the device's own: CUDA events around each layer (CUPTI kernel records in detailed "
           "mode), the launch gap before each kernel included; per-op times are the host's "
           "launch costs, and are not recorded while a CUDA Graph replays the forward";
  }
  if (backend.rfind("cuda", 0) == 0) {
    return "host steady clock around each op's launch: the GPU runs asynchronously, so per-op and "
           "per-layer times are launch costs, not GPU time (the device's own per-layer times are "
           "in the GPU section, summary.json's gpu.layers)";
  }
  return "host steady clock around each op (CPU kernels run synchronously)";
}

namespace {

// Kernel names from templates run to hundreds of characters; the console gets their start.
std::string short_name(const std::string& name, size_t max = 48) {
  return name.size() <= max ? name : name.substr(0, max - 3) + "...";
}

std::string gpu_console(const GpuAnalysis& g) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(2);
  if (!g.available) {
    os << "  GPU: not available: " << (g.why.empty() ? "no GPU data was recorded" : g.why) << "\n";
    return os.str();
  }
  os << "  GPU: " << g.device.name << " (" << g.mode << (g.cuda_graph ? ", CUDA Graph" : "")
     << "): " << g.layer_sum_ms << " ms per frame on the device over " << g.frames
     << " traced frames (" << std::setprecision(1) << g.layer_sum_vs_inference_pct
     << "% of inference)";
  if (has_kernel_data(g)) {
    os << ", busy " << g.busy_pct << "%, launch-bound " << g.launch_bound_pct << "%, "
       << std::setprecision(0) << g.kernels_per_frame.median << " kernels/frame; "
       << std::setprecision(3) << g.launch_latency_ms << " ms from launch to first kernel, "
       << g.sync_latency_ms << " ms from last kernel to the host\n";
    os << std::setprecision(2) << "  GPU top kernels:";
    for (size_t i = 0; i < g.top_kernels.size() && i < 3; ++i) {
      const GpuKernelStat& k = g.top_kernels[i];
      os << "  " << short_name(k.name) << " ("
         << (k.layer_label.empty() ? "no layer" : k.layer_label) << ") "
         << k.total_ms / static_cast<double>(std::max<int64_t>(1, g.frames)) << " ms/frame, "
         << std::setprecision(1) << k.share_pct << "%" << std::setprecision(2);
    }
    os << "\n  GPU copies:";
    if (g.copies.empty()) os << " none";
    for (const GpuCopyStat& c : g.copies) {
      os << "  " << c.direction << " " << c.bytes_per_frame / 1048576.0 << " MiB/frame " << c.memory
         << " " << c.ms_per_frame << " ms (" << std::setprecision(1) << c.gbs << " GB/s)"
         << std::setprecision(2);
    }
    os << "; host waits " << g.host_wait_ms_per_frame << " ms/frame\n";
  } else {
    os << "\n  GPU kernels: not available: " << kernels_why(g) << "\n";
  }
  if (g.nvml) {
    os << std::setprecision(0) << "  GPU NVML: utilization " << g.gpu_util_mean_pct << "% mean";
    if (nvml_window_short(g)) {
      os << std::setprecision(2) << " (over " << nvml_window_ms(g) / 1e3
         << " s, shorter than NVML's averaging period of up to 1 s: not this window's figure"
         << (has_kernel_data(g) ? "; CUPTI's busy time above is this window's" : "") << ")"
         << std::setprecision(0);
    }
    os << ", memory " << g.mem_used_max_mib << " MiB max, SM clock " << g.sm_clock_min_mhz << "-"
       << g.sm_clock_max_mhz << " MHz, " << g.temperature_max_c << " C max, " << g.power_max_w
       << " W max";
    if (g.power_limit_w > 0) os << " (limit " << g.power_limit_w << " W)";
    os << std::setprecision(1) << ", throttled in " << g.throttled_pct << "% of samples";
    if (!g.throttle_reasons.empty()) os << " (" << g.throttle_reasons << ")";
    os << "\n";
  } else {
    os << "  GPU NVML: not available: "
       << (g.nvml_why.empty() ? "NVML was not sampled" : g.nvml_why) << "\n";
  }
  return os.str();
}

}  // namespace

bool overhead_measurable(const OverheadResult& o) {
  return o.measured && !o.within_noise && o.pct > 0;
}

double overhead_bound_pct(const OverheadResult& o) {
  return std::max(o.noise_pct, std::fabs(o.pct));
}

std::string console_summary(const ProfileAnalysis& a, const ModelInfo& model, const RunInfo& run,
                            const std::string& report_dir, const GpuAnalysis* gpu) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(2);
  os << "\nProfile of " << model.name << (model.synthetic_weights ? " (SYNTHETIC weights)" : "")
     << ": " << a.frames_measured << " frames measured, median latency " << a.latency.median
     << " ms (p99 " << a.latency.p99 << " ms, jitter " << a.latency.stddev << " ms)\n";
  for (const std::string& note : run.notes) os << "  Note: " << note << "\n";
  if (run.backend.rfind("cuda", 0) == 0)
    os << "  Note: layer times are " << op_timing_method(run.backend, a.device_layer_times) << "\n";
  os << "  Stages:";
  for (const auto& s : a.stages)
    os << "  " << s.name << " " << s.ms.median << " ms (" << std::setprecision(1) << s.share_pct
       << "%)" << std::setprecision(2);
  os << "\n  Model (share of the " << a.share_basis_ms << " ms inference median):";
  for (const auto& s : a.model_stages) {
    os << "  " << stage_name(s.stage) << " " << s.ms.median << " ms (" << std::setprecision(1)
       << s.share_pct << "%)" << std::setprecision(2);
  }
  os << "\n  Slowest layers:";
  for (size_t i = 0; i < a.top_layers.size() && i < 3; ++i) {
    for (const auto& l : a.layers) {
      if (l.id == a.top_layers[i])
        os << "  " << l.label << " " << l.ms.median << " ms (" << std::setprecision(1)
           << l.share_pct << "%)" << std::setprecision(2);
    }
  }
  os << "\n  Memory: arena " << static_cast<double>(a.arena_bytes) / 1048576.0
     << " MiB (planner peak; " << static_cast<double>(a.naive_bytes) / 1048576.0
     << " MiB without reuse), RSS peak " << static_cast<double>(a.rss_peak_bytes) / 1048576.0
     << " MiB\n";
  if (gpu) os << gpu_console(*gpu);
  // Measured against noise, plus the calibrated floor: a negative or noisy figure on a busy
  // machine must not read as a claim.
  if (overhead_measurable(a.overhead)) {
    os << "  Profiler overhead: " << a.overhead.pct << "% +/- " << a.overhead.noise_pct
       << "% measured over " << a.overhead.pairs << " traced/untraced frame pairs";
  } else if (a.overhead.measured) {
    os << "  Profiler overhead: not measurable: below +/-" << overhead_bound_pct(a.overhead)
       << "% (the noise of " << a.overhead.pairs << " traced/untraced frame pairs)";
  } else {
    os << "  Profiler overhead: not measured (needs at least 4 active frames)";
  }
  os << "; hook cost " << std::setprecision(0) << a.overhead.hook_cost_ns << " ns per op";
  if (a.overhead.measured)
    os << " = " << std::setprecision(3) << a.overhead.estimated_pct << "% of inference";
  os << "\n" << std::setprecision(2);
  os << "  Report: " << report_dir << "/report.html\n";
  return os.str();
}

void write_profile_reports(const std::string& dir, const json& summary, const json& trace,
                           const std::string& csv) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail(ErrorKind::kIo, "cannot create report folder '", dir, "': ", ec.message());
  const std::filesystem::path d(dir);
  write_text(d / "summary.json", summary.dump(1));
  write_text(d / "trace.json", trace.dump());
  write_text(d / "layers.csv", csv);
  write_html_report((d / "report.html").string(), summary, trace);
}

}  // namespace ys
