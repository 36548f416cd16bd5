// trace.json from a recorded run (analysis/chrome_trace.h): the host lanes, and with GPU records
// the GPU lanes (kernels nested under their layer's span, copies, waits, NVML counters); a CPU
// run's trace carries no GPU parts. The GPU records are the fixture's (report/profile_fixture.h),
// laid on a real profiler's frames and a real YOLOv8n graph.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "analysis/chrome_trace.h"
#include "report/traced_yolov8n.h"

namespace ys {
namespace {

using nlohmann::json;
using testing::GpuFixture;

constexpr int kGpuPid = 100;  // process of device 0

class GpuTraceReport : public testing::TracedYolov8n {
 protected:
  json trace(const GpuTrace* gpu) const { return chrome_trace(*profiler_, *executor_, {}, gpu); }
};

// thread_name of each (pid, tid).
std::map<std::pair<int, int>, std::string> thread_names(const json& t) {
  std::map<std::pair<int, int>, std::string> out;
  for (const json& e : t["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "thread_name")
      out[{e["pid"].get<int>(), e["tid"].get<int>()}] = e["args"]["name"];
  }
  return out;
}

std::vector<json> events(const json& t, const std::string& cat, int pid = -1) {
  std::vector<json> out;
  for (const json& e : t["traceEvents"]) {
    if (e["ph"] == "X" && e.value("cat", "") == cat && (pid < 0 || e["pid"] == pid))
      out.push_back(e);
  }
  return out;
}

double end_of(const json& e) {
  return e["ts"].get<double>() + e["dur"].get<double>();
}

TEST_F(GpuTraceReport, TraceHasAProcessPerDeviceAndALanePerStream) {
  const GpuFixture gpu = testing::gpu_profile(layers_, frames_);
  const json t = trace(&gpu.trace);
  bool named = false;
  for (const json& e : t["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "process_name" && e["pid"] == kGpuPid)
      named = e["args"]["name"] == "GPU 0: NVIDIA H100 80GB HBM3";
  }
  EXPECT_TRUE(named);
  const auto names = thread_names(t);
  EXPECT_EQ(names.at({kGpuPid, 1}), "stream 7");
  EXPECT_EQ(names.at({kGpuPid, 2}), "stream 7 copies");
  EXPECT_EQ(names.at({kGpuPid, 3}), "stream 13");
  EXPECT_EQ(names.at({1, 4}), "GPU waits");
  EXPECT_EQ(names.at({1, 10}), "CUDA API");
  // The host lanes are untouched.
  EXPECT_EQ(names.at({1, 1}), "stages");
  EXPECT_EQ(names.at({1, 3}), "ops");

  const std::vector<json> kernels = events(t, "kernel");
  ASSERT_EQ(kernels.size(), gpu.trace.kernels.size());
  std::set<int> kernel_tids;
  for (const json& k : kernels) kernel_tids.insert(k["tid"].get<int>());
  EXPECT_EQ(kernel_tids, (std::set<int>{1, 3}));
  const json& k0 = kernels.front()["args"];
  for (const char* key : {"grid", "block", "registers", "shared_bytes", "layer", "layer_label",
                          "step", "frame", "correlation"})
    EXPECT_TRUE(k0.contains(key)) << key;
  EXPECT_EQ(k0["block"], json({256, 1, 1}));

  const std::vector<json> copies = events(t, "copy");
  ASSERT_EQ(copies.size(), gpu.trace.copies.size());
  for (const json& c : copies) EXPECT_EQ(c["tid"], 2);
  EXPECT_EQ(copies.front()["name"], "memcpy HtoD");
  EXPECT_EQ(copies.front()["args"]["bytes"], 3 * 640 * 640 * 4);
  EXPECT_EQ(copies.front()["args"]["src"], "pinned");
  EXPECT_EQ(events(t, "sync", 1).size(), frames_.size());
  EXPECT_EQ(events(t, "api", 1).size(), gpu.trace.api.size());

  std::map<std::string, int> counters;
  for (const json& e : t["traceEvents"])
    if (e["ph"] == "C" && e["pid"] == kGpuPid) ++counters[e["name"]];
  const int samples = static_cast<int>(gpu.trace.samples.size());
  EXPECT_EQ(counters["GPU utilization"], samples - 1) << "the sample without a figure is skipped";
  for (const char* c : {"GPU memory used", "SM clock", "GPU temperature", "GPU power"})
    EXPECT_EQ(counters[c], samples) << c;
}

TEST_F(GpuTraceReport, EveryKernelSitsInsideItsLayersSpanOnItsLane) {
  const GpuFixture gpu = testing::gpu_profile(layers_, frames_);
  const json t = trace(&gpu.trace);
  const std::vector<json> spans = events(t, "layer", kGpuPid);
  const std::vector<json> kernels = events(t, "kernel", kGpuPid);
  ASSERT_GE(spans.size(), layers_.size() * frames_.size());
  const double eps = 1e-6;  // us; times are rounded to the nanosecond
  for (const json& k : kernels) {
    int enclosing = 0;
    for (const json& s : spans) {
      if (s["tid"] != k["tid"] || s["ts"].get<double>() > k["ts"].get<double>() + eps ||
          end_of(s) < end_of(k) - eps)
        continue;
      ++enclosing;
      EXPECT_EQ(s["args"]["layer"], k["args"]["layer"]) << k.dump();
      EXPECT_EQ(s["args"]["frame"], k["args"]["frame"]) << k.dump();
      EXPECT_EQ(s["name"], k["args"]["layer_label"]);
    }
    EXPECT_EQ(enclosing, 1) << "kernel " << k["name"] << " at " << k["ts"];
  }
  // Spans of one lane never overlap, so viewers stack kernels under exactly one layer.
  std::map<int, std::vector<std::pair<double, double>>> by_lane;
  for (const json& s : spans) by_lane[s["tid"]].push_back({s["ts"], end_of(s)});
  for (auto& [tid, list] : by_lane) {
    std::sort(list.begin(), list.end());
    for (size_t i = 1; i < list.size(); ++i) EXPECT_LE(list[i - 1].second, list[i].first + eps);
  }
  // The layer span's summed kernel time is that of the kernels it holds.
  const json& first = spans.front();
  double sum = 0;
  for (const json& k : kernels) {
    if (k["tid"] == first["tid"] && k["ts"].get<double>() >= first["ts"].get<double>() - eps &&
        end_of(k) <= end_of(first) + eps)
      sum += k["dur"].get<double>() / 1e3;
  }
  EXPECT_NEAR(first["args"]["kernel_ms"].get<double>(), sum, 1e-3);
  EXPECT_EQ(first["args"]["stage"], "backbone");
}

TEST_F(GpuTraceReport, EventsModeLaysSpansEndToEndFromInferenceBegin) {
  const GpuFixture gpu = testing::gpu_profile(layers_, frames_, false);
  ASSERT_TRUE(gpu.trace.kernels.empty());
  const json t = trace(&gpu.trace);
  EXPECT_EQ(thread_names(t).at({kGpuPid, 1}), "layers (CUDA events)");
  EXPECT_TRUE(events(t, "kernel").empty());
  const std::vector<json> spans = events(t, "layer", kGpuPid);
  ASSERT_EQ(spans.size(), layers_.size() * frames_.size());
  const double t0 = static_cast<double>(profiler_->start_ns());
  const double begin = (static_cast<double>(frames_[0].inference_begin_ns) - t0) / 1e3;
  EXPECT_NEAR(spans[0]["ts"].get<double>(), begin, 1e-3);
  EXPECT_EQ(spans[0]["name"], layers_[0].label);
  EXPECT_NEAR(spans[0]["dur"].get<double>(), gpu.trace.span_frames[0].ms[0] * 1e3, 1e-2);
  for (size_t i = 1; i < layers_.size(); ++i) {
    EXPECT_NEAR(spans[i]["ts"].get<double>(), end_of(spans[i - 1]), 1e-2) << i;
    EXPECT_EQ(spans[i]["args"]["frame"], frames_[0].index);
  }
}

TEST_F(GpuTraceReport, CpuTraceHasNoGpuParts) {
  const json t = trace(nullptr);
  EXPECT_EQ(t, chrome_trace(*profiler_, *executor_, {}));
  for (const json& e : t["traceEvents"]) {
    ASSERT_EQ(e["pid"], 1) << e.dump();
  }
}

// With a CUDA Graph the forward is one launch and ProfileSession leaves the op hooks off in traced
// frames too: those frames have no op times, and the host lanes must not place their ops and
// layers at time zero of the steady clock, which stretched a traced frame over the whole trace.
TEST(ChromeTrace, TracedFramesWithoutOpTimesHaveNoOpOrLayerSpans) {
  Graph g = build_builtin_model("yolov8n.yaml", 64);
  prepare_graph(g);
  Executor ex(std::move(g), make_cpu_backend({.threads = 1}));
  Profiler p(parse_profile_schedule("0,0,4"), ex.steps().size());
  for (int64_t f = 0; f < 4; ++f) {
    p.begin_frame(f);
    p.stage_begin(PipelineStage::kInference);
    p.stage_end(PipelineStage::kInference);
    p.end_frame();
  }
  const json t = chrome_trace(p, ex, {});
  int stages = 0;
  for (const json& e : t["traceEvents"]) {
    if (e.value("ph", "") != "X") continue;
    EXPECT_EQ(e["cat"], "stage") << e.dump();
    EXPECT_GE(e["ts"].get<double>(), 0) << e.dump();
    ++stages;
  }
  EXPECT_EQ(stages, 4);
}

}  // namespace
}  // namespace ys
