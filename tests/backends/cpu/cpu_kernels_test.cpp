// Every fast kernel of the CPU backend against the reference evaluator on random data, in plain
// layout and (where the op takes it) between 1x1 convolutions, which makes its activations NHWC.
#include <gtest/gtest.h>

#include <algorithm>

#include "backends/cpu/cpu_backend.h"
#include "core/error.h"
#include "kernel_test_util.h"

namespace ys::testing {
namespace {

using Ints = std::vector<int64_t>;

class Case {
 public:
  Case(const Shape& shape, bool nhwc) : nhwc_(nhwc), shape_(shape) {
    x = b.input(shape);
    if (nhwc) x = b.pointwise(x, shape[1]);
  }
  // `outs`: each output with its channel count (0: not 4-D, left as it is).
  void check(const std::vector<std::pair<int, int64_t>>& outs, bool allow_reference = false,
             double tol = 1e-4) {
    std::vector<int> graph_outs;
    for (auto [v, c] : outs) graph_outs.push_back(nhwc_ && c > 0 ? b.pointwise(v, c) : v);
    const Graph g = b.finish(graph_outs);
    const std::vector<Tensor> inputs = {random_tensor(shape_, 7)};
    const std::vector<Tensor> ref = run_reference(g, inputs);
    for (int threads : {1, 2}) {
      const BackendRun got = run_cpu_backend(g, inputs, threads);
      for (size_t i = 0; i < ref.size(); ++i)
        EXPECT_TRUE(all_close(got.outputs[i], ref[i], tol)) << "output " << i;
      if (nhwc_) {
        EXPECT_EQ(got.layouts[static_cast<size_t>(x)], Layout::kNHWC);
        for (auto [v, c] : outs) {
          if (c > 0) {
            EXPECT_EQ(got.layouts[static_cast<size_t>(v)], Layout::kNHWC);
          }
        }
      }
      if (!allow_reference) {
        for (const std::string& k : got.kernels) EXPECT_NE(k, "reference");
      }
    }
  }

  GraphBuilder b;
  int x = -1;

 private:
  bool nhwc_;
  Shape shape_;
};

class CpuKernels : public ::testing::TestWithParam<bool> {
 protected:
  bool nhwc() const { return GetParam(); }
};

struct ConvCase {
  int64_t cin, cout, k, stride, pad, dil, group;
  Activation act;
  bool bias;
  Ints pads;  // overrides `pad` when set (top, left, bottom, right)
};

TEST_P(CpuKernels, Conv) {
  const ConvCase cases[] = {
      {16, 32, 3, 1, 1, 1, 1, Activation::kSiLU, true, {}},
      {16, 24, 3, 2, 1, 1, 1, Activation::kSiLU, true, {}},
      {32, 16, 1, 1, 0, 1, 1, Activation::kNone, true, {}},
      {8, 16, 5, 1, 4, 2, 1, Activation::kSigmoid, true, {}},
      {16, 32, 3, 1, 1, 1, 2, Activation::kSiLU, false, {}},
      {24, 24, 3, 2, 1, 1, 24, Activation::kSiLU, true, {}},
      {8, 8, 3, 1, 0, 1, 1, Activation::kNone, true, {0, 1, 2, 1}},
      {3, 16, 3, 2, 1, 1, 1, Activation::kSiLU, true, {}},
  };
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << "cin " << c.cin << " cout " << c.cout << " k " << c.k
                                      << " s " << c.stride << " d " << c.dil << " g " << c.group);
    Case t({1, c.cin, 19, 21}, nhwc());
    int w = t.b.random_const({c.cout, c.cin / c.group, c.k, c.k}, -0.3f, 0.3f);
    std::vector<int> ins = {t.x, w};
    if (c.bias) ins.push_back(t.b.random_const({c.cout}));
    Ints pads = c.pads.empty() ? Ints{c.pad, c.pad, c.pad, c.pad} : c.pads;
    int y = t.b.op("Conv", ins,
                   {{"kernel_shape", Ints{c.k, c.k}},
                    {"strides", Ints{c.stride, c.stride}},
                    {"dilations", Ints{c.dil, c.dil}},
                    {"group", c.group},
                    {"pads", pads}},
                   c.act);
    t.check({{y, c.cout}});
  }
}

TEST_P(CpuKernels, Pools) {
  struct PoolCase {
    const char* op;
    int64_t k, s, pad, ceil, include_pad;
  };
  const PoolCase cases[] = {{"MaxPool", 5, 1, 2, 0, 0},     {"MaxPool", 3, 2, 0, 1, 0},
                            {"MaxPool", 2, 2, 0, 0, 0},     {"AveragePool", 3, 2, 1, 0, 0},
                            {"AveragePool", 3, 2, 1, 0, 1}, {"AveragePool", 3, 2, 0, 1, 0}};
  for (const PoolCase& c : cases) {
    SCOPED_TRACE(::testing::Message()
                 << c.op << " k " << c.k << " s " << c.s << " ceil " << c.ceil);
    Case t({1, 8, 20, 23}, nhwc());
    std::map<std::string, Attribute> attrs = {{"kernel_shape", Ints{c.k, c.k}},
                                              {"strides", Ints{c.s, c.s}},
                                              {"pads", Ints{c.pad, c.pad, c.pad, c.pad}},
                                              {"ceil_mode", c.ceil}};
    if (std::string(c.op) == "AveragePool") attrs["count_include_pad"] = c.include_pad;
    t.check({{t.b.op(c.op, {t.x}, attrs), 8}});
  }
}

TEST_P(CpuKernels, ResizeNearest) {
  {
    Case t({1, 8, 10, 12}, nhwc());
    int y = t.b.op("Resize", {t.x, -1, t.b.float_const({1, 1, 2, 2})},
                   {{"mode", std::string("nearest")},
                    {"coordinate_transformation_mode", std::string("asymmetric")},
                    {"nearest_mode", std::string("floor")}});
    t.check({{y, 8}});
  }
  {  // default half_pixel / round_prefer_floor with a fractional ratio
    Case t({1, 8, 10, 12}, nhwc());
    int y = t.b.op("Resize", {t.x, -1, -1, t.b.int_const({1, 8, 15, 17})},
                   {{"mode", std::string("nearest")}});
    t.check({{y, 8}});
  }
}

TEST_P(CpuKernels, ElementwiseSameShape) {
  for (const char* op : {"Add", "Sub", "Mul", "Div", "Max"}) {
    SCOPED_TRACE(op);
    Case t({1, 8, 9, 10}, nhwc());
    // A second activation in (0, 1), so that Div stays well conditioned.
    int other = t.b.op("Sigmoid", {nhwc() ? t.b.pointwise(t.x, 8) : t.x});
    t.check({{t.b.op(op, {t.x, other}), 8}});
  }
  for (const char* op : {"Sigmoid", "Relu", "Tanh", "HardSwish", "Abs", "Neg"}) {
    SCOPED_TRACE(op);
    Case t({1, 8, 9, 10}, nhwc());
    t.check({{t.b.op(op, {t.x}), 8}});
  }
  {
    Case t({1, 8, 9, 10}, nhwc());
    t.check({{t.b.op("LeakyRelu", {t.x}, {{"alpha", 0.2f}}), 8}});
  }
  {
    Case t({1, 8, 9, 10}, nhwc());
    t.check({{t.b.op("Clip", {t.x, t.b.float_const({-0.5f}), t.b.float_const({0.7f})}), 8}});
  }
}

TEST_P(CpuKernels, ConcatAndSplit) {
  for (int64_t axis : {1, 2, 3, -3}) {
    SCOPED_TRACE(::testing::Message() << "axis " << axis);
    Case t({1, 8, 6, 7}, nhwc());
    int a = t.b.op("Sigmoid", {t.x});
    int c = t.b.op("Concat", {t.x, a, t.x}, {{"axis", axis}});
    const int64_t channels = axis == 1 || axis == -3 ? 24 : 8;
    t.check({{c, channels}});
  }
  for (int64_t axis : {1, 2, 3}) {
    SCOPED_TRACE(::testing::Message() << "axis " << axis);
    Case t({1, 8, 6, 9}, nhwc());
    const Ints sizes = axis == 1 ? Ints{2, 4, 2} : axis == 2 ? Ints{1, 2, 3} : Ints{3, 3, 3};
    std::vector<int> outs = t.b.node("Split", {t.x, t.b.int_const(sizes)}, {{"axis", axis}}, 3);
    std::vector<std::pair<int, int64_t>> checked;
    for (size_t i = 0; i < outs.size(); ++i) checked.push_back({outs[i], axis == 1 ? sizes[i] : 8});
    t.check(checked);
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, CpuKernels, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "nhwc" : "plain"; });

TEST(CpuKernelsPlain, BinaryBroadcast) {
  struct BroadcastCase {
    const char* op;
    Shape a, b;
    bool allow_reference;
  };
  const BroadcastCase cases[] = {
      {"Mul", {1, 8, 5, 6}, {1, 8, 1, 1}, false},
      {"Add", {1, 1, 6}, {2, 3, 6}, false},
      {"Div", {2, 3, 4}, {4}, false},
      {"Sub", {2, 3, 4}, {3, 1}, false},
      {"Sub", {1, 4}, {3, 4}, true},
  };
  for (const BroadcastCase& c : cases) {
    SCOPED_TRACE(c.op);
    GraphBuilder b;
    int x = b.input(c.a);
    int y = b.op(c.op, {x, b.random_const(c.b, 0.5f, 2.f)});
    const Graph g = b.finish({y});
    const std::vector<Tensor> in = {random_tensor(c.a, 3)};
    const BackendRun got = run_cpu_backend(g, in);
    EXPECT_TRUE(all_close(got.outputs[0], run_reference(g, in)[0]));
    if (!c.allow_reference) {
      EXPECT_NE(got.kernels[0], "reference");
    }
  }
}

TEST(CpuKernelsPlain, Softmax) {
  for (int64_t axis : {-1, 1, 0, 2}) {
    SCOPED_TRACE(::testing::Message() << "axis " << axis);
    GraphBuilder b;
    const Shape s = {2, 16, 4, 300};
    int y = b.op("Softmax", {b.input(s)}, {{"axis", axis}});
    const Graph g = b.finish({y});
    const std::vector<Tensor> in = {random_tensor(s, 5, -6.f, 6.f)};
    const BackendRun got = run_cpu_backend(g, in);
    EXPECT_TRUE(all_close(got.outputs[0], run_reference(g, in)[0], 1e-5));
    EXPECT_NE(got.kernels[0], "reference");
  }
}

TEST(CpuKernelsPlain, MatMulBroadcast) {
  struct MatMulCase {
    Shape a, b;
  };
  const MatMulCase cases[] = {
      {{2, 3, 4, 5}, {5, 6}}, {{1, 2, 8, 16}, {1, 2, 16, 8}}, {{2, 1, 4, 5}, {3, 5, 2}}};
  for (const MatMulCase& c : cases) {
    SCOPED_TRACE(cat(shape_str(c.a), " x ", shape_str(c.b)));
    GraphBuilder b;
    int a = b.input(c.a);
    int y = b.op("MatMul", {a, b.random_const(c.b)});
    const Graph g = b.finish({y});
    const std::vector<Tensor> in = {random_tensor(c.a, 9)};
    const BackendRun got = run_cpu_backend(g, in);
    EXPECT_TRUE(all_close(got.outputs[0], run_reference(g, in)[0]));
    EXPECT_NE(got.kernels[0], "reference");
  }
}

TEST(CpuKernelsPlain, TransposeAndReshape) {
  for (const Ints& perm : {Ints{0, 2, 1, 3}, Ints{0, 3, 1, 2}, Ints{3, 2, 1, 0}}) {
    GraphBuilder b;
    const Shape s = {2, 3, 40, 50};
    int t = b.op("Transpose", {b.input(s)}, {{"perm", perm}});
    int y = b.op("Reshape", {t, b.int_const({2, -1})});
    const Graph g = b.finish({y});
    const std::vector<Tensor> in = {random_tensor(s, 11)};
    const BackendRun got = run_cpu_backend(g, in);
    EXPECT_TRUE(all_close(got.outputs[0], run_reference(g, in)[0], 0));
    for (const std::string& k : got.kernels) EXPECT_NE(k, "reference");
  }
}

TEST(CpuKernelsPlain, Slice) {
  struct SliceCase {
    Ints starts, ends, axes, steps;
  };
  const SliceCase cases[] = {{{0}, {2}, {1}, {1}},
                             {{2}, {4}, {1}, {1}},
                             {{1, 0}, {30, -1}, {2, 3}, {3, 2}},
                             {{-1}, {-100}, {3}, {-2}}};
  for (const SliceCase& c : cases) {
    GraphBuilder b;
    const Shape s = {1, 4, 33, 40};
    int y = b.op("Slice", {b.input(s), b.int_const(c.starts), b.int_const(c.ends),
                           b.int_const(c.axes), b.int_const(c.steps)});
    const Graph g = b.finish({y});
    const std::vector<Tensor> in = {random_tensor(s, 13)};
    const BackendRun got = run_cpu_backend(g, in);
    EXPECT_TRUE(all_close(got.outputs[0], run_reference(g, in)[0], 0));
    EXPECT_EQ(got.kernels[0], "cpu:slice");
  }
}

TEST(CpuBackend, GraphInputsAndOutputsStayPlainAndConvUsesOneDnn) {
  Case t({1, 8, 12, 12}, true);
  GraphBuilder& b = t.b;
  int y = b.pointwise(t.x, 8);
  const Graph g = b.finish({y});
  const BackendRun got = run_cpu_backend(g, {random_tensor({1, 8, 12, 12}, 1)});
  EXPECT_EQ(got.layouts[static_cast<size_t>(g.inputs[0])], Layout::kPlain);
  EXPECT_EQ(got.layouts[static_cast<size_t>(g.outputs[0])], Layout::kPlain);
  EXPECT_EQ(got.layouts[static_cast<size_t>(t.x)], Layout::kNHWC);
  EXPECT_TRUE(cpu_backend_has_onednn());
  EXPECT_EQ(got.kernels[0].rfind("onednn:", 0), 0u) << got.kernels[0];
}

}  // namespace
}  // namespace ys::testing
