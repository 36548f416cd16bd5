// The CUDA backend against ONNX Runtime's reference outputs: FP32 raw outputs within 1e-3
// relative, FP16 detections matched box by box, CUDA-graph replays equal to eager runs, and the
// formats pass (which needs no GPU).
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_formats.h"
#include "core/error.h"
#include "core/npy.h"
#include "model/onnx_loader.h"
#include "model/prepare.h"
#include "pipeline/postprocess.h"
#include "runtime/executor.h"
#include "runtime/memory_planner.h"
#include "test_data.h"

namespace ys {
namespace {

#define YS_REQUIRE_GPU()                                   \
  do {                                                     \
    std::string why;                                       \
    if (!cuda_device_available(&why)) GTEST_SKIP() << why; \
  } while (0)

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

}  // namespace
}  // namespace ys
