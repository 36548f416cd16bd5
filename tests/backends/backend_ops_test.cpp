// Every registered op on every backend compiled in, against the reference evaluator, in the
// manner of ggml's test-backend-ops and ncnn's test_layer. Each op of the registry
// (supported_ops()) has one small case below; a new op without a case, without a reference row,
// or that a backend claims but computes differently, fails here rather than at run time on a
// user's model. What a backend leaves to others is listed explicitly:
//   - kFoldedAtLoad: ops the loader computes on constants (shape arithmetic), never a kernel;
//   - kCpuOnReference: CPU ops that run on the reference evaluator, not oneDNN;
//   - kCudaRefuses: ops the CUDA backend has no kernel for (it refuses them; no host fallback).
// The CUDA half runs where a GPU is present (the GPU machine) and skips elsewhere.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <set>
#include <string>

#include "backends/cpu/cpu_backend.h"
#include "core/error.h"
#include "kernel_test_util.h"
#include "model/op_schema.h"
#include "model/reference_eval.h"
#include "runtime/executor.h"
#ifdef YS_HAVE_CUDA
#include "backends/cuda/cuda_backend.h"
#include "test_gpu.h"
#endif

namespace ys::testing {
namespace {

using Ints = std::vector<int64_t>;
using Floats = std::vector<float>;

const std::set<std::string> kFoldedAtLoad = {"Shape", "ConstantOfShape", "Range", "Constant"};

const std::set<std::string> kCpuOnReference = {"Log",
                                               "Reciprocal",
                                               "Floor",
                                               "Ceil",
                                               "Erf",
                                               "HardSigmoid",
                                               "Softplus",
                                               "Pow",
                                               "Equal",
                                               "Less",
                                               "Greater",
                                               "Where",
                                               "Cast",
                                               "Gather",
                                               "Expand",
                                               "Tile",
                                               "Gemm",
                                               "Shape",
                                               "Range",
                                               "Constant",
                                               "GlobalAveragePool",
                                               "ConstantOfShape"};

const std::set<std::string> kCudaRefuses = {"LeakyRelu",
                                            "Tanh",
                                            "Exp",
                                            "Log",
                                            "Neg",
                                            "Sqrt",
                                            "Abs",
                                            "Reciprocal",
                                            "Floor",
                                            "Ceil",
                                            "Erf",
                                            "HardSigmoid",
                                            "HardSwish",
                                            "Softplus",
                                            "Clip",
                                            "Pow",
                                            "Equal",
                                            "Less",
                                            "Greater",
                                            "Where",
                                            "Gather",
                                            "Expand",
                                            "Tile",
                                            "AveragePool",
                                            "GlobalAveragePool",
                                            "Gemm",
                                            "Shape",
                                            "ConstantOfShape",
                                            "Range",
                                            "Constant"};

Tensor scalar_tensor(float v) {
  Tensor t(DType::kFloat32, {});
  t.ptr<float>()[0] = v;
  return t;
}

// One case: a graph whose graph inputs get uniform random data in [lo, hi].
struct OpCase {
  std::string op;
  std::function<Graph(GraphBuilder&)> build;
  float lo = -2.f;
  float hi = 2.f;
};

OpCase unary(const std::string& op, float lo = -2.f, float hi = 2.f,
             std::map<std::string, Attribute> attrs = {}) {
  return {op,
          [op, attrs](GraphBuilder& b) {
            const int x = b.input({2, 3, 4, 5});
            return b.finish({b.op(op, {x}, attrs)});
          },
          lo, hi};
}

OpCase binary(const std::string& op, float lo = -2.f, float hi = 2.f) {
  return {op,
          [op](GraphBuilder& b) {
            const int x = b.input({2, 3, 4, 5}), y = b.input({2, 3, 4, 5});
            return b.finish({b.op(op, {x, y})});
          },
          lo, hi};
}

// A one-node graph over one input of `shape`, whose other inputs `more` makes (constants).
OpCase over(const std::string& op, const Shape& shape,
            std::function<std::vector<int>(GraphBuilder&)> more,
            std::map<std::string, Attribute> attrs = {}, size_t outputs = 1) {
  return {op, [=](GraphBuilder& b) {
            std::vector<int> in = {b.input(shape)};
            for (int v : more(b)) in.push_back(v);
            return b.finish(b.node(op, in, attrs, outputs));
          }};
}

std::vector<int> none(GraphBuilder&) {
  return {};
}

// A graph with no input: the node is computed from attributes and constants alone.
OpCase constant_case(const std::string& op, std::function<std::vector<int>(GraphBuilder&)> in,
                     std::map<std::string, Attribute> attrs = {}) {
  return {op, [=](GraphBuilder& b) { return b.finish({b.op(op, in(b), attrs)}); }};
}

std::vector<OpCase> all_cases() {
  std::vector<OpCase> c;
  for (const char* op : {"Sigmoid", "Relu", "Tanh", "Exp", "Neg", "Abs", "Floor", "Ceil", "Erf",
                         "HardSwish", "Softplus", "Identity"})
    c.push_back(unary(op));
  c.push_back(unary("LeakyRelu", -2, 2, {{"alpha", 0.1f}}));
  c.push_back(unary("HardSigmoid", -4, 4, {{"alpha", 0.2f}, {"beta", 0.5f}}));
  c.push_back(unary("Log", 0.1f, 3));
  c.push_back(unary("Sqrt", 0.1f, 3));
  c.push_back(unary("Reciprocal", 0.5f, 3));
  c.push_back(over("Clip", {2, 3, 4, 5}, [](GraphBuilder& b) {
    return std::vector<int>{b.constant(scalar_tensor(-0.5f)), b.constant(scalar_tensor(0.75f))};
  }));
  for (const char* op : {"Add", "Sub", "Mul", "Max", "Min", "Equal", "Less", "Greater"})
    c.push_back(binary(op));
  c.push_back(binary("Div", 0.5f, 3));
  c.push_back(binary("Pow", 0.5f, 2));
  c.push_back({"Where", [](GraphBuilder& b) {
                 const int x = b.input({2, 3, 4, 5}), y = b.input({2, 3, 4, 5});
                 return b.finish({b.op("Where", {b.op("Less", {x, y}), x, y})});
               }});
  // To FLOAT16: the form every backend claims (CUDA's Cast converts between its float formats).
  c.push_back(over("Cast", {2, 3, 4, 5}, none, {{"to", int64_t{10}}}));
  c.push_back(over("Reshape", {2, 3, 4, 5}, [](GraphBuilder& b) {
    return std::vector<int>{b.int_const({6, 20})};
  }));
  c.push_back(over("Flatten", {2, 3, 4, 5}, none, {{"axis", int64_t{2}}}));
  c.push_back(over("Squeeze", {2, 1, 4, 5},
                   [](GraphBuilder& b) { return std::vector<int>{b.int_const({1})}; }));
  c.push_back(over("Unsqueeze", {2, 3, 4, 5},
                   [](GraphBuilder& b) { return std::vector<int>{b.int_const({1})}; }));
  c.push_back(over("Shape", {2, 3, 4, 5}, none));
  c.push_back({"Concat", [](GraphBuilder& b) {
                 const int x = b.input({2, 3, 4, 5}), y = b.input({2, 2, 4, 5});
                 return b.finish({b.op("Concat", {x, y}, {{"axis", int64_t{1}}})});
               }});
  c.push_back(over(
      "Split", {2, 6, 4, 5},
      [](GraphBuilder& b) {
        return std::vector<int>{b.int_const({2, 4})};
      },
      {{"axis", int64_t{1}}}, 2));
  c.push_back(over("Slice", {2, 6, 4, 5}, [](GraphBuilder& b) {
    return std::vector<int>{b.int_const({1, 1}), b.int_const({5, 4}), b.int_const({1, 3}),
                            b.int_const({2, 1})};
  }));
  c.push_back(over("Transpose", {2, 3, 4, 5}, none, {{"perm", Ints{0, 2, 3, 1}}}));
  c.push_back(over("Gather", {2, 3, 4, 5},
                   [](GraphBuilder& b) {
                     return std::vector<int>{b.int_const({2, 0})};
                   },
                   {{"axis", int64_t{1}}}));
  c.push_back(over("Expand", {2, 1, 4, 1}, [](GraphBuilder& b) {
    return std::vector<int>{b.int_const({2, 3, 4, 5})};
  }));
  c.push_back(over("Tile", {2, 3, 4, 5}, [](GraphBuilder& b) {
    return std::vector<int>{b.int_const({1, 2, 1, 2})};
  }));
  Tensor fill(DType::kFloat32, {1});
  fill.ptr<float>()[0] = 1.5f;
  c.push_back(constant_case("ConstantOfShape",
                            [](GraphBuilder& b) {
                              return std::vector<int>{b.int_const({2, 3})};
                            },
                            {{"value", fill}}));
  c.push_back(constant_case("Range", [](GraphBuilder& b) {
    return std::vector<int>{b.constant(scalar_tensor(1)), b.constant(scalar_tensor(6)),
                            b.constant(scalar_tensor(1.5f))};
  }));
  Tensor value(DType::kFloat32, {2, 2});
  for (int i = 0; i < 4; ++i) value.ptr<float>()[i] = 0.25f * static_cast<float>(i);
  c.push_back(constant_case("Constant", none, {{"value", value}}));
  c.push_back(over(
      "Conv", {2, 3, 8, 8},
      [](GraphBuilder& b) {
        return std::vector<int>{b.random_const({4, 3, 3, 3}, -0.5f, 0.5f), b.random_const({4})};
      },
      {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}, {"strides", Ints{2, 1}}}));
  for (const char* op : {"MaxPool", "AveragePool"}) {
    c.push_back(
        over(op, {2, 3, 8, 8}, none, {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}));
  }
  c.push_back(over("GlobalAveragePool", {2, 3, 8, 8}, none));
  c.push_back(
      {"Resize", [](GraphBuilder& b) {
         const int x = b.input({1, 3, 4, 5});
         const int scales = b.float_const({1, 1, 2, 2});
         return b.finish({b.op("Resize", {x, -1, scales}, {{"mode", std::string("nearest")}})});
       }});
  c.push_back(over("Softmax", {2, 3, 4, 5}, none, {{"axis", int64_t{-1}}}));
  c.push_back(over("MatMul", {2, 3, 4, 5}, [](GraphBuilder& b) {
    return std::vector<int>{b.random_const({5, 6})};
  }));
  c.push_back(over("Gemm", {4, 5},
                   [](GraphBuilder& b) {
                     return std::vector<int>{b.random_const({6, 5}), b.random_const({6})};
                   },
                   {{"transB", int64_t{1}}}));
  return c;
}

std::vector<Tensor> random_inputs(const Graph& g, const OpCase& c) {
  std::vector<Tensor> in;
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    const Value& v = g.values[static_cast<size_t>(g.inputs[i])];
    in.push_back(random_tensor(v.shape, 17 + static_cast<uint32_t>(i), c.lo, c.hi));
  }
  return in;
}

Tensor as_float(const Tensor& half) {
  Tensor f(DType::kFloat32, half.shape());
  for (int64_t i = 0; i < half.numel(); ++i)
    f.ptr<float>()[i] = half_to_float(half.ptr<uint16_t>()[i]);
  return f;
}

// Float outputs within `tol` (relative, as all_close), halves within 1e-3; others exactly.
void expect_same(const std::vector<Tensor>& got, const std::vector<Tensor>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(cat("output ", i));
    ASSERT_EQ(got[i].dtype(), want[i].dtype());
    if (want[i].dtype() == DType::kFloat32) {
      EXPECT_TRUE(all_close(got[i], want[i], tol));
    } else if (want[i].dtype() == DType::kFloat16) {
      EXPECT_TRUE(all_close(as_float(got[i]), as_float(want[i]), 1e-3));
    } else {
      ASSERT_EQ(got[i].shape(), want[i].shape());
      EXPECT_EQ(std::memcmp(got[i].data(), want[i].data(), want[i].nbytes()), 0);
    }
  }
}

bool has_node(const Graph& g, const std::string& op) {
  return std::any_of(g.nodes.begin(), g.nodes.end(), [&](const Node& n) { return n.op == op; });
}

TEST(BackendOps, EveryRegisteredOpHasAReferenceRowAndACase) {
  std::set<std::string> cased;
  for (const OpCase& c : all_cases()) cased.insert(c.op);
  for (const std::string& op : supported_ops()) {
    EXPECT_TRUE(has_reference_eval(op)) << op << " has no row in the reference evaluator's table";
    EXPECT_TRUE(cased.count(op)) << op << " has no case in " << __FILE__;
  }
  for (const auto* list : {&kFoldedAtLoad, &kCpuOnReference, &kCudaRefuses}) {
    for (const std::string& op : *list) EXPECT_TRUE(find_op_schema(op)) << op << " is not an op";
  }
}

TEST(BackendOps, ShapeArithmeticIsFoldedAtLoadAndTheRestReachesAKernel) {
  for (const OpCase& c : all_cases()) {
    SCOPED_TRACE(c.op);
    GraphBuilder b;
    const Graph g = c.build(b);
    EXPECT_EQ(!has_node(g, c.op), kFoldedAtLoad.count(c.op) > 0);
    if (!has_node(g, c.op)) {
      // What the loader folded is what the reference evaluator computes: check the values once.
      const Tensor& out = g.values[static_cast<size_t>(g.outputs[0])].data;
      ASSERT_GT(out.numel(), 0);
      float want = 0, got = 0;
      if (c.op == "Shape") {
        want = 5;
        got = static_cast<float>(out.ptr<int64_t>()[3]);
      } else {
        // ConstantOfShape fills 1.5; Range(1, 6, 1.5) is 1, 2.5, 4, 5.5; Constant is 0.25 i.
        want = c.op == "ConstantOfShape" ? 1.5f : c.op == "Range" ? 5.5f : 0.75f;
        got = out.ptr<float>()[3];
      }
      EXPECT_EQ(got, want);
    }
  }
}

TEST(BackendOps, CpuMatchesTheReferenceOnEveryOp) {
  for (const OpCase& c : all_cases()) {
    SCOPED_TRACE(c.op);
    GraphBuilder b;
    const Graph g = c.build(b);
    if (!has_node(g, c.op)) continue;
    EXPECT_TRUE(make_cpu_backend({})->supports(g, g.nodes.back()));
    const std::vector<Tensor> in = random_inputs(g, c);
    const BackendRun run = run_cpu_backend(g, in);
    expect_same(run.outputs, run_reference(g, in), 1e-4);
#ifdef YS_HAVE_ONEDNN
    const bool on_reference =
        std::find(run.kernels.begin(), run.kernels.end(), "reference") != run.kernels.end();
    EXPECT_EQ(on_reference, kCpuOnReference.count(c.op) > 0)
        << "kernels: " << ::testing::PrintToString(run.kernels);
#endif
  }
}

#ifdef YS_HAVE_CUDA
TEST(BackendOps, CudaMatchesTheReferenceOrRefusesEveryOp) {
  YS_REQUIRE_GPU();
  for (const OpCase& c : all_cases()) {
    SCOPED_TRACE(c.op);
    GraphBuilder b;
    const Graph g = c.build(b);
    if (!has_node(g, c.op)) continue;
    const auto backend = make_cuda_backend({.half = false, .cuda_graph = false});
    const Node& node =
        *std::find_if(g.nodes.begin(), g.nodes.end(), [&](const Node& n) { return n.op == c.op; });
    const bool refused = kCudaRefuses.count(c.op) > 0;
    EXPECT_EQ(backend->supports(g, node), !refused);
    const std::vector<Tensor> in = random_inputs(g, c);
    if (refused) {
      try {
        Executor ex(g, backend);
        ADD_FAILURE() << "the CUDA backend built a kernel for an op it says it lacks";
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kUnsupported) << e.what();
      }
      continue;
    }
    Executor ex(g, backend);
    for (size_t i = 0; i < in.size(); ++i) ex.set_input(i, in[i]);
    ex.run();
    std::vector<Tensor> got;
    for (size_t i = 0; i < ex.graph().outputs.size(); ++i) got.push_back(ex.read_output(i));
    // Convolutions and products may run on TF32 tensor cores.
    expect_same(got, run_reference(g, in), c.op == "Conv" || c.op == "MatMul" ? 2e-3 : 1e-4);
  }
}
#endif

}  // namespace
}  // namespace ys::testing
