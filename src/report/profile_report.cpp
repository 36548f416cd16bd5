#include "report/profile_report.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
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

}  // namespace

json summary_json(const ProfileAnalysis& a, const ModelInfo& model, const RunInfo& run,
                  const Environment& env, const json& advice) {
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
              {"op_timing", op_timing_method(run.backend)},
              {"threads", run.threads},
              {"args", args}};
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
  j["advice"] = advice;
  return j;
}

json chrome_trace(const Profiler& profiler, const Executor& executor,
                  const std::vector<ResourceSample>& samples) {
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
    if (!f.ops_traced) continue;
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
         {"args", {{"rss_mb", round_to(static_cast<double>(s.rss_bytes) / 1048576.0, 2)}}}});
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
    std::string shape = shape_str(l.output_shape);
    for (char& c : shape) {
      if (c == ',') c = 'x';
    }
    os << l.id << ',' << '"' << l.label << '"' << ',' << l.type << ',' << stage_name(l.stage) << ','
       << l.steps.size() << ',' << l.ms.median << ',' << l.ms.p90 << ',' << l.ms.p99 << ','
       << l.share_pct << ',' << l.flops << ',' << l.params << ',' << shape << ','
       << l.activation_bytes << ',' << l.gflops_per_s << ',' << l.gb_per_s << ','
       << l.live_bytes_after << '\n';
  }
  return os.str();
}

std::string op_timing_method(const std::string& backend) {
  if (backend.rfind("cuda", 0) == 0) {
    return "host steady clock around each op's launch: the GPU runs asynchronously, so per-op and "
           "per-layer times are launch costs, not GPU time (per-layer GPU timing is not collected "
           "yet)";
  }
  return "host steady clock around each op (CPU kernels run synchronously)";
}

std::string console_summary(const ProfileAnalysis& a, const ModelInfo& model, const RunInfo& run,
                            const std::string& report_dir) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(2);
  os << "\nProfile of " << model.name << (model.synthetic_weights ? " (SYNTHETIC weights)" : "")
     << ": " << a.frames_measured << " frames measured, median latency " << a.latency.median
     << " ms (p99 " << a.latency.p99 << " ms, jitter " << a.latency.stddev << " ms)\n";
  if (run.backend.rfind("cuda", 0) == 0)
    os << "  Note: layer times are " << op_timing_method(run.backend) << "\n";
  os << "  Stages:";
  for (const auto& s : a.stages)
    os << "  " << s.name << " " << s.ms.median << " ms (" << std::setprecision(1) << s.share_pct
       << "%)" << std::setprecision(2);
  os << "\n  Model:";
  for (const auto& s : a.model_stages) {
    os << "  " << stage_name(s.stage) << " " << s.ms.median << " ms (" << std::setprecision(1)
       << s.share_pct << "%)" << std::setprecision(2);
  }
  os << "\n  Slowest layers:";
  for (size_t i = 0; i < a.top_layers.size() && i < 3; ++i) {
    for (const auto& l : a.layers) {
      if (l.id == a.top_layers[i]) os << "  " << l.label << " " << l.ms.median << " ms";
    }
  }
  os << "\n  Memory: arena " << static_cast<double>(a.arena_bytes) / 1048576.0
     << " MiB (planner peak; " << static_cast<double>(a.naive_bytes) / 1048576.0
     << " MiB without reuse), RSS peak " << static_cast<double>(a.rss_peak_bytes) / 1048576.0
     << " MiB\n";
  // Measured against noise, plus the calibrated floor: a negative or noisy figure on a busy
  // machine must not read as a claim.
  if (a.overhead.measured) {
    os << "  Profiler overhead: " << a.overhead.pct << "% +/- " << a.overhead.noise_pct
       << "% measured over " << a.overhead.pairs << " traced/untraced frame pairs"
       << (a.overhead.within_noise ? " (not distinguishable from noise)" : "") << "; hook cost "
       << std::setprecision(0) << a.overhead.hook_cost_ns << " ns per op = " << std::setprecision(3)
       << a.overhead.estimated_pct << "% of inference\n"
       << std::setprecision(2);
  } else {
    os << "  Profiler overhead: not measured (needs at least 4 active frames); hook cost "
       << std::setprecision(0) << a.overhead.hook_cost_ns << " ns per op\n"
       << std::setprecision(2);
  }
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
