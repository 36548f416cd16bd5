// analyze_gpu on hand-built traces whose every figure can be worked out by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "analysis/gpu_analysis.h"

namespace ys {
namespace {

constexpr int64_t kUs = 1000;

// Three layers over steps 0-1, 2-4 and 5; steps 6 and beyond belong to none.
std::vector<LayerResult> make_layers() {
  std::vector<LayerResult> layers(3);
  const char* ids[] = {"0", "1", "2"};
  const char* labels[] = {"Conv #0", "C2f #1", "Detect #2"};
  const std::vector<size_t> steps[] = {{0, 1}, {2, 3, 4}, {5}};
  const int64_t flops[] = {2000000000, 4000000000, 1000000000};
  const int64_t bytes[] = {100000000, 200000000, 50000000};
  const Stage stages[] = {Stage::kBackbone, Stage::kBackbone, Stage::kHead};
  for (size_t i = 0; i < 3; ++i) {
    layers[i].id = ids[i];
    layers[i].label = labels[i];
    layers[i].type = "module";
    layers[i].module = static_cast<int>(i);
    layers[i].stage = stages[i];
    layers[i].steps = steps[i];
    layers[i].flops = flops[i];
    layers[i].bytes_moved = bytes[i];
  }
  return layers;
}

GpuDeviceInfo h100_like() {
  GpuDeviceInfo d;
  d.name = "test GPU";
  d.peak_fp32_tflops = 50;
  d.peak_fp16_tflops = 400;
  d.peak_bandwidth_gbs = 2000;
  d.tensor_cores = true;
  return d;
}

FrameRecord frame(int64_t index, int64_t inference_begin_ns, int64_t inference_end_ns) {
  FrameRecord f;
  f.index = index;
  const size_t inf = static_cast<size_t>(PipelineStage::kInference);
  f.begin_ns[inf] = inference_begin_ns;
  f.end_ns[inf] = inference_end_ns;
  return f;
}

GpuKernelRecord kernel(const std::string& name, int64_t start_ns, int64_t end_ns, int64_t frame,
                       int step) {
  GpuKernelRecord k;
  k.name = name;
  k.start_ns = start_ns;
  k.end_ns = end_ns;
  k.frame = frame;
  k.step = step;
  return k;
}

GpuTrace detailed_trace() {
  GpuTrace t;
  t.detail = "detailed";
  t.cupti = true;
  t.devices = {h100_like()};
  return t;
}

const GpuLayerStat* find_layer(const GpuAnalysis& a, const std::string& id) {
  for (const auto& l : a.layers) {
    if (l.id == id) return &l;
  }
  return nullptr;
}

TEST(GpuAnalysis, EventsModeLayerTimesAgainstTheHostInference) {
  GpuTrace t;
  t.detail = "events";
  t.devices = {h100_like()};
  // Spans at steps 0 and 1 both fall in layer 0; the span at step 9 belongs to no layer.
  t.span_starts = {0, 1, 2, 5, 9};
  t.span_frames = {{10, {0.4f, 0.6f, 2.0f, 0.5f, 9.0f}},
                   {11, {0.5f, 0.7f, 2.2f, 0.5f, 9.0f}},
                   {12, {0.3f, 0.5f, 1.8f, 0.7f, 9.0f}},
                   {14, {}}};  // events not read back: no GPU data for that frame
  // Frame 13 has no GPU data: its slow inference must not count.
  const std::vector<FrameRecord> frames = {frame(10, 1000000, 5000000), frame(11, 1000000, 5000000),
                                           frame(12, 1000000, 7000000),
                                           frame(13, 1000000, 101000000)};
  const GpuAnalysis a = analyze_gpu(t, Graph{}, make_layers(), frames, 0);
  ASSERT_TRUE(a.available) << a.why;
  EXPECT_EQ(a.mode, "events");
  EXPECT_EQ(a.frames, 3);
  ASSERT_EQ(a.layers.size(), 3u);
  const GpuLayerStat* l0 = find_layer(a, "0");
  const GpuLayerStat* l1 = find_layer(a, "1");
  const GpuLayerStat* l2 = find_layer(a, "2");
  ASSERT_TRUE(l0 && l1 && l2);
  EXPECT_NEAR(l0->ms.median, 1.0, 1e-6);
  EXPECT_NEAR(l0->ms.max, 1.2, 1e-6);
  EXPECT_EQ(l0->ms.count, 3);
  EXPECT_NEAR(l1->ms.median, 2.0, 1e-6);
  EXPECT_NEAR(l2->ms.median, 0.5, 1e-6);
  EXPECT_EQ(l0->label, "Conv #0");
  EXPECT_EQ(l2->stage, Stage::kHead);
  EXPECT_EQ(l0->kernels_per_frame, 0);
  EXPECT_NEAR(a.layer_sum_ms, 3.5, 1e-6);
  EXPECT_NEAR(l1->share_pct, 100.0 * 2.0 / 3.5, 1e-4);
  // 2 GFLOP and 100 MB in 1 ms, against the FP32 peak (events mode has no kernel names).
  EXPECT_NEAR(l0->tflops, 2.0, 1e-5);
  EXPECT_NEAR(l0->gbs, 100.0, 1e-3);
  EXPECT_NEAR(l0->pct_peak_compute, 4.0, 1e-4);
  EXPECT_NEAR(l0->pct_peak_bandwidth, 5.0, 1e-4);
  EXPECT_NEAR(a.inference_ms, 4.0, 1e-9);  // median of 4, 4 and 6 ms
  EXPECT_NEAR(a.layer_sum_vs_inference_pct, 87.5, 1e-4);
  EXPECT_EQ(a.kernels, 0);
  EXPECT_TRUE(a.top_kernels.empty());
}

// The traced frames run 0.09 ms slower than the untraced ones with 3 event records each (2 spans
// + the end): 30 us per event comes off each span, and the layers then add up to the untraced
// inference.
TEST(GpuAnalysis, EventsModeTakesTheMeasuredEventCostOffEachSpan) {
  GpuTrace t;
  t.detail = "events";
  t.devices = {h100_like()};
  t.span_starts = {0, 2};
  t.span_frames = {{0, {0.43f, 0.66f}}, {2, {0.43f, 0.66f}}};
  const std::vector<FrameRecord> frames = {frame(0, 1000, 1091000), frame(1, 1000, 1001000),
                                           frame(2, 1000, 1091000), frame(3, 1000, 1001000)};
  const GpuAnalysis a = analyze_gpu(t, Graph{}, make_layers(), frames, 0);
  EXPECT_NEAR(a.event_cost_us, 30.0, 1e-6);
  EXPECT_NEAR(find_layer(a, "0")->ms.median, 0.40, 1e-6);
  EXPECT_NEAR(find_layer(a, "1")->ms.median, 0.63, 1e-6);
  EXPECT_NEAR(a.inference_ms, 1.0, 1e-9) << "the untraced frames' inference";
  EXPECT_NEAR(a.layer_sum_vs_inference_pct, 103.0, 1e-4);
}

// The profiler times a group of layers per traced frame, in turn: spans outside a frame's group
// are NaN and must neither count as zero nor as a sample.
TEST(GpuAnalysis, EventsModeRotatedGroupsLeaveUntimedLayersOut) {
  GpuTrace t;
  t.detail = "events";
  t.devices = {h100_like()};
  t.span_starts = {0, 2, 5};
  const float nan = std::numeric_limits<float>::quiet_NaN();
  t.span_frames = {
      {0, {1.0f, nan, nan}}, {1, {nan, 2.0f, 0.5f}}, {2, {3.0f, nan, nan}}, {3, {nan, 4.0f, 0.7f}}};
  const GpuAnalysis a = analyze_gpu(t, Graph{}, make_layers(), {}, 0);
  const GpuLayerStat* l0 = find_layer(a, "0");
  const GpuLayerStat* l1 = find_layer(a, "1");
  const GpuLayerStat* l2 = find_layer(a, "2");
  ASSERT_TRUE(l0 && l1 && l2);
  EXPECT_EQ(l0->ms.count, 2);
  EXPECT_NEAR(l0->ms.median, 2.0, 1e-6);
  EXPECT_EQ(l1->ms.count, 2);
  EXPECT_NEAR(l1->ms.median, 3.0, 1e-6);
  EXPECT_NEAR(l2->ms.median, 0.6, 1e-6);
  EXPECT_NEAR(a.layer_sum_ms, 5.6, 1e-6);
}

// One frame, inference on the host from 1000 us to 1100 us. Kernels (us): A 10-30 and B 15-35 on
// two streams (overlapping), C 40-50, D 70-80. Busy is the union: 25 + 10 + 10 = 45 us; the
// device's span is 10-80 = 70 us; the gaps are 5 and 20 us.
TEST(GpuAnalysis, DetailedModeBusyGapsAndLaunchBound) {
  GpuTrace t = detailed_trace();
  const int64_t base = 1000 * kUs;
  // Out of order, and D without a frame: the analysis sorts and locates by time.
  t.kernels = {kernel("implicit_convolve_sgemm", base + 70 * kUs, base + 80 * kUs, -1, 5),
               kernel("sm80_xmma_fprop_f16f16_f32", base + 10 * kUs, base + 30 * kUs, 0, 0),
               kernel("implicit_convolve_sgemm", base + 40 * kUs, base + 50 * kUs, 0, 2),
               kernel("sm80_xmma_fprop_f16f16_f32", base + 15 * kUs, base + 35 * kUs, 0, 1)};
  t.kernels[3].stream = 9;
  const GpuAnalysis a =
      analyze_gpu(t, Graph{}, make_layers(), {frame(0, base, base + 100 * kUs)}, 0);
  ASSERT_TRUE(a.available) << a.why;
  EXPECT_EQ(a.mode, "detailed");
  EXPECT_EQ(a.frames, 1);
  EXPECT_EQ(a.kernels, 4);
  EXPECT_EQ(a.unattributed_kernels, 0);
  EXPECT_DOUBLE_EQ(a.kernels_per_frame.median, 4);
  EXPECT_NEAR(a.busy_ms_per_frame, 0.045, 1e-12);
  EXPECT_NEAR(a.idle_ms_per_frame, 0.055, 1e-12);
  EXPECT_NEAR(a.busy_pct, 45.0, 1e-9);
  EXPECT_NEAR(a.gap_ms_per_frame, 0.025, 1e-12);
  EXPECT_DOUBLE_EQ(a.gaps_per_frame, 2);
  EXPECT_EQ(a.gap_us.count, 2);
  EXPECT_DOUBLE_EQ(a.gap_us.min, 5);
  EXPECT_DOUBLE_EQ(a.gap_us.max, 20);
  EXPECT_NEAR(a.launch_bound_pct, 100.0 * 25 / 70, 1e-9);

  // Layer 0 ran the two overlapping half-precision kernels: 40 us of kernel time, compared with
  // the FP16 peak; layer 1's single-precision kernel with the FP32 peak. A layer's device time is
  // its share of the timeline: each kernel from the end of the previous one (launch gap
  // included) to its own end, so layer 0 gets 10-35 us, layer 1 35-50 us, layer 2 50-80 us, and
  // together they make the device span of 70 us.
  const GpuLayerStat* l0 = find_layer(a, "0");
  const GpuLayerStat* l1 = find_layer(a, "1");
  const GpuLayerStat* l2 = find_layer(a, "2");
  ASSERT_TRUE(l0 && l1 && l2);
  EXPECT_NEAR(l0->ms.median, 0.025, 1e-12);
  EXPECT_NEAR(l0->busy_ms, 0.04, 1e-12);
  EXPECT_DOUBLE_EQ(l0->kernels_per_frame, 2);
  EXPECT_NEAR(l0->tflops, 80.0, 1e-9);  // 2 GFLOP in 25 us
  EXPECT_NEAR(l0->pct_peak_compute, 20.0, 1e-9);
  EXPECT_NEAR(l1->ms.median, 0.015, 1e-12);
  EXPECT_NEAR(l1->busy_ms, 0.01, 1e-12);
  EXPECT_NEAR(l1->tflops, 4000.0 / 15.0, 1e-6);
  EXPECT_NEAR(l1->pct_peak_compute, 100.0 * (4000.0 / 15.0) / 50.0, 1e-6);
  EXPECT_NEAR(l2->ms.median, 0.03, 1e-12) << "the kernel without a frame was not located";
  EXPECT_NEAR(a.layer_sum_ms, 0.07, 1e-12);
  EXPECT_NEAR(a.inference_ms, 0.1, 1e-12);
  EXPECT_NEAR(a.layer_sum_vs_inference_pct, 70.0, 1e-9);
}

// The GPU pipeline's kernels (letterbox in preprocess, NMS after inference) have no step: they
// belong to the stage that ran them, stay out of the forward's busy time and gaps, and out of
// the comparison with the graph's kernel count.
TEST(GpuAnalysis, PipelineKernelsBelongToTheirStageNotTheForward) {
  GpuTrace t = detailed_trace();
  t.kernels_per_run = 2;
  const int64_t base = 1000 * kUs;
  FrameRecord f = frame(0, base + 100 * kUs, base + 200 * kUs);
  const size_t pre = static_cast<size_t>(PipelineStage::kPreprocess);
  const size_t nms = static_cast<size_t>(PipelineStage::kNms);
  f.begin_ns[pre] = base;
  f.end_ns[pre] = base + 90 * kUs;
  f.begin_ns[nms] = base + 210 * kUs;
  f.end_ns[nms] = base + 300 * kUs;
  t.kernels = {kernel("letterbox", base + 10 * kUs, base + 20 * kUs, 0, -1),
               kernel("conv", base + 110 * kUs, base + 150 * kUs, 0, 0),
               kernel("conv", base + 160 * kUs, base + 190 * kUs, 0, 2),
               kernel("nms", base + 220 * kUs, base + 230 * kUs, 0, -1),
               kernel("stray", base + 95 * kUs, base + 96 * kUs, 0, -1)};
  const GpuAnalysis a = analyze_gpu(t, Graph{}, make_layers(), {f}, 0);
  EXPECT_EQ(a.unattributed_kernels, 1) << "only the kernel outside every stage has no home";
  EXPECT_TRUE(a.kernel_counts_match) << "5 kernels were recorded, 2 of them the graph's";
  t.kernels_per_run = 3;
  EXPECT_FALSE(analyze_gpu(t, Graph{}, make_layers(), {f}, 0).kernel_counts_match);
  t.kernels_per_run = 2;
  t.kernels.pop_back();
  const GpuAnalysis b = analyze_gpu(t, Graph{}, make_layers(), {f}, 0);
  EXPECT_EQ(b.unattributed_kernels, 0);
  EXPECT_TRUE(b.kernel_counts_match) << "the forward's 2 kernels match the graph's 2 nodes";
  EXPECT_NEAR(b.busy_ms_per_frame, 0.07, 1e-12);  // the forward's kernels only
  EXPECT_NEAR(b.launch_latency_ms, 0.01, 1e-12);  // inference starts at 100 us, its kernel at 110
  EXPECT_NEAR(b.sync_latency_ms, 0.01, 1e-12);    // the last kernel ends at 190, inference at 200
  EXPECT_NEAR(b.gap_ms_per_frame, 0.01, 1e-12);
  bool letterbox = false, nms_seen = false;
  for (const GpuKernelStat& k : b.top_kernels) {
    if (k.name == "letterbox") letterbox = k.layer_id == "preprocess";
    if (k.name == "nms") nms_seen = k.layer_id == "nms";
  }
  EXPECT_TRUE(letterbox && nms_seen);
}

// Two frames; durations (us) frame 0: 3, 10, 50, 500, 2000; frame 1: 4, 1, 15, 60, 200, 1500.
TEST(GpuAnalysis, KernelSizeHistogramAndTopKernels) {
  GpuTrace t = detailed_trace();
  struct K {
    const char* name;
    int64_t us;
    int step;
  };
  const std::vector<K> per_frame[] = {
      {{"tiny", 3, -1}, {"conv", 10, 2}, {"conv", 50, 0}, {"mid", 500, 3}, {"big", 2000, 5}},
      {{"tiny", 4, -1},
       {"tiny", 1, 99},
       {"conv", 15, 2},
       {"conv", 60, 0},
       {"mid", 200, 3},
       {"big", 1500, 5}}};
  std::vector<FrameRecord> frames;
  for (int64_t f = 0; f < 2; ++f) {
    int64_t at = (f + 1) * 100000 * kUs;
    frames.push_back(frame(f, at, at + 10000 * kUs));
    for (const K& k : per_frame[f]) {
      t.kernels.push_back(kernel(k.name, at, at + k.us * kUs, f, k.step));
      at += k.us * kUs + kUs;
    }
  }
  const GpuAnalysis a = analyze_gpu(t, Graph{}, make_layers(), frames, 0);
  ASSERT_TRUE(a.available);
  EXPECT_EQ(a.kernels, 11);
  EXPECT_EQ(a.unattributed_kernels, 3);
  EXPECT_DOUBLE_EQ(a.kernels_per_frame.median, 5.5);
  EXPECT_DOUBLE_EQ(a.kernel_us.max, 2000);
  EXPECT_DOUBLE_EQ(a.kernel_us.min, 1);

  const std::vector<std::pair<std::string, double>> histogram = {
      {"<5 us", 1.5}, {"5-20 us", 1.0}, {"20-100 us", 1.0}, {"100 us-1 ms", 1.0}, {">1 ms", 1.0}};
  EXPECT_EQ(a.kernel_size_histogram, histogram);

  // By total time; "conv" is two entries, one per layer.
  ASSERT_EQ(a.top_kernels.size(), 5u);
  const char* names[] = {"big", "mid", "conv", "conv", "tiny"};
  const char* layer_ids[] = {"2", "1", "0", "1", ""};
  const double totals_ms[] = {3.5, 0.7, 0.11, 0.025, 0.008};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(a.top_kernels[i].name, names[i]) << i;
    EXPECT_EQ(a.top_kernels[i].layer_id, layer_ids[i]) << i;
    EXPECT_NEAR(a.top_kernels[i].total_ms, totals_ms[i], 1e-12) << i;
  }
  EXPECT_EQ(a.top_kernels[0].layer_label, "Detect #2");
  EXPECT_EQ(a.top_kernels[0].count, 2);
  EXPECT_DOUBLE_EQ(a.top_kernels[0].per_frame, 1);
  EXPECT_DOUBLE_EQ(a.top_kernels[0].us.median, 1750);
  EXPECT_NEAR(a.top_kernels[0].share_pct, 100.0 * 3500 / 4343, 1e-9);
  EXPECT_TRUE(a.top_kernels[4].layer_label.empty());
  EXPECT_EQ(a.top_kernels[4].count, 3);
}

TEST(GpuAnalysis, CopiesByDirectionAndMemoryAndHostWaits) {
  GpuTrace t = detailed_trace();
  std::vector<FrameRecord> frames;
  for (int64_t f = 0; f < 2; ++f) {
    const int64_t at = (f + 1) * 1000000 * kUs;
    frames.push_back(frame(f, at, at + 1000 * kUs));
    t.kernels.push_back(kernel("k", at + 300 * kUs, at + 400 * kUs, f, 0));
    GpuCopyRecord up;
    up.kind = GpuCopyKind::kHostToDevice;
    up.src = GpuMemoryKind::kPageable;
    up.dst = GpuMemoryKind::kDevice;
    up.bytes = 1228800;
    up.start_ns = at;
    up.end_ns = at + 200 * kUs;
    up.frame = f;
    GpuCopyRecord down;
    down.kind = GpuCopyKind::kDeviceToHost;
    down.src = GpuMemoryKind::kDevice;
    down.dst = GpuMemoryKind::kPinned;
    down.bytes = 705600;
    down.start_ns = at + 500 * kUs;
    down.end_ns = at + 550 * kUs;
    down.frame = -1;  // located by time
    t.copies.push_back(up);
    t.copies.push_back(down);
  }
  GpuCopyRecord d2d;
  d2d.kind = GpuCopyKind::kDeviceToDevice;
  d2d.src = d2d.dst = GpuMemoryKind::kDevice;
  d2d.bytes = 1000;
  d2d.start_ns = 1000000 * kUs + 600 * kUs;
  d2d.end_ns = d2d.start_ns + kUs;
  d2d.frame = 0;
  GpuCopyRecord outside = d2d;  // between frames: not a traced frame's copy
  outside.frame = -1;
  outside.start_ns = 10 * kUs;
  outside.end_ns = 20 * kUs;
  outside.bytes = 1 << 30;
  t.copies.push_back(d2d);
  t.copies.push_back(outside);
  t.syncs = {{"stream", 0, 0, 1000000 * kUs + 700 * kUs, 1000000 * kUs + 1000 * kUs, 0},
             {"event", 0, 0, 2000000 * kUs + 600 * kUs, 2000000 * kUs + 700 * kUs, 1},
             {"stream", 0, 0, 2000000 * kUs + 800 * kUs, 2000000 * kUs + 900 * kUs, -1},
             {"context", 0, 0, 5 * kUs, 6 * kUs, -1}};

  const GpuAnalysis a = analyze_gpu(t, Graph{}, make_layers(), frames, 0);
  ASSERT_TRUE(a.available);
  ASSERT_EQ(a.copies.size(), 3u);
  const GpuCopyStat& up = a.copies[0];  // the slowest first
  EXPECT_EQ(up.direction, "HtoD");
  EXPECT_EQ(up.memory, "pageable");
  EXPECT_EQ(up.count, 2);
  EXPECT_DOUBLE_EQ(up.bytes_per_frame, 1228800);
  EXPECT_NEAR(up.ms_per_frame, 0.2, 1e-12);
  EXPECT_NEAR(up.gbs, 6.144, 1e-9);
  const GpuCopyStat& down = a.copies[1];
  EXPECT_EQ(down.direction, "DtoH");
  EXPECT_EQ(down.memory, "pinned");
  EXPECT_EQ(down.count, 2);
  EXPECT_DOUBLE_EQ(down.bytes_per_frame, 705600);
  EXPECT_NEAR(down.gbs, 14.112, 1e-9);
  const GpuCopyStat& d = a.copies[2];
  EXPECT_EQ(d.direction, "DtoD");
  EXPECT_EQ(d.memory, "device");
  EXPECT_DOUBLE_EQ(d.bytes_per_frame, 500);
  EXPECT_DOUBLE_EQ(a.pageable_bytes_per_frame, 1228800);
  EXPECT_NEAR(a.copy_ms_per_frame, 0.2505, 1e-12);
  EXPECT_NEAR(a.host_wait_ms_per_frame, 0.25, 1e-12);
}

// One frame's inference, 100-300 us, cut into its parts. The graph launch call runs 102-200 us;
// kernels run 120-140, 150-160, 210-250 and, on a second stream, 255-270; a copy 250-260.
TEST(GpuAnalysis, InferencePartsCutEachFrameIntoNamedPieces) {
  GpuTrace t = detailed_trace();
  const FrameRecord f = frame(0, 100 * kUs, 300 * kUs);
  t.kernels = {kernel("a", 120 * kUs, 140 * kUs, 0, 0), kernel("b", 150 * kUs, 160 * kUs, 0, 2),
               kernel("c", 210 * kUs, 250 * kUs, 0, 5), kernel("d", 255 * kUs, 270 * kUs, 0, 5),
               kernel("letterbox", 50 * kUs, 60 * kUs, 0, -1)};  // before inference: not its part
  t.kernels[3].stream = 2;
  GpuCopyRecord copy;
  copy.kind = GpuCopyKind::kDeviceToDevice;
  copy.start_ns = 250 * kUs;
  copy.end_ns = 260 * kUs;
  copy.frame = 0;
  t.copies = {copy};
  GpuApiRecord launch;
  launch.name = "cudaGraphLaunch";
  launch.start_ns = 102 * kUs;
  launch.end_ns = 200 * kUs;
  launch.frame = 0;
  GpuApiRecord query;  // not a launch: the device waiting during it is a plain gap
  query.name = "cudaGetLastError";
  query.start_ns = 202 * kUs;
  query.end_ns = 208 * kUs;
  query.frame = 0;
  t.api = {launch, query};

  const GpuAnalysis a = analyze_gpu(t, Graph{}, make_layers(), {f}, 0);
  const GpuInferenceParts& p = a.inference_parts;
  ASSERT_EQ(p.parts.size(), 6u);
  std::map<std::string, double> ms;
  for (const GpuInferencePart& x : p.parts) ms[x.name] = x.ms.median;
  EXPECT_NEAR(ms["launch"], 0.020, 1e-12);   // 100 -> 120
  EXPECT_NEAR(ms["kernels"], 0.085, 1e-12);  // 20 + 10 + 40 + 15
  EXPECT_NEAR(ms["copies"], 0.005, 1e-12);   // 250-255: the copy alone
  EXPECT_NEAR(ms["launch_wait"], 0.050, 1e-12) << "140-150 and 160-200, inside the launch call";
  EXPECT_NEAR(ms["gaps"], 0.010, 1e-12) << "200-210, after it returned";
  EXPECT_NEAR(ms["sync"], 0.030, 1e-12);  // 270 -> 300
  EXPECT_EQ(p.frames, 1);
  EXPECT_NEAR(p.sum_ms, 0.2, 1e-12);
  EXPECT_NEAR(p.coverage_pct, 100, 1e-9);
  EXPECT_NEAR(p.frame_coverage_min_pct, 100, 1e-9);
  EXPECT_NEAR(p.parts[3].share_pct, 25, 1e-9);
  // The layers hold the frame's device span, 120-270 us, from its first kernel to its last.
  EXPECT_NEAR(p.layers_per_frame_mean_ms, 0.15, 1e-12);
  EXPECT_NEAR(p.launch_calls_ms.median, 0.098, 1e-12) << "the graph launch, 102-200 us";

  // Work that runs past the host's return (it did not wait for it) covers more than inference,
  // and says so, rather than being cut to fit.
  t.kernels[3].end_ns = 320 * kUs;
  const GpuInferenceParts q = analyze_gpu(t, Graph{}, make_layers(), {f}, 0).inference_parts;
  EXPECT_NEAR(q.frame_coverage_max_pct, 110, 1e-9);
}

// Without kernel records (events mode) there is nothing to cut the inference by.
TEST(GpuAnalysis, InferencePartsNeedKernelRecords) {
  GpuTrace t = detailed_trace();
  t.detail = "events";
  t.span_starts = {0, 2, 5};
  t.span_frames = {{0, {0.01f, 0.02f, 0.03f}}};
  const GpuAnalysis a = analyze_gpu(t, Graph{}, make_layers(), {frame(0, 0, 100 * kUs)}, 0);
  ASSERT_TRUE(a.available);
  EXPECT_TRUE(a.inference_parts.parts.empty());
  EXPECT_EQ(a.inference_parts.frames, 0);
}

TEST(GpuAnalysis, KernelCountsAgainstTheBackendAndTheLaunches) {
  GpuTrace t = detailed_trace();
  for (int64_t f = 0; f < 2; ++f) {
    for (int i = 0; i < 3; ++i) {
      const int64_t at = f * 1000000 + i * 1000;
      t.kernels.push_back(kernel("k", at, at + 100, f, i));
      GpuApiRecord launch;
      launch.name = "cudaLaunchKernel";
      launch.start_ns = at - 500;
      launch.end_ns = at - 400;
      launch.frame = f;
      launch.launches_kernel = true;
      t.api.push_back(launch);
    }
  }
  GpuApiRecord other;
  other.name = "cudaMemcpyAsync";
  other.frame = 0;
  t.api.push_back(other);

  t.kernels_per_run = 3;
  GpuAnalysis a = analyze_gpu(t, Graph{}, make_layers(), {}, 0);
  EXPECT_EQ(a.backend_kernels_per_run, 3);
  EXPECT_TRUE(a.kernel_counts_match);
  t.kernels_per_run = 4;
  EXPECT_FALSE(analyze_gpu(t, Graph{}, make_layers(), {}, 0).kernel_counts_match);

  // Unknown to the backend: compared with the kernel launches the API trace saw per frame.
  t.kernels_per_run = -1;
  EXPECT_TRUE(analyze_gpu(t, Graph{}, make_layers(), {}, 0).kernel_counts_match);
  t.api.erase(t.api.begin() + 4);  // one of frame 1's launches
  EXPECT_FALSE(analyze_gpu(t, Graph{}, make_layers(), {}, 0).kernel_counts_match);

  t.kernels_per_run = 3;
  t.kernels.pop_back();  // frame 1 now ran 2 kernels
  a = analyze_gpu(t, Graph{}, make_layers(), {}, 0);
  EXPECT_FALSE(a.kernel_counts_match);
  EXPECT_DOUBLE_EQ(a.kernels_per_frame.min, 2);
  EXPECT_DOUBLE_EQ(a.kernels_per_frame.max, 3);
}

TEST(GpuAnalysis, NvmlSeriesAndThrottling) {
  GpuTrace t;
  t.devices = {h100_like()};
  t.span_starts = {0};
  t.span_frames = {{0, {1.0f}}};
  t.nvml = true;
  t.window_begin_ns = 1000000000;
  t.window_end_ns = 2000000000;
  const int64_t start = 500000000;
  auto sample = [](int64_t t_ns, int device, double util, std::optional<uint64_t> reasons) {
    NvmlSample s;
    s.t_ns = t_ns;
    s.device = device;
    s.gpu_util_pct = util;
    s.sm_clock_mhz = 1000 + util;
    s.temperature_c = 40 + util / 10;
    s.power_w = 100 + util;
    s.power_limit_w = 700;
    s.mem_used_bytes = int64_t{1024} * 1024 * static_cast<int64_t>(util);
    s.throttle_reasons = reasons;
    return s;
  };
  t.samples = {sample(1400000000, 0, 80, 0x4 | 0x20),  // power cap and thermal: throttled
               sample(1100000000, 0, 20, 0x0),
               sample(1200000000, 0, 40, 0x1),           // idle is not a limit
               sample(1300000000, 0, 60, 0x4),           // power cap
               sample(1500000000, 0, 50, std::nullopt),  // no reasons: not counted either way
               sample(1250000000, 1, 90, 0x10),          // sync boost is not a limit
               sample(100000000, 0, 0, 0x40)};           // before the window: not in the summary
  t.samples[1].temperature_c.reset();
  const GpuAnalysis a = analyze_gpu(t, Graph{}, make_layers(), {}, start);
  ASSERT_TRUE(a.nvml);
  ASSERT_EQ(a.series.size(), 2u);
  const NvmlSeries& s0 = a.series[0];
  EXPECT_EQ(s0.device, 0);
  ASSERT_EQ(s0.t_ms.size(), 6u);
  EXPECT_DOUBLE_EQ(s0.t_ms[0], -400);  // sorted by time, since the profile's start
  EXPECT_DOUBLE_EQ(s0.t_ms[1], 600);
  EXPECT_DOUBLE_EQ(s0.gpu_util_pct[1], 20);
  EXPECT_TRUE(std::isnan(s0.temperature_c[1]));
  EXPECT_DOUBLE_EQ(s0.mem_used_mib[2], 40);
  EXPECT_EQ(a.series[1].device, 1);
  EXPECT_NEAR(a.gpu_util_mean_pct, (80 + 20 + 40 + 60 + 50 + 90) / 6.0, 1e-9);
  EXPECT_DOUBLE_EQ(a.sm_clock_min_mhz, 1020);
  EXPECT_DOUBLE_EQ(a.sm_clock_max_mhz, 1090);
  EXPECT_DOUBLE_EQ(a.power_max_w, 190);
  EXPECT_DOUBLE_EQ(a.power_limit_w, 700);
  EXPECT_DOUBLE_EQ(a.temperature_max_c, 49);
  EXPECT_DOUBLE_EQ(a.mem_used_max_mib, 90);
  EXPECT_NEAR(a.throttled_pct, 100.0 * 2 / 5, 1e-9);
  EXPECT_EQ(a.throttle_reasons, "power cap, thermal slowdown");

  EXPECT_TRUE(is_throttling(0x4));
  EXPECT_TRUE(is_throttling(0x8));
  EXPECT_TRUE(is_throttling(0x40));
  EXPECT_TRUE(is_throttling(0x80));
  EXPECT_FALSE(is_throttling(0x1 | 0x2 | 0x10 | 0x100));
  EXPECT_EQ(throttle_reason_text(0xFF),
            "power cap, hardware slowdown, thermal slowdown, hardware thermal slowdown, "
            "power brake");
  EXPECT_EQ(throttle_reason_text(0x1 | 0x10), "");
}

TEST(GpuAnalysis, DetailedRunWithoutCuptiIsAnalysedFromItsSpans) {
  GpuTrace t;
  t.detail = "detailed";
  t.devices = {h100_like()};
  t.cupti_why = "CUPTI_ERROR_NOT_INITIALIZED";
  t.span_starts = {0, 2};
  t.span_frames = {{0, {1.0f, 3.0f}}};
  const GpuAnalysis a = analyze_gpu(t, Graph{}, make_layers(), {}, 0);
  ASSERT_TRUE(a.available);
  EXPECT_EQ(a.mode, "events");
  EXPECT_NEAR(a.layer_sum_ms, 4.0, 1e-6);
  EXPECT_EQ(a.kernels, 0);
}

TEST(GpuAnalysis, UnavailableTracesSayWhy) {
  const auto layers = make_layers();
  GpuTrace cpu;
  cpu.nvml_why = "cannot load libnvidia-ml.so.1";
  GpuAnalysis a = analyze_gpu(cpu, Graph{}, layers, {}, 0);
  EXPECT_FALSE(a.available);
  EXPECT_EQ(a.why, "the run was not on a GPU");
  EXPECT_FALSE(a.nvml);
  EXPECT_EQ(a.nvml_why, "cannot load libnvidia-ml.so.1");
  EXPECT_TRUE(a.layers.empty());

  GpuTrace no_cupti;
  no_cupti.detail = "detailed";
  no_cupti.devices = {h100_like()};
  no_cupti.cupti_why = "CUPTI_ERROR_INSUFFICIENT_PRIVILEGES";
  a = analyze_gpu(no_cupti, Graph{}, layers, {}, 0);
  EXPECT_FALSE(a.available);
  EXPECT_EQ(a.why, "CUPTI_ERROR_INSUFFICIENT_PRIVILEGES");
  EXPECT_EQ(a.device.name, "test GPU");

  GpuTrace empty;
  empty.devices = {h100_like()};
  a = analyze_gpu(empty, Graph{}, layers, {}, 0);
  EXPECT_FALSE(a.available);
  EXPECT_FALSE(a.why.empty());
  EXPECT_EQ(a.nvml_why, "no NVML samples were taken");
}

}  // namespace
}  // namespace ys
