#include "analysis/chrome_trace.h"

#include "analysis/trace_lanes.h"
#include "core/rounding.h"

namespace ys {

using nlohmann::json;
using namespace trace_lanes;

json chrome_trace(const Profiler& profiler, const Executor& executor,
                  const std::vector<ResourceSample>& samples, const GpuTrace* gpu) {
  const Graph& g = executor.graph();
  const int64_t t0 = profiler.start_ns();
  auto us = [&](int64_t ns) { return round_to(static_cast<double>(ns - t0) / 1e3, 3); };
  auto dur = [](int64_t a, int64_t b) { return round_to(static_cast<double>(b - a) / 1e3, 3); };
  json ev = json::array();
  ev.push_back(name_event("process_name", kHostPid, "YoloScope host"));
  thread_events(kHostPid, kStageTid, "stages", ev);
  thread_events(kHostPid, kLayerTid, "layers", ev);
  thread_events(kHostPid, kOpTid, "ops", ev);
  std::vector<LayerResult> layers = group_layers(g);
  const auto& times = profiler.op_times();
  for (const FrameRecord& f : profiler.frames()) {
    for (size_t s = 0; s < kPipelineStageCount; ++s) {
      if (f.begin_ns[s] == 0 || f.end_ns[s] < f.begin_ns[s]) continue;
      ev.push_back({{"name", pipeline_stage_name(static_cast<PipelineStage>(s))},
                    {"cat", "stage"},
                    {"ph", "X"},
                    {"pid", kHostPid},
                    {"tid", kStageTid},
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
           {"pid", kHostPid},
           {"tid", kLayerTid},
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
                    {"pid", kHostPid},
                    {"tid", kOpTid},
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
                  {"pid", kHostPid},
                  {"ts", us(s.t_ns)},
                  {"args", {{"percent", round_to(s.cpu_percent, 1)}}}});
    ev.push_back(
        {{"name", "memory"},
         {"ph", "C"},
         {"pid", kHostPid},
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

void name_gpu_decode_spans(nlohmann::json& trace) {
  if (!trace.contains("traceEvents")) return;
  const char* read = pipeline_stage_name(PipelineStage::kRead);
  for (nlohmann::json& e : trace["traceEvents"])
    if (e.value("cat", "") == "stage" && e.value("name", "") == read) e["name"] = "decode";
}

}  // namespace ys
