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

// Every recorded detailed run, graph and eager, FP16 and FP32, batch 1 and 8.
constexpr const char* kAllFixtures[] = {
    "yolov8n_fp16_graph_detailed.json",          "yolov8n_fp32_eager_detailed.json",
    "yolov8n_fp32_graph_detailed.json",          "yolov8n_fp16_eager_detailed.json",
    "yolov8n_fp16_graph_hostpipe_detailed.json", "yolov8n_b8_fp16_graph_detailed.json"};

const GpuInferencePart* part(const GpuInferenceParts& p, const std::string& name) {
  for (const GpuInferencePart& x : p.parts)
    if (x.name == name) return &x;
  return nullptr;
}

// Issue 19.4: the named parts account for the whole inference stage, frame by frame, so a part
// dropped (or counted twice) leaves each frame short (or over) by its size. Each part is checked
// against the figure another step of the analysis computes its own way, and the sum against the
// host's inference windows read here from the trace.
TEST(GpuFixture, TheNamedPartsOfInferenceAddUpInEveryTracedFrame) {
  for (const char* file : kAllFixtures) {
    SCOPED_TRACE(file);
    const Recorded r = load(file);
    const GpuAnalysis& a = r.a;
    const GpuInferenceParts& p = a.inference_parts;
    ASSERT_EQ(p.frames, a.frames);
    std::vector<std::string> names;
    for (const GpuInferencePart& x : p.parts) {
      names.push_back(x.name);
      EXPECT_FALSE(x.what.empty()) << x.name;
      EXPECT_EQ(x.ms.count, p.frames) << x.name;
      EXPECT_GE(x.ms.min, 0) << x.name;
    }
    EXPECT_EQ(names, (std::vector<std::string>{"launch", "kernels", "copies", "launch_wait", "gaps",
                                               "sync"}));
    // Each frame's parts add up to its own inference: nothing is left out or counted twice.
    EXPECT_NEAR(p.frame_coverage_min_pct, 100, 0.1);
    EXPECT_NEAR(p.frame_coverage_max_pct, 100, 0.1);
    EXPECT_NEAR(p.coverage_pct, 100, 0.1);
    // The inference they add up to is the host's, as the trace's frame records hold it.
    double inference = 0, parts = 0;
    for (const FrameRecord& f : r.frames) {
      const size_t inf = static_cast<size_t>(PipelineStage::kInference);
      if (f.end_ns[inf] > f.begin_ns[inf] &&
          std::any_of(r.trace.kernels.begin(), r.trace.kernels.end(),
                      [&](const GpuKernelRecord& k) { return k.frame == f.index; }))
        inference += static_cast<double>(f.end_ns[inf] - f.begin_ns[inf]) / 1e6;
    }
    for (const GpuInferencePart& x : p.parts) parts += x.ms.mean;
    EXPECT_NEAR(parts * static_cast<double>(p.frames), inference, 1e-6);
    EXPECT_NEAR(p.sum_ms, parts, 1e-9);
    // The goal: within 5% of the median inference, too (means against a median: the figures
    // the issue compares).
    EXPECT_NEAR(p.sum_ms / a.inference_ms, 1.0, 0.05) << p.sum_ms << " vs " << a.inference_ms;
    // Part by part against the analysis's own figures of the same time.
    EXPECT_NEAR(part(p, "kernels")->ms.mean, a.busy_ms_per_frame, 1e-9);
    EXPECT_NEAR(part(p, "launch")->ms.median, a.launch_latency_ms, 0.002);
    EXPECT_NEAR(part(p, "sync")->ms.median, a.sync_latency_ms, 0.002);
    const double between =
        part(p, "copies")->ms.mean + part(p, "launch_wait")->ms.mean + part(p, "gaps")->ms.mean;
    EXPECT_NEAR(between, a.gap_ms_per_frame, 0.002)
        << "the device's idle and copying between kernels";
    // The layers cover each frame's device span, between the launch and the sync.
    EXPECT_NEAR(p.layers_per_frame_mean_ms, part(p, "kernels")->ms.mean + between, 0.002);
    EXPECT_GT(part(p, "kernels")->ms.mean, 0);
    EXPECT_GT(part(p, "launch")->ms.mean, 0);
    EXPECT_GT(part(p, "sync")->ms.mean, 0);
    EXPECT_GT(part(p, "copies")->ms.mean, 0) << "the graph's and the eager run's device copies";
  }
}

// What layers + launch + sync missed in the graph runs (88.7% on the H200 on 2026-12-05; 86% in
// this fixture) is the launch wait: the device idle between kernels while the host was still in
// cudaGraphLaunch, which under CUPTI takes 0.3-0.5 ms. It lands after the timed layer group, in a
// different layer each frame, so the per-layer medians leave it out.
TEST(GpuFixture, TheGraphRunsMissingShareIsTheDeviceWaitingForTheGraphLaunch) {
  const Recorded& r = graph_fp16();
  const GpuAnalysis& a = r.a;
  const double old_sum = a.layer_sum_ms + a.launch_latency_ms + a.sync_latency_ms;
  EXPECT_LT(old_sum / a.inference_ms, 0.9) << "the figure that missed the goal";
  const GpuInferencePart* wait = part(a.inference_parts, "launch_wait");
  ASSERT_NE(wait, nullptr);
  EXPECT_GT(wait->share_pct, 10);
  EXPECT_NEAR((old_sum + wait->ms.mean) / a.inference_ms, 1.0, 0.05);
  EXPECT_GT(a.inference_parts.layers_per_frame_mean_ms, a.layer_sum_ms + 0.5 * wait->ms.mean)
      << "per frame the layers hold the wait; their medians do not";
  // The wait is on the host's graph launch call, which under CUPTI takes most of a forward.
  EXPECT_GT(a.inference_parts.launch_calls_ms.min, 0.2);
  EXPECT_GT(a.inference_parts.launch_calls_ms.median,
            part(a.inference_parts, "launch")->ms.median + wait->ms.median);
  // Each traced frame's longest idle stretch between kernels ends as the graph launch returns:
  // the nodes after it were handed over only then.
  const size_t inf = static_cast<size_t>(PipelineStage::kInference);
  int frames = 0;
  for (const FrameRecord& f : r.frames) {
    std::vector<const GpuKernelRecord*> ks;
    for (const GpuKernelRecord& k : r.trace.kernels)
      if (k.frame == f.index && k.step >= 0) ks.push_back(&k);
    if (ks.empty()) continue;
    const GpuApiRecord* launch = nullptr;
    for (const GpuApiRecord& c : r.trace.api)
      if (c.name.find("GraphLaunch") != std::string::npos && c.start_ns >= f.begin_ns[inf] &&
          c.start_ns < f.end_ns[inf])
        launch = &c;
    ASSERT_NE(launch, nullptr) << "frame " << f.index;
    int64_t end = ks[0]->end_ns, longest = 0, longest_end = 0;
    for (const GpuKernelRecord* k : ks) {
      if (k->start_ns - end > longest) {
        longest = k->start_ns - end;
        longest_end = k->start_ns;
      }
      end = std::max(end, k->end_ns);
    }
    ++frames;
    if (longest < 20000) continue;  // a frame whose first kernel waited instead
    EXPECT_NEAR(static_cast<double>(longest_end - launch->end_ns) / 1e3, 5, 10)
        << "frame " << f.index << ": the " << longest / 1000 << " us idle ended "
        << (longest_end - launch->end_ns) / 1000 << " us after the launch returned";
  }
  EXPECT_EQ(frames, 3);
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
