// The GPU analysis, the advisor's GPU rules and the GPU trace lanes on traces recorded on the GPU
// machine (scripts/gpu_check.sh, profile phase; tests/fixtures/gpu/README.md says how): YOLOv8n on
// vtest.avi, 6 traced frames each, in detailed mode (CUPTI). One ran FP16 with a CUDA Graph and
// the GPU pipeline, the other FP32 eagerly. These hold real kernel names, launch gaps, pinned
// copies and NVML readings, which hand-built traces cannot.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "analysis/advisor.h"
#include "analysis/gpu_analysis.h"
#include "profiler/gpu_trace_io.h"
#include "report/profile_report.h"

namespace ys {
namespace {

struct Recorded {
  GpuTrace trace;
  std::vector<LayerResult> layers;
  std::vector<FrameRecord> frames;
  GpuAnalysis a;
};

Recorded load(const std::string& name) {
  Recorded r;
  r.trace = read_gpu_trace(std::string(YS_GPU_FIXTURES) + "/" + name);
  r.layers = layers_of(r.trace);
  r.frames = host_frames_of(r.trace);
  r.a = analyze_gpu(r.trace, Graph{}, r.layers, r.frames, r.trace.profile_start_ns);
  return r;
}

const Recorded& graph_fp16() {
  static const Recorded r = load("yolov8n_fp16_graph_detailed.json");
  return r;
}
const Recorded& eager_fp32() {
  static const Recorded r = load("yolov8n_fp32_eager_detailed.json");
  return r;
}

TEST(GpuFixture, EveryKernelHasALayerOrAPipelineStage) {
  for (const Recorded* r : {&graph_fp16(), &eager_fp32()}) {
    const GpuAnalysis& a = r->a;
    ASSERT_TRUE(a.available) << a.why;
    EXPECT_EQ(a.mode, "detailed");
    EXPECT_GT(a.kernels, 500) << "3 traced frames of about 190 kernels";
    EXPECT_EQ(a.unattributed_kernels, 0);
    EXPECT_EQ(a.layers.size(), 23u) << "YOLOv8n has 23 modules";
    EXPECT_TRUE(a.kernel_counts_match) << "kernels per frame " << a.kernels_per_frame.median
                                       << ", backend " << a.backend_kernels_per_run;
  }
}

TEST(GpuFixture, TheGraphRunReplaysKernelsBackToBackAndTheEagerOneWaitsForLaunches) {
  const GpuAnalysis& g = graph_fp16().a;
  const GpuAnalysis& e = eager_fp32().a;
  EXPECT_TRUE(g.cuda_graph);
  EXPECT_FALSE(e.cuda_graph);
  // Eager, nearly every kernel waits for its launch; a graph replays most of them back to back.
  EXPECT_GT(e.gaps_per_frame, 1.5 * g.gaps_per_frame);
  EXPECT_GT(e.gap_ms_per_frame, g.gap_ms_per_frame);
  // The layers cover the forward's device span; with the launch and sync latencies around it
  // they make up the host's inference stage (medians of 3 frames, so only roughly).
  for (const GpuAnalysis* a : {&g, &e}) {
    const double total = a->layer_sum_ms + a->launch_latency_ms + a->sync_latency_ms;
    EXPECT_NEAR(total / a->inference_ms, 1.0, 0.2)
        << a->layer_sum_ms << " + " << a->launch_latency_ms << " + " << a->sync_latency_ms << " vs "
        << a->inference_ms;
  }
}

TEST(GpuFixture, TopKernelsAreConvolutionsWithTheirLayers) {
  for (const Recorded* r : {&graph_fp16(), &eager_fp32()}) {
    ASSERT_FALSE(r->a.top_kernels.empty());
    const GpuKernelStat& top = r->a.top_kernels[0];
    // cuDNN's convolution kernels: "convolve" on CUDA cores, "fprop" on tensor cores.
    EXPECT_TRUE(top.name.find("conv") != std::string::npos ||
                top.name.find("fprop") != std::string::npos)
        << top.name;
    EXPECT_FALSE(top.layer_id.empty());
    EXPECT_GT(top.block[0], 0);
    double share = 0;
    for (const GpuKernelStat& k : r->a.top_kernels) share += k.share_pct;
    EXPECT_LE(share, 100.0 + 1e-6);
  }
  // FP16 layers are held to the tensor-core peak, FP32 ones to the CUDA-core peak.
  const GpuDeviceInfo& d = graph_fp16().a.device;
  ASSERT_TRUE(d.tensor_cores);
  EXPECT_GT(d.peak_fp16_tflops, 5 * d.peak_fp32_tflops);
}

TEST(GpuFixture, CopiesArePinnedAndTheGpuPipelineKernelsSitInTheirStages) {
  const GpuAnalysis& g = graph_fp16().a;
  EXPECT_EQ(g.pageable_bytes_per_frame, 0);
  std::map<std::string, const GpuCopyStat*> by;
  for (const GpuCopyStat& c : g.copies) by[c.direction] = &c;
  ASSERT_TRUE(by.count("HtoD") && by.count("DtoH"));
  EXPECT_EQ(by["HtoD"]->memory, "pinned");
  // The 768x576 BGR frame goes up as 8-bit pixels, not as a float tensor.
  EXPECT_GE(by["HtoD"]->bytes_per_frame, 768.0 * 576 * 3);
  EXPECT_LT(by["HtoD"]->bytes_per_frame, 768.0 * 576 * 3 * 1.1);
  EXPECT_LT(by["DtoH"]->bytes_per_frame, 64 * 1024) << "only detections come back";
  bool pre = false;
  for (const GpuKernelStat& k : g.top_kernels) pre = pre || k.layer_id == "preprocess";
  for (const GpuKernelRecord& k : graph_fp16().trace.kernels) {
    if (k.step < 0 && k.name.find("letterbox") != std::string::npos) pre = true;
  }
  EXPECT_TRUE(pre) << "the letterbox kernel ran in the preprocess stage";
}

TEST(GpuFixture, NvmlSeriesAreThereAndShowNoThrottling) {
  for (const Recorded* r : {&graph_fp16(), &eager_fp32()}) {
    const GpuAnalysis& a = r->a;
    ASSERT_TRUE(a.nvml) << a.nvml_why;
    ASSERT_EQ(a.series.size(), 1u);
    EXPECT_GE(a.series[0].t_ms.size(), 3u);
    EXPECT_GT(a.sm_clock_max_mhz, 1000);
    EXPECT_GT(a.power_max_w, 50);
    EXPECT_EQ(a.throttled_pct, 0);
  }
}

TEST(GpuFixture, TheProfileTakesTheDeviceTimesForItsLayersAndModelStages) {
  const Recorded& r = graph_fp16();
  ProfileAnalysis a;
  a.layers = r.layers;  // host launch times: all zero here, as the graph launches in one op
  use_device_layer_times(a, r.a);
  ASSERT_TRUE(a.device_layer_times);
  double sum = 0, stages = 0;
  for (const LayerResult& l : a.layers) {
    EXPECT_GT(l.ms.median, 0) << l.label;
    sum += l.ms.median;
  }
  for (const ModelStageResult& s : a.model_stages) stages += s.ms.median;
  EXPECT_NEAR(sum, r.a.layer_sum_ms, 1e-9);
  EXPECT_NEAR(stages, sum, 1e-9);
  EXPECT_EQ(a.model_stages.size(), 3u) << "backbone, neck and head";
  ASSERT_FALSE(a.top_layers.empty());
  const LayerResult* top = nullptr;
  for (const LayerResult& l : a.layers)
    if (l.id == a.top_layers[0]) top = &l;
  ASSERT_NE(top, nullptr);
  for (const LayerResult& l : a.layers) EXPECT_LE(l.ms.median, top->ms.median);
}

ProfileAnalysis host_view(const GpuAnalysis& g) {
  ProfileAnalysis a;
  StageResult inference;
  inference.name = "inference";
  inference.ms = compute_stats({g.inference_ms, g.inference_ms, g.inference_ms});
  a.stages.push_back(inference);
  a.latency = compute_stats({g.inference_ms * 1.6, g.inference_ms * 1.6, g.inference_ms * 1.6});
  return a;
}

std::vector<std::string> gpu_ids(const std::vector<Finding>& fs) {
  std::vector<std::string> ids;
  for (const Finding& f : fs)
    if (f.id.rfind("gpu.", 0) == 0) ids.push_back(f.id);
  return ids;
}

TEST(GpuFixture, TheAdvisorFindsFp32AndLaunchBoundOnTheEagerRunAndNothingOnTheGraphRun) {
  RunFacts eager;
  eager.device = "0";
  eager.half = false;
  eager.cuda_graph = false;
  const GpuAnalysis& e = eager_fp32().a;
  eager.gpu = gpu_facts(e, host_view(e));
  const std::vector<std::string> found = gpu_ids(advise(host_view(e), InputStats{}, eager));
  EXPECT_NE(std::find(found.begin(), found.end(), "gpu.fp32_tensor_cores"), found.end());
  EXPECT_NE(std::find(found.begin(), found.end(), "gpu.launch_bound"), found.end());
  EXPECT_EQ(std::find(found.begin(), found.end(), "gpu.pageable_copies"), found.end());
  EXPECT_EQ(std::find(found.begin(), found.end(), "gpu.throttling"), found.end());

  RunFacts graph = eager;
  graph.half = true;
  graph.cuda_graph = true;
  const GpuAnalysis& g = graph_fp16().a;
  graph.gpu = gpu_facts(g, host_view(g));
  const std::vector<std::string> none = gpu_ids(advise(host_view(g), InputStats{}, graph));
  for (const std::string& id : none) {
    EXPECT_NE(id, "gpu.fp32_tensor_cores");
    EXPECT_NE(id, "gpu.launch_bound");
    EXPECT_NE(id, "gpu.pageable_copies");
    EXPECT_NE(id, "gpu.throttling");
  }
}

TEST(GpuFixture, TraceLanesNestEveryKernelUnderItsLayerOrStage) {
  const Recorded& r = graph_fp16();
  const nlohmann::json ev = gpu_trace_events(r.trace, r.layers, r.frames, r.trace.profile_start_ns);
  std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> spans;
  std::vector<const nlohmann::json*> kernels;
  for (const auto& e : ev) {
    if (e.value("ph", "") != "X") continue;
    const auto key = std::make_pair(e["pid"].get<int>(), e["tid"].get<int>());
    if (e.value("cat", "") == "layer") {
      spans[key].emplace_back(e["ts"].get<double>(),
                              e["ts"].get<double>() + e["dur"].get<double>());
    } else if (e.value("cat", "") == "kernel") {
      kernels.push_back(&e);
    }
  }
  ASSERT_EQ(kernels.size(), r.trace.kernels.size());
  size_t nested = 0;
  for (const nlohmann::json* k : kernels) {
    const auto key = std::make_pair((*k)["pid"].get<int>(), (*k)["tid"].get<int>());
    const double b = (*k)["ts"].get<double>(), e = b + (*k)["dur"].get<double>();
    for (const auto& [sb, se] : spans[key]) {
      if (sb <= b + 1e-6 && e <= se + 1e-6) {
        ++nested;
        break;
      }
    }
  }
  EXPECT_EQ(nested, kernels.size());
}

}  // namespace
}  // namespace ys
