#include "model/flops.h"

namespace ys {

int64_t node_flops(const Graph& g, const Node& n) {
  if (n.outputs.empty() || n.outputs[0] < 0) return 0;
  const Shape& out = g.output_value(n, 0).shape;
  const int64_t out_elems = numel(out);
  if (n.op == "Conv") {
    const Shape& w = g.input_value(n, 1).shape;  // [M, C/group, KH, KW]
    int64_t macs = out_elems * w[1] * w[2] * w[3];
    return 2 * macs + (n.activation == Activation::kNone ? 0 : 4 * out_elems);
  }
  if (n.op == "MatMul") {
    const Shape& a = g.input_value(n, 0).shape;
    return 2 * out_elems * (a.empty() ? 1 : a.back());
  }
  if (n.op == "Gemm") {
    const Shape& a = g.input_value(n, 0).shape;
    return 2 * out_elems * (attr_int(n, "transA", 0) ? a[0] : a[1]);
  }
  if (n.op == "MaxPool" || n.op == "AveragePool") {
    std::vector<int64_t> k = attr_ints(n, "kernel_shape");
    int64_t window = 1;
    for (int64_t v : k) window *= v;
    return out_elems * window;
  }
  if (n.op == "Softmax") return 5 * out_elems;
  if (n.op == "Sigmoid") return 4 * out_elems;
  if (n.op == "Add" || n.op == "Sub" || n.op == "Mul" || n.op == "Div" || n.op == "Pow" ||
      n.op == "Max" || n.op == "Min" || n.op == "Relu" || n.op == "LeakyRelu" || n.op == "Tanh" ||
      n.op == "Exp" || n.op == "Clip" || n.op == "HardSwish" || n.op == "HardSigmoid") {
    return out_elems;
  }
  return 0;  // data movement only
}

int64_t node_bytes(const Graph& g, const Node& n) {
  int64_t bytes = 0;
  for (int v : n.inputs) {
    if (v >= 0)
      bytes += numel(g.values[static_cast<size_t>(v)].shape) *
               static_cast<int64_t>(dtype_size(g.values[static_cast<size_t>(v)].dtype));
  }
  for (int v : n.outputs) {
    if (v >= 0)
      bytes += numel(g.values[static_cast<size_t>(v)].shape) *
               static_cast<int64_t>(dtype_size(g.values[static_cast<size_t>(v)].dtype));
  }
  return bytes;
}

}  // namespace ys
