// Convolution on oneDNN: bias and the fused activation run as part of the primitive, weights are
// reordered once into the format the chosen implementation wants.
#include "backends/cpu/cpu_ops.h"
#include "model/op_schema.h"

namespace ys::cpu {
namespace {

using dnnl::memory;

bool conv_supported(const Graph& g, const Node& n) {
  const Value& x = g.input_value(n, 0);
  const Value& w = g.input_value(n, 1);
  return is_4d_activation(x) && w.is_constant() && w.dtype == DType::kFloat32 &&
         w.shape.size() == 4 && (!g.has_input(n, 2) || g.input_value(n, 2).is_constant()) &&
         is_4d_activation(g.output_value(n, 0));
}

}  // namespace

LayoutRule conv_layout_rule(const Graph& g, const Node& n) {
  return conv_supported(g, n) ? LayoutRule::kFree : LayoutRule::kPlainOnly;
}

std::unique_ptr<Kernel> make_conv_kernel(const KernelRequest& r) {
  const Graph& g = r.graph;
  const Node& n = r.node;
  if (!conv_supported(g, n)) return nullptr;
  const Value& x = r.input_value(0);
  const Value& y = r.output_value(0);
  const Tensor& w = r.inputs[1];
  const int64_t m = w.dim(0), kc = w.dim(1), kh = w.dim(2), kw = w.dim(3);
  const int64_t group = attr_int(n, "group", 1);
  const std::vector<int64_t> strides = attr_ints(n, "strides", {1, 1});
  const std::vector<int64_t> dil = attr_ints(n, "dilations", {1, 1});
  const std::vector<int64_t> pads = conv_pads(n, x.shape, {kh, kw}, strides, dil);

  const memory::dims wdims =
      group == 1 ? memory::dims{m, kc, kh, kw} : memory::dims{group, m / group, kc, kh, kw};
  const auto wtag = group == 1 ? memory::format_tag::oihw : memory::format_tag::goihw;
  const bool has_bias = g.has_input(n, 2);
  const memory::desc bias_md =
      has_bias ? memory::desc({m}, memory::data_type::f32, memory::format_tag::x) : memory::desc();

  dnnl::post_ops po;
  if (n.activation == Activation::kSiLU)
    po.append_eltwise(1.f, dnnl::algorithm::eltwise_swish, 1.f, 0.f);
  if (n.activation == Activation::kSigmoid)
    po.append_eltwise(1.f, dnnl::algorithm::eltwise_logistic, 0.f, 0.f);

  // oneDNN counts dilation from 0 (no dilation), ONNX from 1.
  auto make_pd = [&](const memory::desc& src, const memory::desc& dst) {
    dnnl::convolution_forward::desc d(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src,
        memory::desc(wdims, memory::data_type::f32, memory::format_tag::any), bias_md, dst,
        {strides[0], strides[1]}, {dil[0] - 1, dil[1] - 1}, {pads[0], pads[1]}, {pads[2], pads[3]});
    return dnnl::convolution_forward::primitive_desc(d, primitive_attr(po), r.context->engine);
  };
  // A layout pairing no optimised implementation takes (plain in, NHWC out, as at the graph's
  // input) lands on the reference implementation, far slower than reordering around a fast one.
  // NHWC is the cheapest detour: every direct implementation here takes it.
  const memory::desc src_md = value_md(x), dst_md = value_md(y);
  auto with_tag = [](const memory::desc& md, memory::format_tag tag) {
    return memory::desc(md.dims(), memory::data_type::f32, tag);
  };
  const memory::desc candidates[][2] = {
      {src_md, dst_md},
      {src_md, with_tag(dst_md, memory::format_tag::nhwc)},
      {with_tag(src_md, memory::format_tag::nhwc), dst_md},
      {with_tag(src_md, memory::format_tag::nhwc), with_tag(dst_md, memory::format_tag::nhwc)},
      {with_tag(src_md, memory::format_tag::any), with_tag(dst_md, memory::format_tag::any)},
  };
  dnnl::convolution_forward::primitive_desc pd;
  for (const auto& [src, dst] : candidates) {
    pd = make_pd(src, dst);
    if (std::string(pd.impl_info_str()).rfind("ref", 0) != 0) break;
  }

  auto k = std::make_unique<PrimitiveKernel>(r.context);
  memory weights = k->own(pd.weights_desc());
  {
    memory user_w(memory::desc(wdims, memory::data_type::f32, wtag), r.context->engine, w.data());
    dnnl::reorder(user_w, weights).execute(r.context->stream, user_w, weights);
    r.context->stream.wait();
  }
  memory src = k->bind(src_md, r.inputs[0]);
  memory dst = k->bind(dst_md, r.outputs[0]);
  memory conv_src = src, conv_dst = dst;
  if (pd.src_desc() != src_md) {
    conv_src = k->own(pd.src_desc());
    dnnl::reorder::primitive_desc rpd(src, conv_src, primitive_attr());
    k->add(rpd, dnnl::reorder(rpd), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, conv_src}});
  }
  if (pd.dst_desc() != dst_md) conv_dst = k->own(pd.dst_desc());
  std::vector<std::pair<int, memory>> args = {
      {DNNL_ARG_SRC, conv_src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, conv_dst}};
  if (has_bias) args.emplace_back(DNNL_ARG_BIAS, k->bind(bias_md, r.inputs[2]));
  k->add(pd, dnnl::convolution_forward(pd), std::move(args));
  if (conv_dst != dst) {
    dnnl::reorder::primitive_desc rpd(conv_dst, dst, primitive_attr());
    k->add(rpd, dnnl::reorder(rpd), {{DNNL_ARG_FROM, conv_dst}, {DNNL_ARG_TO, dst}});
  }
  return k;
}

}  // namespace ys::cpu
