#include "kernel_test_util.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "backends/cpu/cpu_backend.h"
#include "model/prepare.h"
#include "model/reference_eval.h"
#include "runtime/executor.h"

namespace ys::testing {

Graph GraphBuilder::finish(std::vector<int> outputs) {
  g_.outputs = std::move(outputs);
  infer_and_fold(g_);
  return g_;
}

BackendRun run_cpu_backend(const Graph& g, const std::vector<Tensor>& inputs, int threads) {
  Executor ex(g, make_cpu_backend({.threads = threads}));
  for (size_t i = 0; i < inputs.size(); ++i) ex.set_input(i, inputs[i]);
  ex.run();
  BackendRun r;
  for (size_t i = 0; i < ex.graph().outputs.size(); ++i) r.outputs.push_back(ex.read_output(i));
  for (const Value& v : ex.graph().values) r.layouts.push_back(v.layout);
  for (const ExecutionStep& s : ex.steps()) r.kernels.push_back(s.kernel->implementation());
  return r;
}

std::vector<Tensor> run_reference(const Graph& g, const std::vector<Tensor>& inputs) {
  std::vector<Tensor> vals(g.values.size());
  for (size_t i = 0; i < g.values.size(); ++i) {
    if (g.values[i].is_constant()) vals[i] = g.values[i].data;
  }
  for (size_t i = 0; i < inputs.size(); ++i)
    vals[static_cast<size_t>(g.inputs[i])] = inputs[i].clone();
  for (const Node& n : g.nodes) {
    std::vector<Tensor> ins, outs;
    for (int v : n.inputs) ins.push_back(v < 0 ? Tensor() : vals[static_cast<size_t>(v)]);
    for (int v : n.outputs) {
      if (v < 0) {
        outs.emplace_back();
        continue;
      }
      vals[static_cast<size_t>(v)] =
          Tensor(g.values[static_cast<size_t>(v)].dtype, g.values[static_cast<size_t>(v)].shape);
      outs.push_back(vals[static_cast<size_t>(v)]);
    }
    reference_eval(g, n, ins, outs);
  }
  std::vector<Tensor> out;
  for (int v : g.outputs) out.push_back(vals[static_cast<size_t>(v)]);
  return out;
}

Tensor random_tensor(const Shape& shape, uint32_t seed, float lo, float hi) {
  Tensor t(DType::kFloat32, shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.ptr<float>()[i] = d(rng);
  return t;
}

::testing::AssertionResult all_close(const Tensor& a, const Tensor& b, double tol) {
  if (a.shape() != b.shape()) {
    return ::testing::AssertionFailure()
           << "shape " << shape_str(a.shape()) << " vs " << shape_str(b.shape());
  }
  double worst = 0;
  int64_t at = -1;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double x = a.ptr<float>()[i], y = b.ptr<float>()[i];
    const double err = std::fabs(x - y) / std::max(1.0, std::fabs(y));
    if (!(err <= worst) || std::isnan(x) != std::isnan(y)) {
      worst = std::isnan(err) ? INFINITY : err;
      at = i;
    }
  }
  if (worst <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "element " << at << ": " << a.ptr<float>()[at] << " vs reference " << b.ptr<float>()[at]
         << " (relative error " << worst << ")";
}

}  // namespace ys::testing
