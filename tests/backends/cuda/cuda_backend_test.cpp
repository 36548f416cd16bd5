// The CUDA backend against ONNX Runtime's reference outputs: FP32 raw outputs within 1e-3
// relative, FP16 detections matched box by box, CUDA-graph replays equal to eager runs, span
// timing and the device observer in eager and graph mode, and the formats pass (which needs no
// GPU).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_ops.h"
#include "core/error.h"
#include "core/npy.h"
#include "model/builtin_models.h"
#include "model/onnx_loader.h"
#include "model/prepare.h"
#include "pipeline/postprocess.h"
#include "runtime/executor.h"
#include "runtime/memory_planner.h"
#include "test_data.h"
#include "test_gpu.h"

namespace ys {
namespace {

Graph yolov8n(int64_t batch = 1) {
  Graph g = load_onnx_file(testing::testdata("models/yolov8n-coco.onnx"));
  prepare_graph(g, {.input_shape = {batch, 3, 640, 640}});
  return g;
}

Tensor messi_input() {
  Tensor u8 = load_npy(testing::testdata("reference/ort/messi5_input_u8.npy"));
  Tensor in(DType::kFloat32, u8.shape());
  for (int64_t i = 0; i < u8.numel(); ++i) in.ptr<float>()[i] = u8.ptr<uint8_t>()[i] / 255.f;
  return in;
}

Tensor run(const CudaOptions& o, int runs = 1) {
  Executor ex(yolov8n(), make_cuda_backend(o));
  ex.set_input(0, messi_input());
  for (int i = 0; i < runs; ++i) ex.run();
  return ex.read_output(0);
}

double relative_l2(const Tensor& a, const Tensor& b) {
  double num = 0, den = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double d = double(a.ptr<float>()[i]) - b.ptr<float>()[i];
    num += d * d;
    den += double(b.ptr<float>()[i]) * b.ptr<float>()[i];
    if (!std::isfinite(a.ptr<float>()[i])) return INFINITY;
  }
  return std::sqrt(num / den);
}

TEST(CudaFormats, Yolov8nHalfKeepsBoundaryFp32AndFeedsEveryOpItsFormat) {
  YS_REQUIRE_TESTDATA("models/yolov8n-coco.onnx");
  Graph g = yolov8n();
  cuda_assign_formats(g, true);
  const Value& in = g.values[static_cast<size_t>(g.inputs[0])];
  const Value& out = g.values[static_cast<size_t>(g.outputs[0])];
  EXPECT_EQ(in.dtype, DType::kFloat32);
  EXPECT_EQ(out.dtype, DType::kFloat32);
  EXPECT_EQ(out.layout, Layout::kPlain);
  int casts = 0;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    const Node& n = g.nodes[k];
    if (n.op == "Cast") {
      ++casts;
      continue;
    }
    for (int v : n.inputs) {
      if (v < 0) continue;
      const Value& val = g.values[static_cast<size_t>(v)];
      EXPECT_LT(val.producer, static_cast<int>(k)) << describe(n);
      if (val.is_constant()) continue;
      EXPECT_EQ(val.dtype, DType::kFloat16) << describe(n) << " reads " << val.name;
      const bool nhwc = cuda::takes_nhwc(g, n) && val.shape.size() == 4;
      EXPECT_EQ(val.layout, nhwc ? Layout::kNHWC : Layout::kPlain) << describe(n);
    }
  }
  // The input, the DFL head's plain section and its way back, and the output.
  EXPECT_GE(casts, 2);
  EXPECT_LE(casts, 8);
  const MemoryPlan plan = plan_memory(g);
  EXPECT_GT(plan.arena_bytes, 0u);
  // The input's bytes are never handed to another tensor, so a forward can be replayed.
  const TensorAllocation& input =
      plan.allocations[static_cast<size_t>(plan.slot_of_value[static_cast<size_t>(g.inputs[0])])];
  for (const TensorAllocation& a : plan.allocations) {
    if (&a == &input) continue;
    EXPECT_TRUE(a.offset >= input.offset + input.bytes || a.offset + a.bytes <= input.offset)
        << g.values[static_cast<size_t>(a.value)].name << " shares the input's bytes";
  }
}

TEST(CudaFormats, ShortcutAddsFoldIntoTheConvolutionBeforeThem) {
  // The built-in YOLOv8n needs no test data; its backbone C2f blocks hold 6 shortcut Adds.
  Graph g = build_builtin_model("yolov8n.yaml", 320);
  prepare_graph(g);
  cuda_assign_formats(g, true);
  auto count = [&](const std::string& op) {
    return std::count_if(g.nodes.begin(), g.nodes.end(), [&](const Node& n) { return n.op == op; });
  };
  const auto adds = count("Add"), convs = count("Conv");
  EXPECT_EQ(cuda_fuse_residual_adds(g), 6);
  EXPECT_EQ(count("Add"), adds - 6);
  EXPECT_EQ(count("Conv"), convs);
  int with_shortcut = 0;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    const Node& n = g.nodes[k];
    if (n.op != "Conv" || !g.has_input(n, 3)) continue;
    ++with_shortcut;
    const Value &shortcut = g.input_value(n, 3), &out = g.output_value(n, 0);
    EXPECT_EQ(shortcut.shape, out.shape) << describe(n);
    EXPECT_EQ(shortcut.layout, Layout::kNHWC) << describe(n);
    EXPECT_LT(shortcut.producer, static_cast<int>(k)) << describe(n);
    EXPECT_EQ(out.producer, static_cast<int>(k)) << describe(n);
  }
  EXPECT_EQ(with_shortcut, 6);
  // Memory is planned for what the nodes read and write, so the rewritten graph still plans.
  EXPECT_GT(plan_memory(g).arena_bytes, 0u);
  EXPECT_EQ(cuda_fuse_residual_adds(g), 0) << "a second pass finds nothing left";
}

TEST(CudaFormats, ConcatsReadTheInputOfASplitTheyTakeWhole) {
  // Each of YOLOv8n's 8 C2f blocks concatenates both halves of its Split, in order, and more.
  Graph g = build_builtin_model("yolov8n.yaml", 320);
  prepare_graph(g);
  cuda_assign_formats(g, true);
  EXPECT_EQ(cuda_concat_split_sources(g), 8);
  int splits = 0;
  for (const Node& n : g.nodes) {
    if (n.op != "Split" || n.outputs.size() != 2) continue;
    bool first_read = false;
    for (const Node& m : g.nodes)
      for (int v : m.inputs) first_read = first_read || v == n.outputs[0];
    splits += !first_read;
  }
  EXPECT_EQ(splits, 8) << "the first half of each C2f Split is read by nobody now";
  EXPECT_GT(plan_memory(g).arena_bytes, 0u);
  EXPECT_EQ(cuda_concat_split_sources(g), 0);
}

TEST(CudaFormats, Fp32KeepsFp32Everywhere) {
  YS_REQUIRE_TESTDATA("models/yolov8n-coco.onnx");
  Graph g = yolov8n();
  cuda_assign_formats(g, false);
  for (const Value& v : g.values) {
    if (!v.is_constant() && (v.dtype == DType::kFloat16)) ADD_FAILURE() << v.name;
  }
}

TEST(CudaBackend, ReportsMissingDeviceOrDescribesIt) {
  std::string why;
  if (cuda_device_available(&why)) {
    EXPECT_FALSE(cuda_device_description(0).empty());
  } else {
    EXPECT_THROW(make_cuda_backend(), Error);
    EXPECT_FALSE(why.empty());
  }
}

TEST(CudaBackend, OutOfMemorySaysWhatWasAskedAndFree) {
  YS_REQUIRE_GPU();
  auto b = make_cuda_backend();
  try {
    b->allocate(size_t{1} << 50);
    FAIL() << "a 1 PiB arena was allocated";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kOutOfMemory);
    EXPECT_NE(std::string(e.what()).find("MiB free"), std::string::npos) << e.what();
  }
}

TEST(CudaBackend, Fp32MatchesOnnxRuntime) {
  YS_REQUIRE_GPU();
  YS_REQUIRE_TESTDATA("reference/ort/messi5_output0.npy");
  const Tensor ref = load_npy(testing::testdata("reference/ort/messi5_output0.npy"));
  const Tensor ours = run({.half = false, .cuda_graph = false});
  ASSERT_EQ(ours.shape(), ref.shape());
  EXPECT_LT(relative_l2(ours, ref), 1e-3);
}

TEST(CudaBackend, GraphReplayEqualsEagerRun) {
  YS_REQUIRE_GPU();
  YS_REQUIRE_TESTDATA("reference/ort/messi5_output0.npy");
  // cuDNN picks algorithms by timing them, so two backends may differ by rounding.
  const Tensor eager = run({.half = false, .cuda_graph = false});
  const Tensor replayed = run({.half = false, .cuda_graph = true}, 3);
  ASSERT_EQ(eager.shape(), replayed.shape());
  EXPECT_LT(relative_l2(replayed, eager), 1e-5);
}

TEST(CudaBackend, Fp16FindsEveryConfidentOnnxRuntimeDetection) {
  YS_REQUIRE_GPU();
  YS_REQUIRE_TESTDATA("reference/ort/messi5_output0.npy");
  const Tensor ref = load_npy(testing::testdata("reference/ort/messi5_output0.npy"));
  const Tensor ours = run({.half = true, .cuda_graph = true}, 2);
  NmsOptions o;
  o.conf = 0.3f;
  const auto want = non_max_suppression(ref, o).at(0);
  o.conf = 0.2f;  // a box just above 0.3 in FP32 may land just under it in FP16
  const auto got = non_max_suppression(ours, o).at(0);
  ASSERT_FALSE(want.empty());
  for (const Detection& w : want) {
    bool found = false;
    for (const Detection& d : got) found = found || (d.cls == w.cls && box_iou(d, w) >= 0.9f);
    EXPECT_TRUE(found) << "class " << w.cls << " conf " << w.conf << " at " << w.x1 << "," << w.y1;
  }
}

TEST(CudaBackend, Fp16FusedConvolutionsMatchTheUnfusedOnes) {
  YS_REQUIRE_GPU();
  YS_REQUIRE_TESTDATA("reference/ort/messi5_output0.npy");
  auto fused_steps = [](const Executor& ex) {
    int n = 0;
    for (const ExecutionStep& s : ex.steps())
      n += s.kernel->implementation().rfind("cudnn:fused_conv", 0) == 0;
    return n;
  };
  Executor fused(yolov8n(), make_cuda_backend({.half = true, .graph_fusion = true}));
  Executor plain(yolov8n(), make_cuda_backend({.half = true, .graph_fusion = false}));
  // 58 of YOLOv8n's 64 convolutions end in SiLU, 6 in a bias alone; cuDNN 9.14 on an H200 fused
  // 63 of them.
  EXPECT_GE(fused_steps(fused), 56);
  EXPECT_EQ(fused_steps(plain), 0);
  Tensor out[2];
  Executor* both[2] = {&fused, &plain};
  for (int k = 0; k < 2; ++k) {
    both[k]->set_input(0, messi_input());
    both[k]->run();
    both[k]->run();
    out[k] = both[k]->read_output(0);
  }
  EXPECT_LT(relative_l2(out[0], out[1]), 3e-3);
}

// The built-in architecture at 320 needs no test data and runs in milliseconds.
Graph builtin_v8n() {
  Graph g = build_builtin_model("yolov8n.yaml", 320);
  prepare_graph(g);
  return g;
}

Tensor ramp_input(const Executor& ex) {
  const Value& v = ex.graph().values[static_cast<size_t>(ex.graph().inputs[0])];
  Tensor in(DType::kFloat32, v.shape);
  for (int64_t i = 0; i < in.numel(); ++i) in.ptr<float>()[i] = static_cast<float>(i % 255) / 255.f;
  return in;
}

class RecordingObserver final : public DeviceObserver {
 public:
  void on_enqueue_begin(size_t step) override {
    if (open_ >= 0) nested_ = true;
    open_ = static_cast<int64_t>(step);
    begun.push_back(step);
  }
  void on_enqueue_end(size_t step) override {
    if (open_ != static_cast<int64_t>(step)) mismatched_ = true;
    open_ = -1;
  }
  bool balanced() const { return open_ < 0 && !nested_ && !mismatched_; }
  std::vector<size_t> begun;

 private:
  int64_t open_ = -1;
  bool nested_ = false, mismatched_ = false;
};

class CudaSpanTiming : public ::testing::TestWithParam<bool> {};

TEST_P(CudaSpanTiming, GivesOnePositiveTimePerSpanOnTimedRunsOnly) {
  YS_REQUIRE_GPU();
  const bool graphs = GetParam();
  Executor ex(builtin_v8n(), make_cuda_backend({.cuda_graph = graphs}));
  Backend& b = ex.backend();
  ASSERT_NE(b.device_timer(), nullptr);
  DeviceTimer& timer = *b.device_timer();
  const size_t steps = ex.steps().size();
  ASSERT_GT(steps, 10u);
  const std::vector<size_t> starts = {0, steps / 3, 2 * steps / 3};
  EXPECT_FALSE(timer.set_span_timing({0, steps}))
      << "a span starting past the last step was accepted";
  EXPECT_FALSE(timer.set_span_timing({5, 5})) << "spans out of order were accepted";
  ASSERT_TRUE(timer.set_span_timing(starts));
  ex.set_input(0, ramp_input(ex));
  // Runs 0-1 are the eager warm-up and the capture in graph mode; 2-5 replay.
  for (int run = 0; run < 6; ++run) {
    const bool timed = run % 2 == 1;
    timer.enable_span_timing(timed);
    ex.run();
    b.synchronize();
    const std::vector<float> ms = timer.last_span_ms();
    if (!timed) {
      EXPECT_TRUE(ms.empty()) << "run " << run << " was not timed but gave " << ms.size()
                              << " span times";
      continue;
    }
    ASSERT_EQ(ms.size(), starts.size()) << "run " << run;
    for (size_t i = 0; i < ms.size(); ++i) {
      EXPECT_GT(ms[i], 0.f) << "run " << run << " span " << i << " (steps from " << starts[i]
                            << ")";
      EXPECT_LT(ms[i], 1000.f) << "run " << run << " span " << i;
    }
  }
  EXPECT_EQ(timer.kernels_per_run() > 0, graphs)
      << "kernels_per_run " << timer.kernels_per_run() << " with cuda_graph=" << graphs;
}

INSTANTIATE_TEST_SUITE_P(EagerAndGraph, CudaSpanTiming, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Graph" : "Eager"; });

TEST(CudaBackend, TimedGraphReplayGivesTheUntimedOutputs) {
  YS_REQUIRE_GPU();
  Executor ex(builtin_v8n(), make_cuda_backend({.cuda_graph = true}));
  Backend& b = ex.backend();
  ASSERT_NE(b.device_timer(), nullptr);
  DeviceTimer& timer = *b.device_timer();
  ASSERT_TRUE(timer.set_span_timing({0, ex.steps().size() / 2}));
  ex.set_input(0, ramp_input(ex));
  for (int i = 0; i < 3; ++i) ex.run();
  const Tensor untimed = ex.read_output(0);
  timer.enable_span_timing(true);
  ex.run();
  const Tensor timed = ex.read_output(0);
  ASSERT_EQ(timer.last_span_ms().size(), 2u) << "the timed replay recorded no span times";
  ASSERT_EQ(timed.shape(), untimed.shape());
  // The same kernels on the same input: the event nodes must not change a single value.
  for (int64_t i = 0; i < timed.numel(); ++i) {
    ASSERT_EQ(timed.ptr<float>()[i], untimed.ptr<float>()[i]) << "output element " << i;
  }
  EXPECT_GT(timer.kernels_per_run(), 0) << "no kernel nodes counted in the captured graph";
}

TEST(CudaBackend, DeviceObserverSeesEveryStepOnceEagerAndWhileCapturing) {
  YS_REQUIRE_GPU();
  for (const bool graphs : {false, true}) {
    Executor ex(builtin_v8n(), make_cuda_backend({.cuda_graph = graphs}));
    Backend& b = ex.backend();
    ASSERT_NE(b.device_timer(), nullptr);
    DeviceTimer& timer = *b.device_timer();
    EXPECT_EQ(timer.device_index(), 0);
    ex.set_input(0, ramp_input(ex));
    for (int i = 0; i < 3; ++i) ex.run();  // graph mode: warm-up, capture, replay
    RecordingObserver o;
    timer.set_device_observer(&o);
    ex.run();  // eager: every step; graph mode: the graph is dropped and captured again
    ex.run();  // graph mode: a replay, which enqueues nothing per step
    b.synchronize();
    timer.set_device_observer(nullptr);
    const size_t steps = ex.steps().size();
    ASSERT_EQ(o.begun.size(), graphs ? steps : 2 * steps) << "cuda_graph=" << graphs;
    for (size_t i = 0; i < o.begun.size(); ++i) {
      ASSERT_EQ(o.begun[i], i % steps) << "cuda_graph=" << graphs << ", callback " << i;
    }
    EXPECT_TRUE(o.balanced()) << "begin/end not paired, cuda_graph=" << graphs;
    EXPECT_EQ(timer.kernels_per_run() > 0, graphs) << "kernels_per_run " << timer.kernels_per_run();
  }
}

}  // namespace
}  // namespace ys
