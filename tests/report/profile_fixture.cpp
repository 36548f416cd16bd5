#include "profile_fixture.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "analysis/statistics.h"
#include "profiler/environment.h"
#include "profiler/gpu_trace_io.h"
#include "profiler/schedule.h"
#include "report/profile_report.h"

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

double flops_of(const Layer& l) {
  return l.shape.size() == 4 ? 2.0 * l.params * l.shape[2] * l.shape[3] : 2.0 * l.params * 1600;
}

// On a GPU run: when the device finished frame `frame`, given when its inference began and when
// the host had launched everything (ms since the run started).
using DeviceEnd = std::function<double(int frame, double begin_ms, double launched_ms)>;

ProfileFixture make_profile(int frames, const DeviceEnd& device_end) {
  const bool gpu = static_cast<bool>(device_end);
  const auto& layers = yolov8n_layers();
  const int first_frame = 4;   // after wait 1 and warmup 3
  const double kGflops = 380;  // effective conv throughput of oneDNN on 8 cores
  const char* stage_names[] = {"read", "preprocess", "inference", "box_decode", "nms", "output"};
  const double stage_base_ms[] = {2.1, 3.4, 0, 0.55, 0.35, 0.9};

  // Per-layer base time from its compute, with memory-bound layers costed by bytes. On a GPU the
  // host only launches: a few microseconds per op.
  std::vector<double> layer_base_ms;
  std::vector<double> layer_flops;
  for (const Layer& l : layers) {
    const long out = elements(l.shape);
    const double flops = flops_of(l);
    layer_flops.push_back(flops);
    layer_base_ms.push_back(gpu ? 0.005 * static_cast<double>(ops_of(l).size()) + 0.004
                                : flops / (kGflops * 1e9) * 1e3 + out * 4 * 2 / 9e9 * 1e3 + 0.02);
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
          trace_events.push_back(x_event(std::string(l.type) + " #" + std::to_string(l.module),
                                         "layer", 2, layer_start, ld,
                                         {{"frame", frame}, {"stage", l.stage}, {"type", l.type}}));
        }
        // A GPU run's inference ends when the host has waited for the device.
        dur = (gpu ? std::max(lt, device_end(frame, t, lt)) : lt) + 0.02 - t;
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
                            {"args", {{"rss_mib", 182 + 6 * std::min(1.0, (c - 480) / 200)}}}});
  }

  json summary;
  summary["schema"] = "yoloscope.profile";
  summary["schema_version"] = 2;
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
                    {"device", gpu ? "cuda:0" : "cpu"},
                    {"backend", gpu ? "cuda" : "onednn"},
                    {"threads", 8},
                    {"args",
                     {{"model", "yolov8n.yaml"},
                      {"source", "synthetic"},
                      {"profile", true},
                      {"imgsz", 640},
                      {"device", gpu ? "0" : "cpu"},
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
           {"implementation", gpu                   ? "cuda:" + ops[k].op
                              : ops[k].op == "Conv" ? "onednn:brgconv:avx512_core"
                                                    : "onednn:jit:avx512_core"}});
    }
  }
  std::sort(by_time.rbegin(), by_time.rend());
  for (size_t i = 0; i < 10; ++i) summary["top_layers"].push_back(by_time[i].second);

  // As the analysis makes them (docs/PROFILE_SCHEMA.md): a model stage is the sum of its layers'
  // statistics, and every share is of the inference median.
  double layer_sum = 0;
  for (const char* name : {"backbone", "neck", "head"}) {
    json st = {{"median", 0.0}, {"mean", 0.0}, {"p90", 0.0},     {"p99", 0.0},
               {"max", 0.0},    {"min", 0.0},  {"count", frames}};
    int n = 0;
    for (const json& l : summary["layers"]) {
      if (l["stage"] != name) continue;
      for (const char* k : {"median", "mean", "p90", "p99", "max", "min"})
        st[k] = st[k].get<double>() + l["ms"][k].get<double>();
      ++n;
    }
    layer_sum += st["median"].get<double>();
    summary["model_stages"].push_back({{"name", name},
                                       {"ms", st},
                                       {"share_pct", 100 * st["median"].get<double>() / inf_median},
                                       {"layers", n}});
  }
  summary["shares"] = {{"of", "inference"},
                       {"inference_ms", inf_median},
                       {"frames", frames},
                       {"layer_sum_ms", layer_sum},
                       {"how", "of the median inference stage of the op-traced frames"}};
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
      {"gpu", gpu ? json("NVIDIA H100 80GB HBM3, driver 580.159.04, CUDA 13.0") : json(nullptr)}};
  summary["gpu"] = nullptr;
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

}  // namespace

ProfileFixture yolov8n_profile(int frames) {
  return make_profile(frames, nullptr);
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

namespace {

constexpr int64_t kMainStream = 7, kSideStream = 13;
constexpr uint32_t kHostThread = 41207;

GpuDeviceInfo h100() {
  GpuDeviceInfo d;
  d.id = 0;
  d.name = "NVIDIA H100 80GB HBM3";
  d.cc_major = 9;
  d.cc_minor = 0;
  d.sm_count = 132;
  d.memory_bytes = 85520809984;
  d.sm_clock_mhz = 1980;
  d.peak_fp32_tflops = 66.9;
  d.peak_fp16_tflops = 989.4;
  d.peak_bandwidth_gbs = 3352;
  d.tensor_cores = true;
  return d;
}

// cuDNN and our own kernels, named as CUPTI reports them (demangled).
const char* const kConvKernel =
    "sm90_xmma_fprop_implicit_gemm_tf32f32_tf32f32_f32_nhwckrsc_nhwc_tilesize128x64x32_"
    "warpgroupsize1x1x1_execute_segment_k_off_kernel__5x_cudnn";
const char* const kSmallConvKernel =
    "void implicit_convolve_sgemm<float, float, 128, 5, 5, 3, 3, 3, 1, false, false, true>(int, "
    "int, int, float const*, int, float*, float const*, kernel_conv_params, unsigned long long, "
    "int, float, float, int, float const*, float const*, bool, int, int)";

std::vector<std::string> kernel_names(const LayerResult& l, size_t n) {
  std::vector<std::string> names;
  for (size_t k = 0; k < n; ++k) {
    if (l.type == "Concat") {
      names.push_back("void ys::cuda::concat_kernel<float>(ys::cuda::ConcatArgs)");
    } else if (l.type == "Upsample") {
      names.push_back("void ys::cuda::resize_nearest_kernel<float>(float const*, float*, long)");
    } else if (l.type == "SPPF" && k == 1) {
      names.push_back("void ys::cuda::maxpool2d_kernel<float>(ys::cuda::PoolArgs)");
    } else if (l.type == "Detect" && k + 1 == n) {
      names.push_back("void ys::cuda::dfl_decode_kernel(float const*, float*, int)");
    } else if (l.type == "C2f" && k == 1) {
      names.push_back("void ys::cuda::split_kernel<float>(float const*, float*, float*, long)");
    } else {
      names.push_back(l.flops > 2e8 ? kConvKernel : kSmallConvKernel);
    }
  }
  return names;
}

// Deterministic variation between frames and kernels, as on a real device.
double wobble(int64_t frame, size_t salt) {
  return 1.0 + 0.05 * std::sin(static_cast<double>(frame) * 1.3 + static_cast<double>(salt) * 0.7);
}

// Appends one frame's records, its device work starting no earlier than `device_free_ns` (the
// previous frame's end: one stream runs one thing at a time); returns when the host's wait for
// the device ended.
int64_t add_frame(GpuTrace& t, const std::vector<LayerResult>& layers, int64_t frame,
                  int64_t begin_ns, int64_t device_free_ns = 0) {
  uint64_t corr = 1000 + static_cast<uint64_t>(frame) * 10000;  // unique across frames
  int64_t host = begin_ns + 4000;                               // the host's launch cursor
  auto api = [&](const char* name, int64_t dur, int step, bool kernel) {
    GpuApiRecord a;
    a.name = name;
    a.start_ns = host;
    a.end_ns = host + dur;
    a.thread = kHostThread;
    a.frame = frame;
    a.step = step;
    a.correlation = ++corr;
    a.launches_kernel = kernel;
    t.api.push_back(a);
    host = a.end_ns + 1200;
    return a;
  };
  auto copy = [&](GpuCopyKind kind, GpuMemoryKind src, GpuMemoryKind dst, int64_t bytes, double gbs,
                  int64_t at) {
    const GpuApiRecord a = api(kind == GpuCopyKind::kMemset ? "cudaMemsetAsync" : "cudaMemcpyAsync",
                               kind == GpuCopyKind::kDeviceToHost ? 9000 : 3500, -1, false);
    GpuCopyRecord c;
    c.kind = kind;
    c.src = src;
    c.dst = dst;
    c.bytes = bytes;
    c.stream = kMainStream;
    c.start_ns = std::max(at, a.end_ns + 1500);
    c.end_ns = c.start_ns + static_cast<int64_t>(static_cast<double>(bytes) / gbs) + 1500;
    c.frame = frame;
    c.correlation = a.correlation;
    t.copies.push_back(c);
    return c.end_ns;
  };

  int64_t main_t = copy(GpuCopyKind::kHostToDevice, GpuMemoryKind::kPinned, GpuMemoryKind::kDevice,
                        3 * 640 * 640 * 4, 24.5, device_free_ns);
  main_t = copy(GpuCopyKind::kMemset, GpuMemoryKind::kDevice, GpuMemoryKind::kDevice, 65536, 400,
                main_t);
  int64_t side_t = main_t;
  size_t salt = 0;
  for (const LayerResult& l : layers) {
    const size_t n = std::clamp<size_t>(l.steps.size() / 3, 1, l.type == "Detect" ? 6 : 3);
    const std::vector<std::string> names = kernel_names(l, n);
    for (size_t k = 0; k < n; ++k) {
      const int step =
          static_cast<int>(l.steps[std::min(l.steps.size() - 1, k * l.steps.size() / n)]);
      const GpuApiRecord a = api("cudaLaunchKernel", 2600, step, true);
      GpuKernelRecord r;
      r.name = names[k];
      // The Detect head's box and class branches run side by side on a second stream.
      r.stream = l.type == "Detect" && k % 2 == 1 && k + 1 < n ? kSideStream : kMainStream;
      int64_t& cursor = r.stream == kMainStream ? main_t : side_t;
      const double work_ns = static_cast<double>(l.flops) / static_cast<double>(n) / 21e3 +
                             static_cast<double>(l.bytes_moved) / static_cast<double>(n) / 1.6e3;
      r.start_ns = std::max(cursor, a.end_ns + 2000);
      r.end_ns = r.start_ns + static_cast<int64_t>((2500 + work_ns) * wobble(frame, ++salt));
      cursor = r.end_ns + 1800;
      const int64_t threads =
          std::max<int64_t>(256, l.activation_bytes / 4 / static_cast<int64_t>(n));
      r.grid[0] = static_cast<int>(std::min<int64_t>(threads / 256, 65535));
      r.grid[1] = r.grid[2] = 1;
      r.block[0] = 256;
      r.block[1] = r.block[2] = 1;
      r.registers = r.name == kConvKernel ? 168 : 40;
      r.shared_bytes = r.name == kConvKernel ? 98304 : 0;
      r.frame = frame;
      r.step = step;
      r.correlation = a.correlation;
      t.kernels.push_back(r);
    }
    if (l.type == "Detect") main_t = std::max(main_t, side_t);
  }
  const int64_t out_end = copy(GpuCopyKind::kDeviceToHost, GpuMemoryKind::kDevice,
                               GpuMemoryKind::kPageable, 84 * 8400 * 4, 7.8, main_t);
  GpuSyncRecord w;
  w.what = "stream";
  w.stream = kMainStream;
  w.start_ns = host;
  w.end_ns = std::max(host, out_end) + 6000;
  w.frame = frame;
  t.syncs.push_back(w);
  api("cudaStreamSynchronize", w.end_ns - host, -1, false);
  return w.end_ns;
}

void add_samples(GpuTrace& t, int64_t begin_ns, int64_t end_ns) {
  int i = 0;
  for (int64_t at = begin_ns; at <= end_ns; at += 2'000'000, ++i) {
    NvmlSample s;
    s.t_ns = at;
    const double x = static_cast<double>(i);
    if (i != 3) s.gpu_util_pct = std::clamp(64 + 22 * std::sin(x / 5), 0.0, 100.0);
    s.mem_util_pct = 18 + 6 * std::sin(x / 4);
    s.mem_used_bytes = static_cast<int64_t>((1482 + 14 * std::min(1.0, x / 10)) * 1048576);
    s.mem_total_bytes = 81559LL * 1048576;
    const bool capped = i % 17 >= 8 && i % 17 <= 10;
    s.sm_clock_mhz = capped ? 1755 : 1980;
    s.mem_clock_mhz = 2619;
    s.temperature_c = std::min(61.0, 46 + 0.12 * x);
    s.power_w = 215 + 95 * std::sin(x / 3) + (capped ? 120 : 0);
    s.power_limit_w = 700;
    s.throttle_reasons = capped ? 0x4 : 0x0;
    t.samples.push_back(s);
  }
}

// Union of [start, end) intervals already sorted by start.
double covered_ns(const std::vector<std::pair<int64_t, int64_t>>& iv) {
  double total = 0;
  int64_t a = 0, b = -1;
  for (const auto& [s, e] : iv) {
    if (s > b) {
      if (b > a) total += static_cast<double>(b - a);
      a = s;
      b = e;
    } else {
      b = std::max(b, e);
    }
  }
  if (b > a) total += static_cast<double>(b - a);
  return total;
}

GpuAnalysis analyze(const GpuTrace& t, const std::vector<LayerResult>& layers,
                    const std::vector<HostFrame>& frames) {
  GpuAnalysis a;
  a.available = true;
  a.mode = t.detail;
  a.device = t.devices.front();
  a.cuda_graph = t.cuda_graph;
  a.frames = static_cast<int64_t>(frames.size());
  a.backend_kernels_per_run = t.kernels_per_run;
  const double n_frames = static_cast<double>(frames.size());

  std::map<size_t, size_t> layer_of_step;
  for (size_t i = 0; i < layers.size(); ++i)
    for (size_t st : layers[i].steps) layer_of_step[st] = i;
  // Per layer and frame: device ms.
  std::vector<std::map<int64_t, double>> per_frame(layers.size());
  std::vector<int64_t> kernels_of_layer(layers.size(), 0);
  if (t.detail == "detailed") {
    for (const GpuKernelRecord& k : t.kernels) {
      const size_t l = layer_of_step.at(static_cast<size_t>(k.step));
      per_frame[l][k.frame] += static_cast<double>(k.end_ns - k.start_ns) / 1e6;
      ++kernels_of_layer[l];
    }
  } else {
    for (const GpuSpanFrame& f : t.span_frames)
      for (size_t i = 0; i < f.ms.size(); ++i) per_frame[i][f.frame] += f.ms[i];
  }
  std::vector<double> inference;
  for (const HostFrame& f : frames)
    inference.push_back(static_cast<double>(f.inference_end_ns - f.inference_begin_ns) / 1e6);
  a.inference_ms = compute_stats(inference).median;
  for (size_t i = 0; i < layers.size(); ++i) {
    GpuLayerStat s;
    s.id = layers[i].id;
    s.label = layers[i].label;
    s.type = layers[i].type;
    s.stage = layers[i].stage;
    std::vector<double> v;
    for (const auto& [f, ms] : per_frame[i]) v.push_back(ms);
    s.ms = compute_stats(v);
    s.kernels_per_frame = static_cast<double>(kernels_of_layer[i]) / n_frames;
    s.flops = layers[i].flops;
    s.bytes = layers[i].bytes_moved;
    s.tflops = static_cast<double>(s.flops) / (s.ms.median * 1e-3) / 1e12;
    s.gbs = static_cast<double>(s.bytes) / (s.ms.median * 1e-3) / 1e9;
    s.pct_peak_compute = 100 * s.tflops / a.device.peak_fp32_tflops;
    s.pct_peak_bandwidth = 100 * s.gbs / a.device.peak_bandwidth_gbs;
    a.layer_sum_ms += s.ms.median;
    a.layers.push_back(s);
  }
  for (GpuLayerStat& s : a.layers) s.share_pct = 100 * s.ms.median / a.layer_sum_ms;
  a.layer_sum_vs_inference_pct = 100 * a.layer_sum_ms / a.inference_ms;

  if (t.detail == "detailed") {
    a.kernels = static_cast<int64_t>(t.kernels.size());
    std::map<int64_t, std::vector<std::pair<int64_t, int64_t>>> by_frame;
    std::vector<double> us, counts, gaps_us;
    const char* const buckets[] = {"<5 us", "5-20 us", "20-100 us", "100 us-1 ms", ">1 ms"};
    std::vector<double> bucket(5, 0);
    struct Agg {
      const GpuKernelRecord* first = nullptr;
      std::vector<double> us;
    };
    std::map<std::string, Agg> by_name;
    for (const GpuKernelRecord& k : t.kernels) {
      const double d = static_cast<double>(k.end_ns - k.start_ns) / 1e3;
      us.push_back(d);
      bucket[d < 5 ? 0 : d < 20 ? 1 : d < 100 ? 2 : d < 1000 ? 3 : 4] += 1 / n_frames;
      by_frame[k.frame].push_back({k.start_ns, k.end_ns});
      Agg& g = by_name[k.name];
      if (!g.first) g.first = &k;
      g.us.push_back(d);
    }
    a.kernel_us = compute_stats(us);
    for (size_t b = 0; b < 5; ++b) a.kernel_size_histogram.emplace_back(buckets[b], bucket[b]);
    double busy = 0, gap = 0, span = 0, gaps = 0;
    for (auto& [f, iv] : by_frame) {
      std::sort(iv.begin(), iv.end());
      counts.push_back(static_cast<double>(iv.size()));
      int64_t last = iv.front().first, end = iv.front().first;
      for (const auto& [s, e] : iv) {
        if (s > end) {
          gaps_us.push_back(static_cast<double>(s - end) / 1e3);
          ++gaps;
        }
        end = std::max(end, e);
      }
      const double c = covered_ns(iv);
      busy += c;
      span += static_cast<double>(end - last);
      gap += static_cast<double>(end - last) - c;
    }
    a.kernels_per_frame = compute_stats(counts);
    a.kernel_counts_match = a.kernels_per_frame.max == a.kernels_per_frame.min &&
                            static_cast<int64_t>(a.kernels_per_frame.max) == t.kernels_per_run;
    a.busy_ms_per_frame = busy / 1e6 / n_frames;
    a.idle_ms_per_frame = std::max(0.0, a.inference_ms - a.busy_ms_per_frame);
    a.busy_pct = 100 * a.busy_ms_per_frame / a.inference_ms;
    a.gap_ms_per_frame = gap / 1e6 / n_frames;
    a.gaps_per_frame = gaps / n_frames;
    a.gap_us = compute_stats(gaps_us);
    a.launch_bound_pct = 100 * gap / span;

    double total_ms = 0;
    for (const double d : us) total_ms += d / 1e3;
    for (const auto& [name, g] : by_name) {
      GpuKernelStat s;
      s.name = name;
      const LayerResult& l = layers[layer_of_step.at(static_cast<size_t>(g.first->step))];
      s.layer_id = l.id;
      s.layer_label = l.label;
      s.count = static_cast<int64_t>(g.us.size());
      s.per_frame = static_cast<double>(s.count) / n_frames;
      s.total_ms = std::accumulate(g.us.begin(), g.us.end(), 0.0) / 1e3;
      s.share_pct = 100 * s.total_ms / total_ms;
      s.us = compute_stats(g.us);
      std::copy(std::begin(g.first->grid), std::end(g.first->grid), s.grid);
      std::copy(std::begin(g.first->block), std::end(g.first->block), s.block);
      s.registers = g.first->registers;
      s.shared_bytes = g.first->shared_bytes;
      a.top_kernels.push_back(s);
    }
    std::sort(
        a.top_kernels.begin(), a.top_kernels.end(),
        [](const GpuKernelStat& x, const GpuKernelStat& y) { return x.total_ms > y.total_ms; });

    std::map<std::pair<std::string, std::string>, GpuCopyStat> copies;
    for (const GpuCopyRecord& c : t.copies) {
      const std::string dir = copy_kind_name(c.kind);
      const std::string mem =
          memory_kind_name(c.kind == GpuCopyKind::kHostToDevice ? c.src : c.dst);
      GpuCopyStat& s = copies[{dir, mem}];
      s.direction = dir;
      s.memory = mem;
      ++s.count;
      s.bytes_per_frame += static_cast<double>(c.bytes) / n_frames;
      s.ms_per_frame += static_cast<double>(c.end_ns - c.start_ns) / 1e6 / n_frames;
      if (c.kind == GpuCopyKind::kDeviceToHost && c.dst == GpuMemoryKind::kPageable)
        a.pageable_bytes_per_frame += static_cast<double>(c.bytes) / n_frames;
    }
    for (auto& [key, s] : copies) {
      s.gbs = s.bytes_per_frame / (s.ms_per_frame * 1e-3) / 1e9;
      a.copy_ms_per_frame += s.ms_per_frame;
      a.copies.push_back(s);
    }
    for (const GpuSyncRecord& w : t.syncs)
      a.host_wait_ms_per_frame += static_cast<double>(w.end_ns - w.start_ns) / 1e6 / n_frames;
  }

  a.nvml = !t.samples.empty();
  NvmlSeries series;
  const double nan = std::nan("");
  double util_sum = 0, util_n = 0, throttled = 0;
  a.sm_clock_min_mhz = 1e9;
  for (const NvmlSample& s : t.samples) {
    series.t_ms.push_back(static_cast<double>(s.t_ns) / 1e6);
    series.gpu_util_pct.push_back(s.gpu_util_pct.value_or(nan));
    series.mem_util_pct.push_back(s.mem_util_pct.value_or(nan));
    series.mem_used_mib.push_back(static_cast<double>(*s.mem_used_bytes) / 1048576);
    series.sm_clock_mhz.push_back(*s.sm_clock_mhz);
    series.mem_clock_mhz.push_back(*s.mem_clock_mhz);
    series.temperature_c.push_back(*s.temperature_c);
    series.power_w.push_back(*s.power_w);
    if (s.gpu_util_pct) {
      util_sum += *s.gpu_util_pct;
      ++util_n;
    }
    a.mem_used_max_mib = std::max(a.mem_used_max_mib, series.mem_used_mib.back());
    a.sm_clock_min_mhz = std::min(a.sm_clock_min_mhz, *s.sm_clock_mhz);
    a.sm_clock_max_mhz = std::max(a.sm_clock_max_mhz, *s.sm_clock_mhz);
    a.temperature_max_c = std::max(a.temperature_max_c, *s.temperature_c);
    a.power_max_w = std::max(a.power_max_w, *s.power_w);
    a.power_limit_w = *s.power_limit_w;
    throttled += *s.throttle_reasons & 0x4 ? 1 : 0;
  }
  a.series.push_back(series);
  a.gpu_util_mean_pct = util_n ? util_sum / util_n : 0;
  a.throttled_pct = 100 * throttled / static_cast<double>(t.samples.size());
  a.throttle_reasons = throttled ? "power cap" : "";
  return a;
}

}  // namespace

GpuFixture gpu_profile(const std::vector<LayerResult>& layers, const std::vector<HostFrame>& frames,
                       bool detailed) {
  GpuFixture fx;
  GpuTrace& t = fx.trace;
  t.detail = detailed ? "detailed" : "events";
  t.devices = {h100()};
  t.cupti = detailed;
  t.nvml = true;
  int64_t end = 0;
  for (const HostFrame& f : frames) {
    GpuTrace scratch;
    end = add_frame(scratch, layers, f.index, f.inference_begin_ns, end);
    t.kernels_per_run = static_cast<int64_t>(scratch.kernels.size());
    if (detailed) {
      t.kernels.insert(t.kernels.end(), scratch.kernels.begin(), scratch.kernels.end());
      t.copies.insert(t.copies.end(), scratch.copies.begin(), scratch.copies.end());
      t.syncs.insert(t.syncs.end(), scratch.syncs.begin(), scratch.syncs.end());
      t.api.insert(t.api.end(), scratch.api.begin(), scratch.api.end());
    } else {
      // CUDA events time the same work per layer: the sum of its kernels.
      std::map<size_t, size_t> layer_of_step;
      for (size_t i = 0; i < layers.size(); ++i)
        for (size_t st : layers[i].steps) layer_of_step[st] = i;
      GpuSpanFrame sf;
      sf.frame = f.index;
      sf.ms.assign(layers.size(), 0.0f);
      for (const GpuKernelRecord& k : scratch.kernels)
        sf.ms[layer_of_step.at(static_cast<size_t>(k.step))] +=
            static_cast<float>(k.end_ns - k.start_ns) / 1e6f;
      t.span_frames.push_back(sf);
    }
  }
  for (const LayerResult& l : layers) t.span_starts.push_back(l.steps.front());
  t.window_begin_ns = frames.empty() ? 0 : frames.front().inference_begin_ns - 20'000'000;
  t.window_end_ns = end + 20'000'000;
  add_samples(t, t.window_begin_ns, t.window_end_ns);
  fx.analysis = analyze(t, layers, frames);
  return fx;
}

std::vector<LayerResult> yolov8n_layer_results() {
  std::vector<LayerResult> out;
  size_t step = 0;
  for (const Layer& l : yolov8n_layers()) {
    LayerResult r;
    r.id = std::to_string(l.module);
    r.label = std::string(l.type) + " #" + r.id;
    r.type = l.type;
    r.module = l.module;
    const std::string stage = l.stage;
    r.stage = stage == "backbone" ? Stage::kBackbone
              : stage == "neck"   ? Stage::kNeck
                                  : Stage::kHead;
    for (size_t k = 0; k < ops_of(l).size(); ++k) r.steps.push_back(step++);
    r.flops = static_cast<int64_t>(flops_of(l));
    r.params = l.params;
    r.activation_bytes = elements(l.shape) * 4;
    r.bytes_moved = 3 * r.activation_bytes + 4 * r.params;
    out.push_back(r);
  }
  return out;
}

ProfileFixture yolov8n_gpu_profile(int frames) {
  const std::vector<LayerResult> layers = yolov8n_layer_results();
  std::vector<HostFrame> host;
  ProfileFixture fx = make_profile(frames, [&](int frame, double begin_ms, double) {
    GpuTrace scratch;
    host.push_back({frame, static_cast<int64_t>(begin_ms * 1e6), 0});
    return static_cast<double>(add_frame(scratch, layers, frame, host.back().inference_begin_ns)) /
           1e6;
  });
  std::vector<FrameRecord> records;
  const size_t inference = static_cast<size_t>(PipelineStage::kInference);
  for (const json& e : fx.trace["traceEvents"]) {
    if (e.value("cat", "") != "stage" || e["name"] != "inference") continue;
    const int64_t frame = e["args"]["frame"];
    for (HostFrame& f : host) {
      if (f.index != frame) continue;
      f.inference_end_ns =
          static_cast<int64_t>((e["ts"].get<double>() + e["dur"].get<double>()) * 1e3);
      FrameRecord r;
      r.index = frame;
      r.ops_traced = true;
      r.begin_ns[inference] = f.inference_begin_ns;
      r.end_ns[inference] = f.inference_end_ns;
      records.push_back(r);
    }
  }
  const GpuFixture gpu = gpu_profile(layers, host);
  fx.summary["gpu"] = gpu_summary_json(gpu.analysis);
  for (json& e : gpu_trace_events(gpu.trace, layers, records, 0))
    fx.trace["traceEvents"].push_back(std::move(e));
  return fx;
}

ProfileFixture recorded_gpu_profile(const std::string& path) {
  const GpuTrace trace = read_gpu_trace(path);
  const std::vector<LayerResult> layers = layers_of(trace);
  const std::vector<FrameRecord> frames = host_frames_of(trace);
  const int64_t t0 = trace.profile_start_ns;
  const GpuAnalysis gpu = analyze_gpu(trace, Graph{}, layers, frames, t0);

  ProfileAnalysis a;
  a.layers = layers;
  a.frames_measured = static_cast<int64_t>(frames.size());
  std::vector<std::vector<double>> stage_ms(kPipelineStageCount);
  json events = json::array();
  auto ms = [](int64_t a_ns, int64_t b_ns) { return static_cast<double>(b_ns - a_ns) / 1e6; };
  for (const FrameRecord& f : frames) {
    int64_t first = 0, last = 0;
    for (size_t st = 0; st < kPipelineStageCount; ++st) {
      if (f.begin_ns[st] == 0 || f.end_ns[st] < f.begin_ns[st]) continue;
      stage_ms[st].push_back(ms(f.begin_ns[st], f.end_ns[st]));
      if (first == 0 || f.begin_ns[st] < first) first = f.begin_ns[st];
      last = std::max(last, f.end_ns[st]);
      events.push_back(x_event(pipeline_stage_name(static_cast<PipelineStage>(st)), "stage", 1,
                               ms(t0, f.begin_ns[st]), ms(f.begin_ns[st], f.end_ns[st]),
                               {{"frame", f.index}, {"ops_traced", f.ops_traced}}));
    }
    const size_t inf = static_cast<size_t>(PipelineStage::kInference);
    a.frame_index.push_back(f.index);
    a.latency_ms.push_back(ms(first, last));
    a.inference_ms.push_back(f.begin_ns[inf] ? ms(f.begin_ns[inf], f.end_ns[inf]) : 0);
  }
  a.latency = compute_stats(a.latency_ms);
  a.latency_histogram = make_histogram(a.latency_ms);
  double stage_total = 0;
  for (size_t st = 0; st < kPipelineStageCount; ++st) {
    if (stage_ms[st].empty()) continue;
    StageResult r;
    r.name = pipeline_stage_name(static_cast<PipelineStage>(st));
    r.ms = compute_stats(stage_ms[st]);
    stage_total += r.ms.median;
    a.stages.push_back(r);
  }
  for (StageResult& r : a.stages) r.share_pct = 100 * r.ms.median / stage_total;
  use_device_layer_times(a, gpu);

  ModelInfo model;
  model.name = "yolov8n-coco.onnx";
  model.family = "yolov8";
  RunInfo run;
  run.source = "vtest.avi (recorded: " + path.substr(path.find_last_of('/') + 1) + ")";
  run.frames_total = static_cast<int64_t>(frames.size());
  run.schedule = parse_profile_schedule("5,5,6");  // as tests/fixtures/gpu/README.md says
  run.device = "cuda:0";
  run.backend = "cuda";
  ProfileFixture out;
  out.summary = summary_json(a, model, run, Environment{}, json::array(), &gpu);
  events.push_back(
      {{"ph", "M"}, {"pid", 1}, {"name", "process_name"}, {"args", {{"name", "YoloScope host"}}}});
  events.push_back({{"ph", "M"},
                    {"pid", 1},
                    {"tid", 1},
                    {"name", "thread_name"},
                    {"args", {{"name", "stages"}}}});
  for (json& e : gpu_trace_events(trace, layers, frames, t0)) events.push_back(std::move(e));
  out.trace = {{"traceEvents", std::move(events)}, {"displayTimeUnit", "ms"}};
  return out;
}

}  // namespace ys::testing
