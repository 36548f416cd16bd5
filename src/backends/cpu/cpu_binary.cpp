// Add, Sub, Mul, Div, Max and Min on oneDNN's binary primitive. Operands of the output's shape
// are element-wise in any (shared) layout; broadcasting runs on plain tensors, where oneDNN
// broadcasts its second operand.
#include "backends/cpu/cpu_ops.h"
#include "model/op_schema.h"

namespace ys::cpu {
namespace {

using dnnl::memory;

bool binary_algorithm(const std::string& op, dnnl::algorithm* alg) {
  if (op == "Add")
    *alg = dnnl::algorithm::binary_add;
  else if (op == "Sub")
    *alg = dnnl::algorithm::binary_sub;
  else if (op == "Mul")
    *alg = dnnl::algorithm::binary_mul;
  else if (op == "Div")
    *alg = dnnl::algorithm::binary_div;
  else if (op == "Max")
    *alg = dnnl::algorithm::binary_max;
  else if (op == "Min")
    *alg = dnnl::algorithm::binary_min;
  else
    return false;
  return true;
}

bool commutative(const std::string& op) {
  return op != "Sub" && op != "Div";
}

bool float_operands(const Graph& g, const Node& n) {
  return g.input_value(n, 0).dtype == DType::kFloat32 &&
         g.input_value(n, 1).dtype == DType::kFloat32 &&
         g.output_value(n, 0).dtype == DType::kFloat32;
}

Shape padded(const Shape& s, size_t rank) {
  Shape p(rank - s.size(), 1);
  p.insert(p.end(), s.begin(), s.end());
  return p;
}

}  // namespace

LayoutRule binary_layout_rule(const Graph& g, const Node& n) {
  dnnl::algorithm alg;
  if (!binary_algorithm(n.op, &alg) || !float_operands(g, n)) return LayoutRule::kPlainOnly;
  const Value& a = g.input_value(n, 0);
  const Value& b = g.input_value(n, 1);
  const Value& y = g.output_value(n, 0);
  const bool elementwise =
      !a.is_constant() && !b.is_constant() && a.shape == y.shape && b.shape == y.shape;
  return elementwise ? LayoutRule::kUniform : LayoutRule::kPlainOnly;
}

std::unique_ptr<Kernel> make_binary_kernel(const KernelRequest& r) {
  dnnl::algorithm alg;
  if (!binary_algorithm(r.node.op, &alg) || !float_operands(r.graph, r.node)) return nullptr;
  const Shape& out = r.output_value(0).shape;
  const size_t rank = std::max<size_t>(out.size(), 1);
  const Tensor* a = &r.inputs[0];
  const Tensor* b = &r.inputs[1];
  memory::desc a_md, b_md, y_md;
  if (binary_layout_rule(r.graph, r.node) == LayoutRule::kUniform) {
    a_md = b_md = y_md = plain_md({a->numel()});
  } else {
    Shape sa = padded(a->shape(), rank), sb = padded(b->shape(), rank), so = padded(out, rank);
    if (sa != so && sb == so && commutative(r.node.op)) {
      std::swap(a, b);
      std::swap(sa, sb);
    }
    if (sa != so) return nullptr;  // oneDNN broadcasts only the second operand
    a_md = plain_md(sa);
    b_md = plain_md(sb);
    y_md = plain_md(so);
  }
  dnnl::binary::desc d(alg, a_md, b_md, y_md);
  dnnl::binary::primitive_desc pd(d, primitive_attr(), r.context->engine);
  auto k = std::make_unique<PrimitiveKernel>(r.context);
  memory src0 = k->bind(a_md, *a);
  memory src1 = k->bind(b_md, *b);
  memory dst = k->bind(y_md, r.outputs[0]);
  k->add(pd, dnnl::binary(pd),
         {{DNNL_ARG_SRC_0, src0}, {DNNL_ARG_SRC_1, src1}, {DNNL_ARG_DST, dst}});
  return k;
}

}  // namespace ys::cpu
