// Unary element-wise ops on oneDNN's eltwise primitive. Element order does not matter to them, so
// they see their tensor as one flat vector and take any layout.
#include <limits>

#include "backends/cpu/cpu_ops.h"

namespace ys::cpu {
namespace {

using dnnl::algorithm;
using dnnl::memory;

struct EltwiseParams {
  algorithm alg = algorithm::eltwise_relu;
  float alpha = 0.f, beta = 0.f;
};

bool eltwise_params(const Graph& g, const Node& n, EltwiseParams* p) {
  const Value& x = g.input_value(n, 0);
  if (!is_float_activation(x) || g.output_value(n, 0).dtype != DType::kFloat32) return false;
  const std::string& op = n.op;
  if (op == "Sigmoid")
    *p = {algorithm::eltwise_logistic, 0.f, 0.f};
  else if (op == "Relu")
    *p = {algorithm::eltwise_relu, 0.f, 0.f};
  else if (op == "LeakyRelu")
    *p = {algorithm::eltwise_relu, attr_float(n, "alpha", 0.01f), 0.f};
  else if (op == "Tanh")
    *p = {algorithm::eltwise_tanh, 0.f, 0.f};
  else if (op == "Exp")
    *p = {algorithm::eltwise_exp, 0.f, 0.f};
  else if (op == "Sqrt")
    *p = {algorithm::eltwise_sqrt, 0.f, 0.f};
  else if (op == "Abs")
    *p = {algorithm::eltwise_abs, 0.f, 0.f};
  else if (op == "Neg")
    *p = {algorithm::eltwise_linear, -1.f, 0.f};
  else if (op == "HardSwish")
    *p = {algorithm::eltwise_hardswish, 0.f, 0.f};
  else if (op == "Clip") {
    float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
    if (g.opset < 11) {
      lo = attr_float(n, "min", lo);
      hi = attr_float(n, "max", hi);
    } else {
      for (size_t i = 1; i < 3; ++i) {
        if (!g.has_input(n, i)) continue;
        const Value& b = g.input_value(n, i);
        if (!b.is_constant()) return false;
        (i == 1 ? lo : hi) = static_cast<float>(element_as_double(b.data, 0));
      }
    }
    *p = {algorithm::eltwise_clip_v2, lo, hi};
  } else {
    return false;
  }
  return true;
}

}  // namespace

LayoutRule eltwise_layout_rule(const Graph& g, const Node& n) {
  EltwiseParams p;
  return eltwise_params(g, n, &p) ? LayoutRule::kUniform : LayoutRule::kPlainOnly;
}

std::unique_ptr<Kernel> make_eltwise_kernel(const KernelRequest& r) {
  EltwiseParams p;
  if (!eltwise_params(r.graph, r.node, &p)) return nullptr;
  const memory::desc md = plain_md({r.inputs[0].numel()});
  dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, p.alg, md, p.alpha, p.beta);
  dnnl::eltwise_forward::primitive_desc pd(d, primitive_attr(), r.context->engine);
  auto k = std::make_unique<PrimitiveKernel>(r.context);
  memory src = k->bind(md, r.inputs[0]);
  memory dst = k->bind(md, r.outputs[0]);
  k->add(pd, dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  return k;
}

}  // namespace ys::cpu
