// Small graphs built in code for the CPU kernel tests: one op under test, optionally between two
// 1x1 convolutions so that the backend's layout pass stores the op's activations as NHWC.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "model/graph.h"

namespace ys::testing {

class GraphBuilder {
 public:
  explicit GraphBuilder(uint32_t seed = 1) : rng_(seed) { g_.opset = 22; }

  int input(const Shape& shape) {
    int v = value(shape);
    g_.inputs.push_back(v);
    return v;
  }
  int constant(const Tensor& t) {
    Value v;
    v.name = cat("c", g_.values.size());
    v.dtype = t.dtype();
    v.shape = t.shape();
    v.data = t;
    return g_.add_value(v);
  }
  int random_const(const Shape& shape, float lo = -1.f, float hi = 1.f) {
    Tensor t(DType::kFloat32, shape);
    std::uniform_real_distribution<float> d(lo, hi);
    for (int64_t i = 0; i < t.numel(); ++i) t.ptr<float>()[i] = d(rng_);
    return constant(t);
  }
  int int_const(const std::vector<int64_t>& v) {
    Tensor t(DType::kInt64, {static_cast<int64_t>(v.size())});
    for (size_t i = 0; i < v.size(); ++i) t.ptr<int64_t>()[i] = v[i];
    return constant(t);
  }
  int float_const(const std::vector<float>& v) {
    Tensor t(DType::kFloat32, {static_cast<int64_t>(v.size())});
    for (size_t i = 0; i < v.size(); ++i) t.ptr<float>()[i] = v[i];
    return constant(t);
  }
  std::vector<int> node(const std::string& op, std::vector<int> inputs,
                        std::map<std::string, Attribute> attrs = {}, size_t outputs = 1,
                        Activation act = Activation::kNone) {
    Node n;
    n.name = cat(op, g_.nodes.size());
    n.op = op;
    n.inputs = std::move(inputs);
    n.attrs = std::move(attrs);
    n.activation = act;
    for (size_t i = 0; i < outputs; ++i) n.outputs.push_back(value({}));
    g_.nodes.push_back(n);
    return g_.nodes.back().outputs;
  }
  int op(const std::string& op, std::vector<int> inputs,
         std::map<std::string, Attribute> attrs = {}, Activation act = Activation::kNone) {
    return node(op, std::move(inputs), std::move(attrs), 1, act)[0];
  }
  // A 1x1 convolution keeping `channels`: NHWC-capable on both sides.
  int pointwise(int x, int64_t channels) {
    int w = random_const({channels, channels, 1, 1}, -0.5f, 0.5f);
    int b = random_const({channels});
    return op("Conv", {x, w, b}, {{"kernel_shape", std::vector<int64_t>{1, 1}}});
  }
  Graph finish(std::vector<int> outputs);

 private:
  int value(const Shape& shape) {
    Value v;
    v.name = cat("v", g_.values.size());
    v.shape = shape;
    return g_.add_value(v);
  }

  Graph g_;
  std::mt19937 rng_;
};

}  // namespace ys::testing
