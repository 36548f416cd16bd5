// The GPU profiler: layer spans, device peaks, CUPTI record attribution and clock mapping (pure,
// run everywhere), unavailability on the CPU backend, and on a GPU (skipped without one) span
// times per layer and CUPTI kernels attributed to steps in eager and CUDA Graph runs.
#include "profiler/gpu_profiler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "backends/cpu/cpu_backend.h"
#include "core/clock.h"
#include "model/builtin_models.h"
#include "model/prepare.h"
#include "pipeline/detector.h"
#include "profiler/cupti_tracer.h"
#include "profiler/gpu_device_info.h"
#include "runtime/executor.h"

#if YS_HAVE_CUDA
#include "backends/cuda/cuda_backend.h"
#include "test_gpu.h"
#endif

namespace ys {
namespace {

Graph modules_graph(const std::vector<int>& modules) {
  Graph g;
  for (size_t i = 0; i < modules.size(); ++i) {
    Node n;
    n.name = "n" + std::to_string(i);
    n.op = "Relu";
    n.module = modules[i];
    g.nodes.push_back(n);
  }
  return g;
}

TEST(LayerSpanStarts, NewSpanAtEachModuleChangeAndEachNodeOutsideModules) {
  EXPECT_EQ(layer_span_starts(modules_graph({0, 0, 1, -1, -1, 2, 2, 1})),
            (std::vector<size_t>{0, 2, 3, 4, 5, 7}));
  EXPECT_EQ(layer_span_starts(modules_graph({-1, 3, 3, 3})), (std::vector<size_t>{0, 1}));
  EXPECT_TRUE(layer_span_starts(Graph{}).empty());
}

TEST(LayerSpanStarts, BuiltinYolov8nHasOneSpanPerModuleAtLeast) {
  Graph g = build_builtin_model("yolov8n.yaml", 320);
  prepare_graph(g);
  const std::vector<size_t> starts = layer_span_starts(g);
  std::set<int> modules;
  for (const Node& n : g.nodes) modules.insert(n.module);
  ASSERT_FALSE(starts.empty());
  EXPECT_EQ(starts[0], 0u);
  EXPECT_GE(starts.size(), modules.size() - modules.count(-1)) << "fewer spans than modules";
  for (size_t i = 1; i < starts.size(); ++i) EXPECT_LT(starts[i - 1], starts[i]);
}

GpuDeviceInfo device(int major, int minor, int sms, double mhz) {
  GpuDeviceInfo d;
  d.cc_major = major;
  d.cc_minor = minor;
  d.sm_count = sms;
  d.sm_clock_mhz = mhz;
  fill_gpu_peaks(d);
  return d;
}

TEST(GpuPeaks, ReproduceTheDatasheetsAtTheirClocks) {
  // H100 SXM: 66.9 TFLOP/s FP32 at 1.98 GHz, 989.4 FP16 dense at 1.83 GHz.
  EXPECT_NEAR(device(9, 0, 132, 1980).peak_fp32_tflops, 66.9, 0.1);
  EXPECT_NEAR(device(9, 0, 132, 1830).peak_fp16_tflops, 989.4, 0.5);
  EXPECT_NEAR(device(9, 0, 132, 1980).peak_fp16_tflops, 1070.6, 0.5);
  // A100: 19.5 FP32, 312 FP16 at 1.41 GHz.
  EXPECT_NEAR(device(8, 0, 108, 1410).peak_fp32_tflops, 19.5, 0.1);
  EXPECT_NEAR(device(8, 0, 108, 1410).peak_fp16_tflops, 311.9, 0.5);
  // V100 SXM2: 15.7 FP32, 125 FP16 at 1.53 GHz.
  EXPECT_NEAR(device(7, 0, 80, 1530).peak_fp32_tflops, 15.7, 0.1);
  EXPECT_NEAR(device(7, 0, 80, 1530).peak_fp16_tflops, 125.3, 0.5);
  const GpuDeviceInfo pascal = device(6, 1, 20, 1700);
  EXPECT_FALSE(pascal.tensor_cores);
  EXPECT_EQ(pascal.peak_fp16_tflops, 0);
  EXPECT_TRUE(device(9, 0, 132, 1980).tensor_cores);
}

TEST(CuptiAttribution, DemanglesCxxNamesAndKeepsOthers) {
  EXPECT_EQ(demangle("_ZN2ys4cuda4convEPKf"), "ys::cuda::conv(float const*)");
  EXPECT_EQ(demangle("sm90_xmma_fprop_implicit_gemm"), "sm90_xmma_fprop_implicit_gemm");
  EXPECT_EQ(demangle("_Znot_valid"), "_Znot_valid");
}

GpuKernelRecord kernel(uint64_t correlation, int64_t start, const std::string& name = "k") {
  GpuKernelRecord k;
  k.name = name;
  k.correlation = correlation;
  k.start_ns = start;
  k.end_ns = start + 1000;
  return k;
}

GpuApiRecord api(uint64_t correlation, int64_t start, const std::string& name) {
  GpuApiRecord a;
  a.name = name;
  a.correlation = correlation;
  a.start_ns = start;
  a.end_ns = start + 500;
  return a;
}

TEST(CuptiAttribution, StepsFromCorrelationOrGraphNodeFramesFromTheLaunchingCall) {
  // CUPTI's clock runs at half the host's rate from host 1 ms: host = 1e6 + 2 * cupti.
  const ClockPair first{1'000'000, 0}, last{3'000'000, 1'000'000};
  const std::vector<CuptiFrameWindow> frames = {{9, 2'000'000, 2'600'000},
                                                {7, 1'000'000, 1'500'000}};
  CuptiRawTrace raw;
  raw.api = {api(1, 10'000, "cudaLaunchKernel"), api(2, 600'000, "cudaGraphLaunch"),
             api(3, 700'000, "cudaMemcpyAsync")};
  raw.external_steps = {{1, 3}};
  raw.kernels = {kernel(2, 610'000, "_ZN2ys4cuda4convEPKf"), kernel(1, 20'000), kernel(2, 620'000),
                 kernel(99, 260'000), kernel(98, 100'000)};
  raw.kernel_nodes = {55, 0, 56, 0, 0};
  GpuCopyRecord copy;
  copy.kind = GpuCopyKind::kHostToDevice;
  copy.correlation = 3;
  copy.start_ns = 710'000;
  copy.end_ns = 720'000;
  raw.copies = {copy};
  raw.copy_nodes = {0};
  GpuSyncRecord sync;
  sync.what = "stream";
  sync.start_ns = 750'000;
  sync.end_ns = 760'000;
  raw.syncs = {sync};
  raw.dropped = 4;
  const std::unordered_map<uint64_t, int> nodes = {{55, 12}};

  GpuTrace t;
  attribute_cupti_records(raw, nodes, frames, first, last, t);
  EXPECT_DOUBLE_EQ(t.clock_scale, 2.0);
  EXPECT_DOUBLE_EQ(t.clock_offset_ns, 1e6);
  EXPECT_EQ(t.dropped_records, 4);

  ASSERT_EQ(t.kernels.size(), 5u);
  // Sorted by start: the eager launch (corr 1), the two unattributed ones, the graph's two.
  const GpuKernelRecord& eager = t.kernels[0];
  EXPECT_EQ(eager.correlation, 1u);
  EXPECT_EQ(eager.start_ns, 1'040'000);
  EXPECT_EQ(eager.end_ns, 1'042'000);
  EXPECT_EQ(eager.step, 3);
  EXPECT_EQ(eager.frame, 7);
  EXPECT_FALSE(eager.from_graph);
  EXPECT_EQ(t.kernels[1].correlation, 98u);  // no API record: its own start lies in frame 7
  EXPECT_EQ(t.kernels[1].frame, 7);
  EXPECT_EQ(t.kernels[1].step, -1);
  EXPECT_EQ(t.kernels[2].correlation, 99u);  // host 1.52 ms: between the frames
  EXPECT_EQ(t.kernels[2].frame, -1);
  const GpuKernelRecord& replayed = t.kernels[3];
  EXPECT_EQ(replayed.name, "ys::cuda::conv(float const*)");
  EXPECT_TRUE(replayed.from_graph);
  EXPECT_EQ(replayed.step, 12);
  EXPECT_EQ(replayed.frame, 9);
  EXPECT_EQ(t.kernels[4].step, -1) << "graph node 56 was never mapped to a step";
  EXPECT_EQ(t.kernels[4].frame, 9);

  ASSERT_EQ(t.api.size(), 3u);
  EXPECT_TRUE(t.api[0].launches_kernel);
  EXPECT_EQ(t.api[0].step, 3);
  EXPECT_EQ(t.api[0].frame, 7);
  EXPECT_FALSE(t.api[1].launches_kernel) << "a graph launch is not counted as a kernel launch";
  EXPECT_EQ(t.api[1].frame, 9);
  EXPECT_FALSE(t.api[2].launches_kernel);

  ASSERT_EQ(t.copies.size(), 1u);
  EXPECT_EQ(t.copies[0].step, -1);
  EXPECT_EQ(t.copies[0].frame, 9);
  EXPECT_EQ(t.copies[0].start_ns, 2'420'000);
  ASSERT_EQ(t.syncs.size(), 1u);
  EXPECT_EQ(t.syncs[0].frame, 9);
}

TEST(GpuProfiler, OnTheCpuBackendSaysWhyThereIsNothingAndNeverThrows) {
  auto cpu = make_cpu_backend();
  Graph g = modules_graph({0, 1});
  GpuProfilerOptions o;
  o.detailed = true;
  GpuProfiler p(*cpu, g, o);
  p.begin_frame(0, true);
  p.end_frame();
  p.begin_frame(1, false);
  p.end_frame();
  const GpuTrace t = p.finish();
  EXPECT_EQ(t.detail, "detailed");
  EXPECT_TRUE(t.devices.empty());
  EXPECT_TRUE(t.span_starts.empty());
  EXPECT_TRUE(t.span_frames.empty());
  EXPECT_EQ(t.kernels_per_run, -1);
  EXPECT_FALSE(t.cuda_graph);
  EXPECT_FALSE(t.nvml);
  EXPECT_FALSE(t.cupti);
  EXPECT_NE(t.nvml_why.find("host"), std::string::npos) << t.nvml_why;
  EXPECT_NE(t.cupti_why.find("host"), std::string::npos) << t.cupti_why;
  EXPECT_TRUE(t.kernels.empty());
  EXPECT_TRUE(t.samples.empty());
}

#if YS_HAVE_CUDA

Tensor test_image() {
  Tensor img(DType::kUInt8, {480, 640, 3});
  for (int64_t i = 0; i < img.numel(); ++i)
    img.ptr<uint8_t>()[i] = static_cast<uint8_t>(i * 7 % 251);
  return img;
}

// Built-in YOLOv8n on device 0, with or without a CUDA graph.
DetectorOptions gpu_builtin_options(bool cuda_graph) {
  DetectorOptions o;
  o.model = "yolov8n.yaml";
  o.device = "0";
  o.cuda_graph = cuda_graph;
  return o;
}

class GpuProfilerEvents : public ::testing::TestWithParam<bool> {};

TEST_P(GpuProfilerEvents, OneTimePerLayerPerTracedFrame) {
  YS_REQUIRE_GPU();
  Detector det(gpu_builtin_options(GetParam()));
  const Tensor img = test_image();
  for (int i = 0; i < 2; ++i) det.detect(img);  // a graph, when asked for, is captured by now
  GpuProfilerOptions po;
  po.nvml_period_ms = 5;
  po.spans_per_frame = 1000;  // every layer in every traced frame; rotation is tested below
  GpuProfiler p(det.executor().backend(), det.executor().graph(), po);
  const std::vector<size_t> starts = layer_span_starts(det.executor().graph());
  std::map<int64_t, double> detect_ms;
  for (int64_t f = 0; f < 8; ++f) {
    const bool traced = f % 2 == 1;
    p.begin_frame(f, traced);
    const int64_t t0 = now_ns();
    det.detect(img);
    const int64_t t1 = now_ns();
    p.end_frame();
    if (traced) detect_ms[f] = static_cast<double>(t1 - t0) / 1e6;
  }
  const GpuTrace t = p.finish();
  ASSERT_EQ(t.devices.size(), 1u);
  EXPECT_GT(t.devices[0].sm_count, 0);
  EXPECT_GT(t.devices[0].peak_fp32_tflops, 0);
  EXPECT_GT(t.devices[0].peak_bandwidth_gbs, 0);
  EXPECT_EQ(t.span_starts, starts);
  ASSERT_EQ(t.span_frames.size(), 4u) << "expected the 4 traced frames (1, 3, 5, 7) to be timed";
  for (const GpuSpanFrame& sf : t.span_frames) {
    ASSERT_EQ(sf.ms.size(), starts.size()) << "frame " << sf.frame;
    ASSERT_TRUE(detect_ms.count(sf.frame)) << "span times for untraced frame " << sf.frame;
    double sum = 0;
    for (size_t i = 0; i < sf.ms.size(); ++i) {
      EXPECT_TRUE(std::isfinite(sf.ms[i]) && sf.ms[i] >= 0)
          << "frame " << sf.frame << " span " << i << ": " << sf.ms[i] << " ms";
      sum += sf.ms[i];
    }
    EXPECT_GT(sum, 0) << "frame " << sf.frame;
    // The device time of the forward fits inside the detect call, which waits for its results.
    EXPECT_LE(sum, detect_ms[sf.frame]) << "frame " << sf.frame << ": spans sum to " << sum
                                        << " ms, detect took " << detect_ms[sf.frame] << " ms";
  }
  EXPECT_EQ(t.cuda_graph, GetParam()) << "kernels_per_run " << t.kernels_per_run;
  EXPECT_EQ(t.kernels_per_run > 0, GetParam()) << "kernels_per_run " << t.kernels_per_run;
  EXPECT_GT(t.window_end_ns, t.window_begin_ns);
  EXPECT_TRUE(t.nvml || !t.nvml_why.empty());
}

// With a few layers per traced frame, consecutive traced frames time consecutive groups of
// layers, each exactly once per rotation, and leave the others NaN.
TEST_P(GpuProfilerEvents, RotatesGroupsOfLayersOverTracedFrames) {
  YS_REQUIRE_GPU();
  Detector det(gpu_builtin_options(GetParam()));
  const Tensor img = test_image();
  for (int i = 0; i < 2; ++i) det.detect(img);  // a graph, when asked for, is captured by now
  GpuProfilerOptions po;
  po.nvml_period_ms = 0;
  po.spans_per_frame = 8;
  GpuProfiler p(det.executor().backend(), det.executor().graph(), po);
  const size_t spans = layer_span_starts(det.executor().graph()).size();
  const size_t groups = (spans + 7) / 8;
  for (int64_t f = 0; f < static_cast<int64_t>(groups); ++f) {
    p.begin_frame(f, true);
    det.detect(img);
    p.end_frame();
  }
  const GpuTrace t = p.finish();
  ASSERT_EQ(t.span_frames.size(), groups);
  std::vector<int> timed(spans, 0);
  for (const GpuSpanFrame& sf : t.span_frames) {
    ASSERT_EQ(sf.ms.size(), spans);
    size_t first = spans, last = 0, count = 0;
    for (size_t i = 0; i < spans; ++i) {
      if (!std::isfinite(sf.ms[i])) continue;
      EXPECT_GE(sf.ms[i], 0) << "frame " << sf.frame << " span " << i;
      ++timed[i];
      ++count;
      first = std::min(first, i);
      last = std::max(last, i);
    }
    EXPECT_LE(count, 8u) << "frame " << sf.frame;
    EXPECT_EQ(last + 1 - first, count) << "frame " << sf.frame << ": the group is not contiguous";
  }
  for (size_t i = 0; i < spans; ++i) EXPECT_EQ(timed[i], 1) << "span " << i;
}

INSTANTIATE_TEST_SUITE_P(EagerAndGraph, GpuProfilerEvents, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Graph" : "Eager"; });

struct DetailedRun {
  GpuTrace trace;
  size_t steps = 0;
  std::set<int64_t> traced;
};

// The executor alone rather than a Detector: every kernel of a run then belongs to the forward,
// so every one must have a step (a Detector may add pre- and post-processing kernels of its own).
DetailedRun run_detailed(bool graphs) {
  Graph g = build_builtin_model("yolov8n.yaml", 320);
  prepare_graph(g);
  Executor ex(std::move(g), make_cuda_backend({.cuda_graph = graphs}));
  const Value& in = ex.graph().values[static_cast<size_t>(ex.graph().inputs[0])];
  Tensor input(DType::kFloat32, in.shape);
  for (int64_t i = 0; i < input.numel(); ++i)
    input.ptr<float>()[i] = static_cast<float>(i % 255) / 255.f;
  ex.set_input(0, input);
  for (int i = 0; i < 3; ++i) ex.run();
  ex.backend().synchronize();
  DetailedRun r;
  r.steps = ex.steps().size();
  GpuProfilerOptions po;
  po.detailed = true;
  po.nvml_period_ms = 0;
  GpuProfiler p(ex.backend(), ex.graph(), po);
  for (int64_t f = 0; f < 8; ++f) {
    const bool traced = f % 2 == 1;
    if (traced) r.traced.insert(f);
    p.begin_frame(f, traced);
    ex.run();
    ex.backend().synchronize();
    p.end_frame();
  }
  r.trace = p.finish();
  return r;
}

std::string describe(const GpuKernelRecord& k) {
  return k.name + " (frame " + std::to_string(k.frame) + ", step " + std::to_string(k.step) +
         ", correlation " + std::to_string(k.correlation) + (k.from_graph ? ", graph" : ", eager") +
         ")";
}

void expect_all_attributed(const DetailedRun& r, bool graphs, std::set<int>* steps_with_kernels) {
  const GpuTrace& t = r.trace;
  ASSERT_TRUE(t.cupti) << "CUPTI unavailable: " << t.cupti_why;
  ASSERT_FALSE(t.kernels.empty()) << "CUPTI recorded no kernel";
  EXPECT_EQ(t.dropped_records, 0);
  std::map<int64_t, int64_t> per_frame;
  for (const GpuKernelRecord& k : t.kernels) {
    EXPECT_TRUE(r.traced.count(k.frame)) << "kernel outside the traced frames: " << describe(k);
    EXPECT_TRUE(k.step >= 0 && static_cast<size_t>(k.step) < r.steps)
        << "kernel without a step: " << describe(k);
    EXPECT_EQ(k.from_graph, graphs) << describe(k);
    EXPECT_LE(k.start_ns, k.end_ns) << describe(k);
    ++per_frame[k.frame];
    steps_with_kernels->insert(k.step);
  }
  ASSERT_EQ(per_frame.size(), r.traced.size()) << "not every traced frame has kernels";
  const int64_t first = per_frame.begin()->second;
  for (const auto& [frame, n] : per_frame) {
    EXPECT_EQ(n, first) << "frame " << frame << " has " << n << " kernels, frame "
                        << per_frame.begin()->first << " has " << first;
    if (graphs) {
      EXPECT_EQ(n, t.kernels_per_run)
          << "frame " << frame << ": kernel records vs kernel nodes in the captured graph";
    }
  }
  int64_t launches = 0;
  for (const GpuApiRecord& a : t.api) launches += a.launches_kernel;
  EXPECT_EQ(launches, graphs ? 0 : static_cast<int64_t>(t.kernels.size()))
      << "API calls marked as kernel launches";
}

TEST(GpuProfilerDetailed, EveryKernelHasItsStepEagerAndInGraphReplays) {
  YS_REQUIRE_GPU();
  std::set<int> eager_steps, graph_steps;
  const DetailedRun eager = run_detailed(false);
  {
    SCOPED_TRACE("cuda_graph=False");
    expect_all_attributed(eager, false, &eager_steps);
  }
  const DetailedRun graph = run_detailed(true);
  {
    SCOPED_TRACE("cuda_graph=True");
    expect_all_attributed(graph, true, &graph_steps);
  }
  // Both modes run the same ops: the steps that launch kernels must be the same ones.
  std::vector<int> only_eager, only_graph;
  for (int s : eager_steps)
    if (!graph_steps.count(s)) only_eager.push_back(s);
  for (int s : graph_steps)
    if (!eager_steps.count(s)) only_graph.push_back(s);
  EXPECT_TRUE(only_eager.empty() && only_graph.empty())
      << only_eager.size() << " steps have kernels only eagerly (first "
      << (only_eager.empty() ? -1 : only_eager[0]) << "), " << only_graph.size()
      << " only in graph replays (first " << (only_graph.empty() ? -1 : only_graph[0]) << ")";
}

#endif

}  // namespace
}  // namespace ys
