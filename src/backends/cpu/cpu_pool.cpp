// MaxPool and AveragePool on oneDNN's pooling (dilated form), in whatever layout their
// activations have.
#include <algorithm>

#include "backends/cpu/cpu_ops.h"
#include "model/op_schema.h"

namespace ys::cpu {
namespace {

using dnnl::memory;

struct PoolParams {
  std::vector<int64_t> kernel, strides, dilations, pad_l, pad_r;
  dnnl::algorithm alg = dnnl::algorithm::pooling_max;
};

// Right padding that yields the inferred output size: ceil_mode windows may reach past the
// explicit padding. Returns false for a form oneDNN would compute differently.
bool pool_params(const Graph& g, const Node& n, PoolParams* p) {
  if (n.outputs.size() > 1 && n.outputs[1] >= 0) return false;  // MaxPool's Indices output
  const Value& x = g.input_value(n, 0);
  const Value& y = g.output_value(n, 0);
  if (!is_4d_activation(x) || !is_4d_activation(y)) return false;
  p->kernel = attr_ints(n, "kernel_shape");
  if (p->kernel.size() != 2) return false;
  p->strides = attr_ints(n, "strides", {1, 1});
  p->dilations = attr_ints(n, "dilations", {1, 1});
  const std::vector<int64_t> pads = conv_pads(n, x.shape, p->kernel, p->strides, p->dilations);
  const bool include_pad = attr_int(n, "count_include_pad", 0) != 0;
  p->pad_l.clear();
  p->pad_r.clear();
  for (size_t i = 0; i < 2; ++i) {
    const int64_t in = x.shape[2 + i], out = y.shape[2 + i];
    const int64_t span = p->dilations[i] * (p->kernel[i] - 1) + 1;
    const int64_t needed = (out - 1) * p->strides[i] + span - in - pads[i];
    int64_t right = pads[2 + i];
    if ((in + pads[i] + right - span) / p->strides[i] + 1 != out) right = needed;
    // With count_include_pad ONNX divides by the window clipped to the explicit padding, oneDNN
    // by the full window: they differ once a ceil_mode window reaches further.
    if (n.op == "AveragePool" && include_pad && right > pads[2 + i]) return false;
    p->pad_l.push_back(pads[i]);
    p->pad_r.push_back(right);
  }
  if (n.op == "MaxPool") {
    p->alg = dnnl::algorithm::pooling_max;
  } else {
    p->alg = include_pad ? dnnl::algorithm::pooling_avg_include_padding
                         : dnnl::algorithm::pooling_avg_exclude_padding;
  }
  return true;
}

}  // namespace

LayoutRule pool_layout_rule(const Graph& g, const Node& n) {
  PoolParams p;
  return pool_params(g, n, &p) ? LayoutRule::kFree : LayoutRule::kPlainOnly;
}

std::unique_ptr<Kernel> make_pool_kernel(const KernelRequest& r) {
  PoolParams p;
  if (!pool_params(r.graph, r.node, &p)) return nullptr;
  const memory::desc src_md = value_md(r.input_value(0)), dst_md = value_md(r.output_value(0));
  memory::dims dil = {p.dilations[0] - 1, p.dilations[1] - 1};
  dnnl::pooling_v2_forward::desc d(dnnl::prop_kind::forward_inference, p.alg, src_md, dst_md,
                                   to_dims(p.strides), to_dims(p.kernel), dil, to_dims(p.pad_l),
                                   to_dims(p.pad_r));
  dnnl::pooling_v2_forward::primitive_desc pd(d, primitive_attr(), r.context->engine);
  auto k = std::make_unique<PrimitiveKernel>(r.context);
  memory src = k->bind(src_md, r.inputs[0]);
  memory dst = k->bind(dst_md, r.outputs[0]);
  k->add(pd, dnnl::pooling_v2_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  return k;
}

}  // namespace ys::cpu
