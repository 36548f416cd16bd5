// The CUDA backend's data-movement kernels against the reference evaluator on random data, FP32
// and FP16: layout casts (tiled, pairwise FP16 and element-wise), Sigmoid and the output cast (8
// halves at a time and not), Transpose and Slice (in wide words and not), nearest Resize and
// MaxPool (16-byte channel groups and the element-wise fallback). Shapes are picked to land on each
// path and on tile edges. Skips without a GPU.
#include <gtest/gtest.h>

#include "backends/cuda/cuda_backend.h"
#include "kernel_test_util.h"
#include "runtime/executor.h"
#include "test_gpu.h"

namespace ys::testing {
namespace {

using Ints = std::vector<int64_t>;

std::vector<Tensor> run_cuda(const Graph& g, const std::vector<Tensor>& inputs, bool half) {
  Executor ex(g, make_cuda_backend({.half = half, .cuda_graph = false}));
  for (size_t i = 0; i < inputs.size(); ++i) ex.set_input(i, inputs[i]);
  ex.run();
  std::vector<Tensor> out;
  for (size_t i = 0; i < ex.graph().outputs.size(); ++i) out.push_back(ex.read_output(i));
  return out;
}

// Builds with `make` on a fresh builder and compares every output in FP32 and FP16.
template <typename Make>
void expect_matches_reference(const Shape& input, Make make) {
  for (bool half : {false, true}) {
    SCOPED_TRACE(half ? "FP16" : "FP32");
    GraphBuilder b;
    const int x = b.input(input);
    const Graph g = b.finish(make(b, x));
    const std::vector<Tensor> in = {random_tensor(input, 5)};
    const std::vector<Tensor> want = run_reference(g, in), got = run_cuda(g, in, half);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i)
      EXPECT_TRUE(all_close(got[i], want[i], half ? 2e-2 : 1e-4)) << "output " << i;
  }
}

TEST(CudaOps, LayoutCastsAtTheGraphsEdges) {
  YS_REQUIRE_GPU();
  // In: 3 channels (element-wise cast), out: 16 and 40 channels over 13x17 pixels, which is no
  // multiple of the 32x32 tile, at batch 2.
  for (int64_t cout : {16, 40}) {
    SCOPED_TRACE(cout);
    expect_matches_reference({2, 3, 13, 17}, [&](GraphBuilder& b, int x) {
      const int w = b.random_const({cout, 3, 1, 1}, -0.5f, 0.5f);
      return std::vector<int>{b.op("Conv", {x, w}, {{"kernel_shape", Ints{1, 1}}})};
    });
  }
}

TEST(CudaOps, LayoutCastBeforeAReshape) {
  YS_REQUIRE_GPU();
  // As in the detection head: NHWC activations go back to NCHW (FP16 to FP16 with half=True)
  // before a Reshape. Odd pixel counts take the pairwise tile's single-element edges.
  for (const Shape& in : {Shape{2, 3, 13, 17}, Shape{2, 3, 12, 16}}) {
    for (int64_t cout : {40, 144}) {
      SCOPED_TRACE(::testing::Message() << "H " << in[2] << " W " << in[3] << " K " << cout);
      expect_matches_reference(in, [&](GraphBuilder& b, int x) {
        const int w = b.random_const({cout, 3, 1, 1}, -0.5f, 0.5f);
        const int y = b.op("Conv", {x, w}, {{"kernel_shape", Ints{1, 1}}});
        return std::vector<int>{b.op("Reshape", {y, b.int_const({in[0], cout, -1})})};
      });
    }
  }
}

TEST(CudaOps, SigmoidAndTheOutputCast) {
  YS_REQUIRE_GPU();
  // 2 x 16 x 64 values take the 8-wide FP16 kernels; 1 x 5 x 9 the element-wise ones.
  for (const Shape& in : {Shape{2, 3, 8, 8}, Shape{1, 3, 3, 3}}) {
    const int64_t k = in[0] == 2 ? 16 : 5;
    expect_matches_reference(in, [&](GraphBuilder& b, int x) {
      const int w = b.random_const({k, 3, 1, 1}, -0.5f, 0.5f);
      const int y = b.op("Conv", {x, w}, {{"kernel_shape", Ints{1, 1}}});
      const int flat = b.op("Reshape", {y, b.int_const({in[0], k, -1})});
      return std::vector<int>{b.op("Sigmoid", {flat})};
    });
  }
}

TEST(CudaOps, TransposeAndSlice) {
  YS_REQUIRE_GPU();
  // The detection head's DFL transpose (innermost axis kept: wide words), a full permutation
  // (element by element), a channel half (wide) and a strided slice.
  for (const Ints& perm : {Ints{0, 2, 1, 3}, Ints{0, 3, 1, 2}}) {
    expect_matches_reference({2, 4, 16, 84}, [&](GraphBuilder& b, int x) {
      return std::vector<int>{b.op("Transpose", {x}, {{"perm", perm}})};
    });
  }
  expect_matches_reference({1, 4, 33, 40}, [](GraphBuilder& b, int x) {
    return std::vector<int>{
        b.op("Slice", {x, b.int_const({2}), b.int_const({4}), b.int_const({1})}),
        b.op("Slice", {x, b.int_const({1, 0}), b.int_const({30, -1}), b.int_const({2, 3}),
                       b.int_const({3, 2})})};
  });
}

TEST(CudaOps, ResizeAndMaxPoolInNhwc) {
  YS_REQUIRE_GPU();
  // 16 channels move in 16-byte groups in FP16 and FP32; 12 channels of FP16 (24 bytes) do not.
  for (int64_t c : {16, 12}) {
    SCOPED_TRACE(c);
    expect_matches_reference({2, c, 10, 12}, [&](GraphBuilder& b, int x) {
      const int in = b.pointwise(x, c);
      const int up = b.op("Resize", {in, -1, b.float_const({1, 1, 2, 2})},
                          {{"mode", std::string("nearest")},
                           {"coordinate_transformation_mode", std::string("asymmetric")},
                           {"nearest_mode", std::string("floor")}});
      const int odd = b.op("Resize", {in, -1, -1, b.int_const({2, c, 15, 17})},
                           {{"mode", std::string("nearest")}});
      const int pool =
          b.op("MaxPool", {in},
               {{"kernel_shape", Ints{5, 5}}, {"strides", Ints{1, 1}}, {"pads", Ints{2, 2, 2, 2}}});
      return std::vector<int>{b.pointwise(up, c), b.pointwise(odd, c), b.pointwise(pool, c)};
    });
  }
}

}  // namespace
}  // namespace ys::testing
