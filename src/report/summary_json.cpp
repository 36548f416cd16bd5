#include "report/summary_json.h"

#include <ctime>
#include <iomanip>
#include <sstream>

#include "core/clock.h"
#include "core/rounding.h"
#include "report/json_figures.h"
#include "report/report_figures.h"
#include "report/startup_json.h"

namespace ys {
namespace {

using nlohmann::json;

json model_json(const ModelInfo& model) {
  return {{"name", model.name},
          {"path", model.path},
          {"sha256", model.sha256},
          {"family", model.family},
          {"synthetic_weights", model.synthetic_weights},
          {"input_shape", model.input_shape},
          {"parameters", model.parameters},
          {"gflops", round_to(model.gflops, 3)},
          {"layers", model.layers},
          {"ops", model.ops}};
}

json run_json(const ProfileAnalysis& a, const RunInfo& run) {
  json args = json::object();
  for (const auto& [k, v] : run.args) args[k] = v;
  return {{"source", run.source},
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
}

// "stages", "model_stages" and "shares": where the time of a frame goes.
void add_stages(const ProfileAnalysis& a, json& j) {
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
}

// "layers", "ops" and "top_layers".
void add_layers(const ProfileAnalysis& a, json& j) {
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
}

// "memory", "cpu" and "frames": the series over the run.
void add_series(const ProfileAnalysis& a, const Environment& env, json& j) {
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
}

json overhead_json(const OverheadResult& o) {
  return {
      {"method", o.method},
      {"measured", o.measured},
      {"noise_pct", round_to(o.noise_pct, 2)},
      {"within_noise", o.within_noise},
      {"measurable", overhead_measurable(o)},
      {"bound_pct", o.measured && !overhead_measurable(o) ? json(round_to(overhead_bound_pct(o), 2))
                                                          : json(nullptr)},
      {"hook_cost_ns", round_to(o.hook_cost_ns, 1)},
      {"estimated_pct", round_to(o.estimated_pct, 4)},
      {"pairs", o.pairs},
      {"profiled_ms", round_to(o.profiled_ms, 4)},
      {"unprofiled_ms", round_to(o.unprofiled_ms, 4)},
      {"frames", o.frames}};
}

json environment_json(const Environment& env) {
  json libs = json::object();
  for (const auto& [k, v] : env.libraries) libs[k] = v;
  return {{"cpu_model", env.cpu_model},
          {"cores", env.cores},
          {"os", env.os},
          {"compiler", env.compiler},
          {"hostname", env.hostname},
          {"libraries", libs},
          {"gpu", env.gpu.empty() ? json(nullptr) : json(env.gpu)}};
}

}  // namespace

json summary_json(const ProfileAnalysis& a, const ModelInfo& model, const RunInfo& run,
                  const Environment& env, const json& advice, const GpuAnalysis* gpu) {
  json j;
  j["schema"] = "yoloscope.profile";
  j["schema_version"] = kProfileSchemaVersion;
  j["generated_at"] = utc_now();
  j["tool"] = {{"name", "YoloScope"}, {"version", "0.1.0"}};
  j["model"] = model_json(model);
  j["run"] = run_json(a, run);
  j["startup"] = startup_json(run.startup);
  add_stages(a, j);
  add_layers(a, j);
  add_series(a, env, j);
  j["overhead_pct"] = a.overhead.measured ? json(round_to(a.overhead.pct, 2)) : json(nullptr);
  j["overhead"] = overhead_json(a.overhead);
  j["environment"] = environment_json(env);
  j["gpu"] = gpu ? gpu_summary_json(*gpu) : json(nullptr);
  j["advice"] = advice;
  return j;
}

}  // namespace ys
