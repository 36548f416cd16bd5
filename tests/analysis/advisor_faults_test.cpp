// The planted-fault suite (issue 14.8, docs/ADVISOR.md): for each fault, the advisor's top finding
// names it, and a clean run gives none. Figures are recorded where a run is too slow here or needs
// a GPU: the GPU faults read traces recorded on an H200 (tests/fixtures/gpu), the thread faults
// the figures of runs recorded on the 2-core development machine; black and static video run the
// real input measurement on planted frames. Where no run on this machine isolates a fault (the
// COCO export fixes imgsz at 640; other load made inference 7x slower, burying the sink and the
// preprocessing), the figures are constructed and say so.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analysis/advisor.h"
#include "analysis/gpu_analysis.h"
#include "profiler/gpu_trace_io.h"

namespace ys {
namespace {

ProfileAnalysis with_stages(const std::vector<std::pair<const char*, double>>& stages,
                            const std::vector<double>& latency, const std::vector<double>& inf) {
  ProfileAnalysis a;
  for (const auto& [name, ms] : stages) {
    StageResult s;
    s.name = name;
    s.ms = compute_stats(std::vector<double>(latency.size(), ms));
    a.stages.push_back(s);
  }
  for (size_t i = 0; i < latency.size(); ++i) a.frame_index.push_back(static_cast<int64_t>(i + 5));
  a.latency_ms = latency;
  a.inference_ms = inf;
  a.latency = compute_stats(latency);
  a.frames_measured = static_cast<int64_t>(latency.size());
  return a;
}

// A steady CPU run: inference dominates.
ProfileAnalysis steady(double inference = 52) {
  std::vector<double> lat, inf;
  for (int i = 0; i < 40; ++i) {
    lat.push_back(inference + 2 + (i % 3));
    inf.push_back(inference + (i % 3));
  }
  return with_stages({{"read", 0.4},
                      {"preprocess", 1.0},
                      {"inference", inference},
                      {"box_decode", 0.5},
                      {"nms", 0.01},
                      {"output", 0.04}},
                     lat, inf);
}

// Input figures of real frames through the real measurement: vtest.avi-like texture and motion.
InputStats measured_input(int frames, bool black, bool frozen) {
  InputStatsRecorder r;
  for (int i = 0; i < frames; ++i) {
    Tensor t(DType::kUInt8, {96, 128, 3});
    uint8_t* p = t.ptr<uint8_t>();
    for (int64_t k = 0; k < t.numel(); ++k) {
      const int64_t x = (k / 3) % 128, y = (k / 3) / 128;
      const int shift = frozen ? 0 : 3 * i;
      p[k] = black ? 0 : static_cast<uint8_t>(100 + 60 * (((x + shift) / 16 + y / 16) % 2));
    }
    r.add(i, t, black ? 0 : 5, black ? 0 : 60);
  }
  return r.summarize();
}

RunFacts cpu_run(int threads, double system_cpu_pct) {
  RunFacts r;
  r.cores = 2;
  r.threads = threads;
  r.system_cpu_pct = system_cpu_pct;
  r.input_bytes = 3 * 640 * 640 * 4;
  return r;
}

std::string top(const std::vector<Finding>& fs) {
  return fs.empty() ? "(none)" : fs.front().id;
}

std::string ids(const std::vector<Finding>& fs) {
  std::string s;
  for (const auto& f : fs) s += f.id + " ";
  return s;
}

TEST(PlantedFaults, ACleanCpuRunGivesNoFinding) {
  ProfileAnalysis a = steady();
  a.cpu_mean_pct = 190;
  const auto fs = advise(a, measured_input(40, false, false), cpu_run(0, 195));
  EXPECT_TRUE(fs.empty()) << ids(fs);
}

TEST(PlantedFaults, BlackVideo) {
  ProfileAnalysis a = steady();
  a.cpu_mean_pct = 190;
  const auto fs = advise(a, measured_input(40, true, false), cpu_run(0, 195));
  EXPECT_EQ(top(fs), "input.blank") << ids(fs);
}

TEST(PlantedFaults, StaticVideo) {
  ProfileAnalysis a = steady();
  a.cpu_mean_pct = 190;
  const auto fs = advise(a, measured_input(40, false, true), cpu_run(0, 195));
  EXPECT_EQ(top(fs), "input.static") << ids(fs);
}

// Recorded: vtest.avi, threads=0 (2 threads) on 2 cores with a busy loop and other builds
// running; the process averaged 23% of a core, all cores 199.9%.
TEST(PlantedFaults, ContendedCores) {
  const std::vector<double> lat = {447.8, 474.6, 291.3, 310.4, 374.1, 340.6, 380.7, 350.5,
                                   499.1, 500.3, 438.1, 498.6, 501.2, 375.1, 410.2, 519.5,
                                   502.6, 494.6, 499.6, 282.7, 354.4, 297.7, 406.7, 493.6,
                                   388.5, 374.0, 405.4, 507.4, 497.7, 372.7, 411.8, 334.6,
                                   407.6, 372.0, 323.4, 193.2, 350.3, 281.4, 348.4, 270.8};
  std::vector<double> inf;
  for (double l : lat) inf.push_back(l - 5);
  ProfileAnalysis a =
      with_stages({{"read", 1.4}, {"preprocess", 2.5}, {"inference", 380.3}}, lat, inf);
  a.cpu_mean_pct = 23.0;
  const auto fs = advise(a, measured_input(40, false, false), cpu_run(0, 199.9));
  EXPECT_EQ(top(fs), "threads.contended") << ids(fs);
  EXPECT_EQ(fs.front().settings[0], Setting("threads", "1"));
}

// Recorded: threads=8 on the same 2 cores (process 71.3% of a core, all cores 200%); the spikes
// of that window are its symptom and rank after it.
TEST(PlantedFaults, ThreadsAboveTheFreeCores) {
  const std::vector<double> lat = {111.2, 112.6, 109.6, 108.0, 117.2, 118.2, 108.2, 109.1,
                                   109.5, 116.7, 114.9, 123.5, 115.4, 124.9, 120.9, 109.5,
                                   121.6, 119.9, 125.5, 125.3, 122.8, 237.3, 110.1, 111.4,
                                   110.3, 133.7, 114.1, 110.7, 110.4, 110.2, 124.0, 130.0,
                                   220.7, 132.5, 246.4, 231.8, 118.1, 312.7, 109.3, 108.8};
  std::vector<double> inf;
  for (double l : lat) inf.push_back(l - 3);
  ProfileAnalysis a =
      with_stages({{"read", 1.0}, {"preprocess", 1.7}, {"inference", 113.9}}, lat, inf);
  a.cpu_mean_pct = 71.3;
  const auto fs = advise(a, measured_input(40, false, false), cpu_run(8, 200));
  EXPECT_EQ(top(fs), "threads.oversubscribed") << ids(fs);
  ASSERT_EQ(fs.size(), 2u) << ids(fs);
  EXPECT_EQ(fs[1].id, "latency.spikes");
  EXPECT_EQ(fs[1].role, Role::kSymptom);
}

// Constructed: a 3840x2160 source letterboxed to a small imgsz on the CPU.
TEST(PlantedFaults, CpuBoundPreprocessing) {
  ProfileAnalysis a = steady(12);
  a.stages[1].ms = compute_stats(std::vector<double>(40, 30));
  a.latency = compute_stats(std::vector<double>(40, 45));
  a.cpu_mean_pct = 190;
  const auto fs = advise(a, measured_input(40, false, false), cpu_run(0, 195));
  EXPECT_EQ(top(fs), "pipeline.input_bound") << ids(fs);
  EXPECT_EQ(fs.front().finding.rfind("Preprocessing", 0), 0u) << fs.front().finding;
}

// Constructed: annotated frames encoded on the frame's thread (save=True at a small imgsz).
TEST(PlantedFaults, SlowOutputSink) {
  ProfileAnalysis a = steady(12);
  a.stages[5].ms = compute_stats(std::vector<double>(40, 18));
  a.latency = compute_stats(std::vector<double>(40, 32));
  a.cpu_mean_pct = 190;
  const auto fs = advise(a, measured_input(40, false, false), cpu_run(0, 195));
  EXPECT_EQ(top(fs), "pipeline.output_bound") << ids(fs);
}

// Constructed from YOLOv8n's planner at imgsz=1280: Conv #0 holds 16x640x640 float32 (25 MiB) of
// a 62 MiB arena (15.55 MiB at 640, recorded, times 4).
TEST(PlantedFaults, MemoryHotSpotOfALargeImgsz) {
  ProfileAnalysis a = steady();
  LayerResult l;
  l.id = "0";
  l.label = "Conv #0";
  l.output_shape = {1, 16, 640, 640};
  a.layers.push_back(l);
  a.arena_bytes = 4 * 16307200;
  a.cpu_mean_pct = 190;
  RunFacts r = cpu_run(0, 195);
  r.input_bytes = 3 * 1280 * 1280 * 4;
  const auto fs = advise(a, measured_input(40, false, false), r);
  EXPECT_EQ(top(fs), "memory.hot_spot") << ids(fs);
  // At 640 the same model has none.
  a.layers[0].output_shape = {1, 16, 320, 320};
  a.arena_bytes = 16307200;
  EXPECT_TRUE(advise(a, measured_input(40, false, false), cpu_run(0, 195)).empty());
}

// ---- GPU traces recorded on an H200 (tests/fixtures/gpu/README.md) ------------------------------

struct Traced {
  ProfileAnalysis host;
  RunFacts run;
};

// The trace's host frames give the stages; `read` is left out: it is the pace of the decoding
// process feeding the pipe on that machine, not part of the planted fault.
Traced traced(const std::string& name, bool half, bool graph, bool gpu_pipeline, int batch) {
  const GpuTrace t = read_gpu_trace(std::string(YS_GPU_FIXTURES) + "/" + name);
  const std::vector<FrameRecord> frames = host_frames_of(t);
  const GpuAnalysis g = analyze_gpu(t, Graph{}, layers_of(t), frames, t.profile_start_ns);
  std::vector<std::vector<double>> st(kPipelineStageCount);
  std::vector<double> lat, inf;
  for (const FrameRecord& f : frames) {
    double sum = 0;
    for (size_t s = 1; s < kPipelineStageCount; ++s) {
      if (f.begin_ns[s] == 0 || f.end_ns[s] < f.begin_ns[s]) continue;
      st[s].push_back(static_cast<double>(f.end_ns[s] - f.begin_ns[s]) / 1e6);
      sum += st[s].back();
    }
    lat.push_back(sum);
    const size_t i = static_cast<size_t>(PipelineStage::kInference);
    inf.push_back(static_cast<double>(f.end_ns[i] - f.begin_ns[i]) / 1e6);
  }
  Traced r;
  for (size_t s = 1; s < kPipelineStageCount; ++s) {
    if (st[s].empty()) continue;
    StageResult sr;
    sr.name = pipeline_stage_name(static_cast<PipelineStage>(s));
    sr.ms = compute_stats(st[s]);
    r.host.stages.push_back(sr);
  }
  r.host.latency_ms = lat;
  r.host.inference_ms = inf;
  r.host.latency = compute_stats(lat);
  r.run.device = "0";
  r.run.half = half;
  r.run.cuda_graph = graph;
  r.run.gpu_pipeline = gpu_pipeline;
  r.run.batch = batch;
  r.run.gpu = gpu_facts(g, r.host);
  return r;
}

std::vector<Finding> advise_traced(const Traced& t) {
  return advise(t.host, measured_input(40, false, false), t.run);
}

TEST(PlantedFaults, Fp32OnTensorCores) {
  const auto fs = advise_traced(traced("yolov8n_fp32_graph_detailed.json", false, true, true, 1));
  EXPECT_EQ(top(fs), "gpu.fp32_tensor_cores") << ids(fs);
}

TEST(PlantedFaults, NoCudaGraph) {
  const auto fs = advise_traced(traced("yolov8n_fp16_eager_detailed.json", true, false, true, 1));
  EXPECT_EQ(top(fs), "gpu.launch_bound") << ids(fs);
}

TEST(PlantedFaults, PageableCopies) {
  const auto fs =
      advise_traced(traced("yolov8n_fp16_graph_hostpipe_detailed.json", true, true, false, 1));
  EXPECT_EQ(top(fs), "gpu.pageable_copies") << ids(fs);
  EXPECT_EQ(fs.front().settings[0], Setting("gpu_pipeline", "True"));
}

TEST(PlantedFaults, IdleGpuWithRoomToBatch) {
  const auto fs = advise_traced(traced("yolov8n_fp16_graph_detailed.json", true, true, true, 1));
  EXPECT_EQ(top(fs), "gpu.low_utilization") << ids(fs);
}

// FP16, CUDA Graph, GPU pipeline, batch 8: no GPU finding. (Its host side has one: at batch 8
// the GPU letterbox of 8 frames, 1.66 ms, outlasts the 1.09 ms forward.)
TEST(PlantedFaults, ACleanGpuRunGivesNoGpuFinding) {
  const auto fs = advise_traced(traced("yolov8n_b8_fp16_graph_detailed.json", true, true, true, 8));
  for (const Finding& f : fs) EXPECT_NE(f.id.rfind("gpu.", 0), 0u) << ids(fs);
}

}  // namespace
}  // namespace ys
