#include "profile_fixture.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

namespace ys::testing {

using nlohmann::json;

namespace {

struct Layer {
  int module;
  const char* type;
  const char* stage;
  std::vector<int> shape;
  long params;
  int bottlenecks;  // C2f repeats
  bool shortcut;    // C2f residual adds (backbone only in YOLOv8)
};

// YOLOv8n at 640x640, from Ultralytics' model summary.
const std::vector<Layer>& yolov8n_layers() {
  static const std::vector<Layer> kLayers = {
      {0, "Conv", "backbone", {1, 16, 320, 320}, 464, 0, false},
      {1, "Conv", "backbone", {1, 32, 160, 160}, 4672, 0, false},
      {2, "C2f", "backbone", {1, 32, 160, 160}, 7360, 1, true},
      {3, "Conv", "backbone", {1, 64, 80, 80}, 18560, 0, false},
      {4, "C2f", "backbone", {1, 64, 80, 80}, 49664, 2, true},
      {5, "Conv", "backbone", {1, 128, 40, 40}, 73984, 0, false},
      {6, "C2f", "backbone", {1, 128, 40, 40}, 197632, 2, true},
      {7, "Conv", "backbone", {1, 256, 20, 20}, 295424, 0, false},
      {8, "C2f", "backbone", {1, 256, 20, 20}, 460288, 1, true},
      {9, "SPPF", "backbone", {1, 256, 20, 20}, 164608, 0, false},
      {10, "Upsample", "neck", {1, 256, 40, 40}, 0, 0, false},
      {11, "Concat", "neck", {1, 384, 40, 40}, 0, 0, false},
      {12, "C2f", "neck", {1, 128, 40, 40}, 148224, 1, false},
      {13, "Upsample", "neck", {1, 128, 80, 80}, 0, 0, false},
      {14, "Concat", "neck", {1, 192, 80, 80}, 0, 0, false},
      {15, "C2f", "neck", {1, 64, 80, 80}, 37248, 1, false},
      {16, "Conv", "neck", {1, 64, 40, 40}, 36992, 0, false},
      {17, "Concat", "neck", {1, 192, 40, 40}, 0, 0, false},
      {18, "C2f", "neck", {1, 128, 40, 40}, 123648, 1, false},
      {19, "Conv", "neck", {1, 128, 20, 20}, 147712, 0, false},
      {20, "Concat", "neck", {1, 384, 20, 20}, 0, 0, false},
      {21, "C2f", "neck", {1, 256, 20, 20}, 493056, 1, false},
      {22, "Detect", "head", {1, 84, 8400}, 897664, 0, false},
  };
  return kLayers;
}

struct Op {
  std::string name;
  std::string op;
  double weight;  // share of the layer's compute
};

void add_conv(std::vector<Op>& ops, const std::string& prefix, double weight) {
  ops.push_back({prefix + "/conv/Conv", "Conv", weight});
  ops.push_back({prefix + "/act/Sigmoid", "Sigmoid", 0.02});
  ops.push_back({prefix + "/act/Mul", "Mul", 0.02});
}

std::vector<Op> ops_of(const Layer& l) {
  const std::string p = "/model." + std::to_string(l.module);
  std::vector<Op> ops;
  const std::string type = l.type;
  if (type == "Conv") {
    add_conv(ops, p, 1.0);
  } else if (type == "C2f") {
    add_conv(ops, p + "/cv1", 0.25);
    ops.push_back({p + "/Split", "Split", 0.01});
    for (int b = 0; b < l.bottlenecks; ++b) {
      const std::string m = p + "/m." + std::to_string(b);
      add_conv(ops, m + "/cv1", 0.5);
      add_conv(ops, m + "/cv2", 0.5);
      if (l.shortcut) ops.push_back({m + "/Add", "Add", 0.02});
    }
    ops.push_back({p + "/Concat", "Concat", 0.03});
    add_conv(ops, p + "/cv2", 0.35);
  } else if (type == "SPPF") {
    add_conv(ops, p + "/cv1", 0.3);
    for (int i = 0; i < 3; ++i)
      ops.push_back({p + "/m_" + std::to_string(i) + "/MaxPool", "MaxPool", 0.08});
    ops.push_back({p + "/Concat", "Concat", 0.03});
    add_conv(ops, p + "/cv2", 0.6);
  } else if (type == "Upsample") {
    ops.push_back({p + "/Resize", "Resize", 1.0});
  } else if (type == "Concat") {
    ops.push_back({p + "/Concat", "Concat", 1.0});
  } else {
    for (int s = 0; s < 3; ++s) {
      for (const char* branch : {"cv2", "cv3"}) {
        const std::string b = p + "/" + branch + "." + std::to_string(s);
        add_conv(ops, b + "/0", 0.4);
        add_conv(ops, b + "/1", 0.4);
        ops.push_back({b + "/2/Conv", "Conv", 0.1});
      }
      ops.push_back({p + "/Concat_" + std::to_string(s), "Concat", 0.02});
    }
    for (const char* tail : {"Reshape", "Concat", "Split", "Transpose", "Softmax", "Conv", "Sub",
                             "Add", "Div", "Mul", "Sigmoid", "Concat"}) {
      ops.push_back({p + "/dfl/" + tail, tail, 0.01});
    }
  }
  return ops;
}

long elements(const std::vector<int>& shape) {
  return std::accumulate(shape.begin(), shape.end(), 1L, std::multiplies<long>());
}

json stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  auto q = [&](double p) { return v[std::min(n - 1, static_cast<size_t>(std::ceil(p * n)) - 1)]; };
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / n;
  const double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return {{"median", med},   {"mean", mean},     {"p90", q(0.9)}, {"p99", q(0.99)},
          {"max", v.back()}, {"min", v.front()}, {"count", n}};
}

// Deterministic frame-to-frame variation with one slow frame, as a real run shows.
double jitter(int frame, int salt) {
  double f = 1.0 + 0.04 * std::sin(frame * 1.7 + salt * 0.9) + 0.02 * std::cos(frame * 3.1 + salt);
  if (frame == 9) f *= 1.35;
  return f;
}

json x_event(const std::string& name, const char* cat, int tid, double ts_ms, double dur_ms,
             json args) {
  return {{"name", name},         {"cat", cat}, {"ph", "X"},  {"ts", ts_ms * 1000},
          {"dur", dur_ms * 1000}, {"pid", 1},   {"tid", tid}, {"args", std::move(args)}};
}

}  // namespace

ProfileFixture yolov8n_profile(int frames) {
  const auto& layers = yolov8n_layers();
  const int first_frame = 4;   // after wait 1 and warmup 3
  const double kGflops = 380;  // effective conv throughput of oneDNN on 8 cores
  const char* stage_names[] = {"read", "preprocess", "inference", "box_decode", "nms", "output"};
  const double stage_base_ms[] = {2.1, 3.4, 0, 0.55, 0.35, 0.9};

  // Per-layer base time from its compute, with memory-bound layers costed by bytes.
  std::vector<double> layer_base_ms;
  std::vector<double> layer_flops;
  for (const Layer& l : layers) {
    const long out = elements(l.shape);
    double flops =
        l.shape.size() == 4 ? 2.0 * l.params * l.shape[2] * l.shape[3] : 2.0 * l.params * 1600;
    layer_flops.push_back(flops);
    layer_base_ms.push_back(flops / (kGflops * 1e9) * 1e3 + out * 4 * 2 / 9e9 * 1e3 + 0.02);
  }

  json trace_events = json::array();
  trace_events.push_back({{"name", "process_name"},
                          {"ph", "M"},
                          {"pid", 1},
                          {"tid", 0},
                          {"args", {{"name", "host"}}}});
  const char* lanes[] = {"stages", "layers", "ops"};
  for (int t = 0; t < 3; ++t) {
    trace_events.push_back({{"name", "thread_name"},
                            {"ph", "M"},
                            {"pid", 1},
                            {"tid", t + 1},
                            {"args", {{"name", lanes[t]}}}});
    trace_events.push_back({{"name", "thread_sort_index"},
                            {"ph", "M"},
                            {"pid", 1},
                            {"tid", t + 1},
                            {"args", {{"sort_index", t + 1}}}});
  }

  std::vector<std::vector<double>> stage_ms(6), layer_ms(layers.size());
  std::vector<std::vector<double>> model_stage_ms(3);
  std::vector<std::vector<std::vector<double>>> op_ms(layers.size());
  std::vector<double> latency, inference;
  double t = 480.0;  // ms since the run started: model load, wait and warmup came first
  for (int f = 0; f < frames; ++f) {
    const int frame = first_frame + f;
    double frame_total = 0;
    double inf_ms = 0;
    for (int s = 0; s < 6; ++s) {
      const double start = t;
      double dur;
      if (s == 2) {
        double lt = t + 0.03;
        double ms_stage[3] = {0, 0, 0};
        for (size_t i = 0; i < layers.size(); ++i) {
          const Layer& l = layers[i];
          const std::vector<Op> ops = ops_of(l);
          const double wsum = std::accumulate(ops.begin(), ops.end(), 0.0,
                                              [](double a, const Op& o) { return a + o.weight; });
          op_ms[i].resize(ops.size());
          const double layer_start = lt;
          for (size_t k = 0; k < ops.size(); ++k) {
            const double d = layer_base_ms[i] * ops[k].weight / wsum *
                             jitter(frame, static_cast<int>(i * 7 + k));
            op_ms[i][k].push_back(d);
            trace_events.push_back(x_event(
                ops[k].name, "op", 3, lt, d,
                {{"frame", frame}, {"op", ops[k].op}, {"layer", std::to_string(l.module)}}));
            lt += d;
          }
          const double ld = lt - layer_start;
          layer_ms[i].push_back(ld);
          const int st = std::string(l.stage) == "backbone" ? 0
                         : std::string(l.stage) == "neck"   ? 1
                                                            : 2;
          ms_stage[st] += ld;
          trace_events.push_back(x_event(std::string(l.type) + " #" + std::to_string(l.module),
                                         "layer", 2, layer_start, ld,
                                         {{"frame", frame}, {"stage", l.stage}, {"type", l.type}}));
        }
        for (int k = 0; k < 3; ++k) model_stage_ms[k].push_back(ms_stage[k]);
        dur = lt + 0.02 - t;
        inf_ms = dur;
      } else {
        dur = stage_base_ms[s] * jitter(frame, 100 + s);
      }
      stage_ms[s].push_back(dur);
      trace_events.push_back(x_event(stage_names[s], "stage", 1, start, dur, {{"frame", frame}}));
      t += dur;
      frame_total += dur;
    }
    latency.push_back(frame_total);
    inference.push_back(inf_ms);
    t += 1.5;  // the loop's own bookkeeping between frames
  }
  for (double c = 480; c < t; c += 10) {
    trace_events.push_back({{"name", "cpu"},
                            {"ph", "C"},
                            {"pid", 1},
                            {"tid", 0},
                            {"ts", c * 1000},
                            {"args", {{"percent", 640 + 90 * std::sin(c / 37)}}}});
    trace_events.push_back({{"name", "memory"},
                            {"ph", "C"},
                            {"pid", 1},
                            {"tid", 0},
                            {"ts", c * 1000},
                            {"args", {{"rss_mb", 182 + 6 * std::min(1.0, (c - 480) / 200)}}}});
  }

  json summary;
  summary["schema"] = "yoloscope.profile";
  summary["schema_version"] = 1;
  summary["generated_at"] = "2024-11-25T09:41:07Z";
  summary["tool"] = {{"name", "YoloScope"}, {"version", "0.1.0"}};
  long total_params = 0;
  double total_flops = 0;
  size_t total_ops = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    total_params += layers[i].params;
    total_flops += layer_flops[i];
    total_ops += ops_of(layers[i]).size();
  }
  summary["model"] = {
      {"name", "yolov8n"},
      {"path", "built-in"},
      {"sha256", "3f1c0d9a7be25e4c1b0a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a"},
      {"family", "yolov8"},
      {"synthetic_weights", true},
      {"input_shape", {1, 3, 640, 640}},
      {"parameters", total_params},
      {"gflops", total_flops / 1e9},
      {"layers", layers.size()},
      {"ops", total_ops}};
  std::vector<int> measured;
  for (int f = 0; f < frames; ++f) measured.push_back(first_frame + f);
  summary["run"] = {{"source", "synthetic:640x480"},
                    {"frames_total", first_frame + frames},
                    {"frames_measured", frames},
                    {"measured_frames", measured},
                    {"schedule", {{"wait", 1}, {"warmup", 3}, {"active", frames}, {"repeat", 1}}},
                    {"batch", 1},
                    {"device", "cpu"},
                    {"backend", "onednn"},
                    {"threads", 8},
                    {"args",
                     {{"model", "yolov8n.yaml"},
                      {"source", "synthetic"},
                      {"profile", true},
                      {"imgsz", 640},
                      {"device", "cpu"},
                      // The page must survive data that looks like markup.
                      {"name", "</script><b>not markup</b><!--"}}}};

  double stage_sum = 0;
  std::vector<double> stage_median;
  for (auto& v : stage_ms) {
    stage_median.push_back(stats(v)["median"]);
    stage_sum += stage_median.back();
  }
  const char* how[] = {"host steady clock around the source's read()",
                       "host steady clock",
                       "host steady clock around the executor's run()",
                       "host steady clock",
                       "host steady clock",
                       "host steady clock around the sinks"};
  for (int s = 0; s < 6; ++s) {
    summary["stages"].push_back({{"name", stage_names[s]},
                                 {"ms", stats(stage_ms[s])},
                                 {"share_pct", 100 * stage_median[s] / stage_sum},
                                 {"how", how[s]}});
  }
  const double inf_median = stage_median[2];
  const char* ms_names[] = {"backbone", "neck", "head"};
  const int ms_layers[] = {10, 12, 1};
  for (int k = 0; k < 3; ++k) {
    const json st = stats(model_stage_ms[k]);
    summary["model_stages"].push_back({{"name", ms_names[k]},
                                       {"ms", st},
                                       {"share_pct", 100 * st["median"].get<double>() / inf_median},
                                       {"layers", ms_layers[k]}});
  }

  long live = 3L * 640 * 640 * 4;
  long peak = live;
  long naive = live;
  std::vector<std::pair<double, std::string>> by_time;
  for (size_t i = 0; i < layers.size(); ++i) {
    const Layer& l = layers[i];
    const json st = stats(layer_ms[i]);
    const double med = st["median"];
    const long act = elements(l.shape) * 4;
    naive += act * 3;
    // Skip connections keep backbone outputs 4, 6 and 9 live until the neck consumes them.
    live = live / 2 + act + (i >= 4 && i < 20 ? act / 2 : 0);
    peak = std::max(peak, live);
    const std::string id = std::to_string(l.module);
    summary["layers"].push_back({{"id", id},
                                 {"label", std::string(l.type) + " #" + id},
                                 {"module", l.module},
                                 {"type", l.type},
                                 {"stage", l.stage},
                                 {"ops", ops_of(l).size()},
                                 {"ms", st},
                                 {"share_pct", 100 * med / inf_median},
                                 {"flops", layer_flops[i]},
                                 {"params", l.params},
                                 {"output_shape", l.shape},
                                 {"activation_bytes", act},
                                 {"gflops_per_s", layer_flops[i] / 1e9 / (med / 1e3)},
                                 {"gb_per_s", (3.0 * act + 4.0 * l.params) / 1e9 / (med / 1e3)},
                                 {"live_bytes_after", live}});
    by_time.push_back({med, id});
    const std::vector<Op> ops = ops_of(l);
    for (size_t k = 0; k < ops.size(); ++k) {
      summary["ops"].push_back(
          {{"name", ops[k].name},
           {"op", ops[k].op},
           {"layer", id},
           {"stage", l.stage},
           {"ms", stats(op_ms[i][k])},
           {"flops", layer_flops[i] * (ops[k].op == "Conv" ? 0.3 : 0.0)},
           {"implementation",
            ops[k].op == "Conv" ? "onednn:brgconv:avx512_core" : "onednn:jit:avx512_core"}});
    }
  }
  std::sort(by_time.rbegin(), by_time.rend());
  for (size_t i = 0; i < 10; ++i) summary["top_layers"].push_back(by_time[i].second);

  json rss = json::array(), cpu = json::array();
  for (double c = 0; c < t; c += 50) {
    rss.push_back({c, 150e6 + 40e6 * std::min(1.0, c / 450)});
    if (c >= 480) cpu.push_back({c, 640 + 90 * std::sin(c / 37)});
  }
  summary["memory"] = {{"arena_peak_bytes", peak},
                       {"naive_bytes", naive},
                       {"weights_bytes", total_params * 4},
                       {"rss_peak_bytes", 190e6},
                       {"rss_series", rss}};
  summary["cpu"] = {{"utilization_series", cpu}, {"mean_pct", 652.4}, {"cores", 8}};

  const double lo = *std::min_element(latency.begin(), latency.end());
  const double hi = *std::max_element(latency.begin(), latency.end());
  const int bins = 8;
  std::vector<double> edges;
  std::vector<int> counts(bins, 0);
  for (int b = 0; b <= bins; ++b) edges.push_back(lo + (hi - lo) * b / bins);
  for (double v : latency)
    counts[std::min(bins - 1, static_cast<int>((v - lo) / (hi - lo) * bins))]++;
  const double mean = std::accumulate(latency.begin(), latency.end(), 0.0) / latency.size();
  double var = 0;
  for (double v : latency) var += (v - mean) * (v - mean);
  summary["frames"] = {{"index", measured},
                       {"latency_ms", latency},
                       {"inference_ms", inference},
                       {"jitter_ms", std::sqrt(var / latency.size())},
                       {"histogram", {{"edges_ms", edges}, {"counts", counts}}}};
  summary["overhead_pct"] = 1.4;
  summary["overhead"] = {
      {"method", "median of profiled against unprofiled frames of the same window"},
      {"profiled_ms", inf_median},
      {"unprofiled_ms", inf_median / 1.014},
      {"frames", frames}};
  summary["environment"] = {
      {"cpu_model", "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz"},
      {"cores", 8},
      {"os", "Debian GNU/Linux 12 (bookworm), Linux 6.1.0-18-amd64"},
      {"compiler", "g++ 12.2.0"},
      {"libraries",
       {{"onednn", "3.0.0"}, {"opencv", "4.6.0"}, {"onnx", "1.13.0"}, {"protobuf", "3.21.12"}}},
      {"gpu", nullptr}};
  summary["advice"] = json::array(
      {{{"id", "preprocess-single-thread"},
        {"severity", "medium"},
        {"finding", "Preprocessing runs on one thread while inference waits"},
        {"evidence", "preprocess median 3.4 ms (9 % of the frame), 1 of 8 cores busy during it"},
        {"fix", "overlap preprocessing with inference: workers=2"},
        {"expected_gain", "about 3 ms per frame (8 %)"}},
       {{"id", "neck-concat-copies"},
        {"severity", "low"},
        {"finding", "Concat layers copy 6 MB per frame in the neck"},
        {"evidence", "Concat #11, #14, #17, #20: 0.9 ms together, memory-bound at 7 GB/s"},
        {"fix",
         "let the planner place concat inputs in the output buffer (planner=inplace_concat)"},
        {"expected_gain", "about 0.8 ms per frame (2 %)"}}});

  ProfileFixture out;
  out.summary = std::move(summary);
  out.trace = {{"traceEvents", std::move(trace_events)},
               {"displayTimeUnit", "ms"},
               {"otherData", {{"tool", "YoloScope 0.1.0"}}}};
  return out;
}

ProfileFixture sparse_profile() {
  ProfileFixture out;
  out.summary = {
      {"schema", "yoloscope.profile"},
      {"schema_version", 1},
      {"model", {{"name", "custom"}}},
      {"run", {{"source", "clip.mp4"}}},
      {"stages", {{{"name", "inference"}, {"ms", {{"median", 10.0}}}, {"share_pct", 100}}}},
      {"layers",
       {{{"id", "0"}, {"label", "Conv #0"}, {"stage", "backbone"}, {"ms", {{"median", 4.0}}}},
        {{"id", "x"}, {"type", "Custom"}},
        {{"id", "2"},
         {"label", "Detect #2"},
         {"stage", "head"},
         {"ms", nullptr},
         {"output_shape", "dynamic"}}}},
      {"frames", {{"latency_ms", {10.0, 11.0, nullptr}}}},
      {"advice", json::array()}};
  // Lanes the report does not know (a GPU stream, nested spans, no thread names) and events with
  // missing fields must draw without errors.
  out.trace = {
      {"traceEvents",
       {{{"name", "launch"}, {"ph", "X"}, {"pid", 2}, {"tid", 7}, {"ts", 100}, {"dur", 50}},
        {{"name", "kernel"}, {"ph", "X"}, {"pid", 2}, {"tid", 7}, {"ts", 110}, {"dur", 20}},
        {{"name", "broken"}, {"ph", "X"}, {"pid", 2}, {"tid", 7}},
        {{"name", "gpu"}, {"ph", "C"}, {"pid", 2}, {"ts", 100}, {"args", {{"util", 55}}}},
        {{"ph", "M"}, {"name", "thread_name"}, {"pid", 1}, {"tid", 1}},
        {{"name", "inference"},
         {"cat", "stage"},
         {"ph", "X"},
         {"pid", 1},
         {"tid", 1},
         {"ts", 90},
         {"dur", 70},
         {"args", {{"frame", 0}}}}}}};
  return out;
}

}  // namespace ys::testing
