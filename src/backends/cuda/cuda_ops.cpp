#include "backends/cuda/cuda_ops.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "backends/cuda/cuda_kernels.h"
#include "core/error.h"
#include "model/op_schema.h"

namespace ys::cuda {
namespace {

class FnKernel final : public CudaKernel {
 public:
  FnKernel(std::shared_ptr<Context> ctx, std::string label, std::function<void(cudaStream_t)> fn)
      : CudaKernel(std::move(ctx), std::move(label)), fn_(std::move(fn)) {}
  void enqueue() override { fn_(ctx().s()); }

 private:
  std::function<void(cudaStream_t)> fn_;
};

std::unique_ptr<Kernel> make_fn(const KernelRequest& r, const char* what,
                                std::function<void(cudaStream_t)> fn) {
  return std::make_unique<FnKernel>(r.context, std::string("ys:cuda:") + what, std::move(fn));
}

// Logical axis -> physical axis for NHWC: N stays, C goes last, H and W move up one.
constexpr int64_t kNhwcAxis[4] = {0, 3, 1, 2};

std::unique_ptr<Kernel> make_cast(const KernelRequest& r) {
  const Value &in = r.input_value(0), &out = r.output_value(0);
  const Elem se = elem_of(in.dtype, describe(r.node)), de = elem_of(out.dtype, describe(r.node));
  const bool sn = in.layout == Layout::kNHWC, dn = out.layout == Layout::kNHWC;
  int64_t n = numel(in.shape), c = 1, h = 1, w = 1;
  if (sn != dn) {
    YS_CHECK(in.shape.size() == 4);
    n = in.shape[0], c = in.shape[1], h = in.shape[2], w = in.shape[3];
  }
  const void* src = r.inputs[0].data();
  void* dst = r.outputs[0].data();
  return make_fn(r, "cast",
                 [=](cudaStream_t s) { launch_cast(src, se, sn, dst, de, dn, n, c, h, w, s); });
}

std::unique_ptr<Kernel> make_copy(const KernelRequest& r) {
  YS_CHECK(r.input_value(0).layout == r.output_value(0).layout);
  const void* src = r.inputs[0].data();
  void* dst = r.outputs[0].data();
  const size_t bytes = r.outputs[0].nbytes();
  return make_fn(r, "copy", [=](cudaStream_t s) {
    if (src != dst) check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, s), "copy");
  });
}

std::unique_ptr<Kernel> make_unary(const KernelRequest& r, UnaryOp op) {
  const Elem e = elem_of(r.output_value(0).dtype, describe(r.node));
  const void* x = device_operand(r, 0, e);
  void* y = r.outputs[0].data();
  const int64_t count = r.outputs[0].numel();
  return make_fn(r, "unary", [=](cudaStream_t s) { launch_unary(x, y, e, count, op, s); });
}

std::unique_ptr<Kernel> make_binary(const KernelRequest& r, BinaryOp op) {
  const Value& out = r.output_value(0);
  const Elem e = elem_of(out.dtype, describe(r.node));
  const void* a = device_operand(r, 0, e);
  const void* b = device_operand(r, 1, e);
  void* y = r.outputs[0].data();
  const int64_t count = numel(out.shape);
  BinaryShape shape;
  const bool same = takes_nhwc(r.graph, r.node);
  if (same) {
    shape.rank = 1;
    shape.out[0] = count;
    shape.sa[0] = numel(r.input_value(0).shape) == 1 ? 0 : 1;
    shape.sb[0] = numel(r.input_value(1).shape) == 1 ? 0 : 1;
  } else {
    if (out.shape.size() > static_cast<size_t>(kMaxRank))
      fail(ErrorKind::kUnsupported, describe(r.node), ": rank above ", kMaxRank);
    shape.rank = static_cast<int>(out.shape.size());
    for (int side = 0; side < 2; ++side) {
      const Shape& s = r.input_value(static_cast<size_t>(side)).shape;
      const std::vector<int64_t> st = row_major_strides(s);
      const size_t lead = out.shape.size() - s.size();
      for (size_t d = 0; d < out.shape.size(); ++d) {
        int64_t stride = 0;
        if (d >= lead && s[d - lead] != 1) stride = st[d - lead];
        (side == 0 ? shape.sa : shape.sb)[d] = stride;
      }
    }
    for (size_t d = 0; d < out.shape.size(); ++d) shape.out[d] = out.shape[d];
  }
  return make_fn(r, "binary",
                 [=](cudaStream_t s) { launch_binary(a, b, y, e, op, shape, count, same, s); });
}

void outer_inner(const Shape& phys, int64_t axis, int64_t& outer, int64_t& inner) {
  outer = inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= phys[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < phys.size(); ++d) inner *= phys[d];
}

std::unique_ptr<Kernel> make_concat(const KernelRequest& r) {
  const Value& out = r.output_value(0);
  const int64_t axis = physical_axis(out, normalize_axis(r.node, attr_int(r.node, "axis", 0),
                                                         static_cast<int64_t>(out.shape.size())));
  if (r.node.inputs.size() > static_cast<size_t>(kMaxParts)) return nullptr;
  Parts parts;
  for (size_t i = 0; i < r.node.inputs.size(); ++i) {
    const Value& v = r.input_value(i);
    parts.ptr[parts.count] =
        const_cast<void*>(device_operand(r, i, elem_of(out.dtype, describe(r.node))));
    parts.len[parts.count++] = physical_shape(v)[static_cast<size_t>(axis)];
  }
  int64_t outer, inner;
  const Shape phys = physical_shape(out);
  outer_inner(phys, axis, outer, inner);
  const int64_t total = phys[static_cast<size_t>(axis)];
  void* dst = r.outputs[0].data();
  const size_t es = dtype_size(out.dtype);
  return make_fn(r, "concat",
                 [=](cudaStream_t s) { launch_concat(parts, dst, outer, total, inner, es, s); });
}

std::unique_ptr<Kernel> make_split(const KernelRequest& r) {
  const Value& in = r.input_value(0);
  const int64_t axis = physical_axis(in, normalize_axis(r.node, attr_int(r.node, "axis", 0),
                                                        static_cast<int64_t>(in.shape.size())));
  if (r.node.outputs.size() > static_cast<size_t>(kMaxParts)) return nullptr;
  // After cuda_concat_split_sources a Concat may read the Split's input instead of some of its
  // outputs; those that nobody reads any more are not written.
  auto read = [&](int v) {
    for (const Node& n : r.graph.nodes)
      if (std::find(n.inputs.begin(), n.inputs.end(), v) != n.inputs.end()) return true;
    return std::find(r.graph.outputs.begin(), r.graph.outputs.end(), v) != r.graph.outputs.end();
  };
  Parts parts;
  for (size_t i = 0; i < r.node.outputs.size(); ++i) {
    parts.ptr[parts.count] = read(r.node.outputs[i]) ? r.outputs[i].data() : nullptr;
    parts.len[parts.count++] = physical_shape(r.output_value(i))[static_cast<size_t>(axis)];
  }
  int64_t outer, inner;
  const Shape phys = physical_shape(in);
  outer_inner(phys, axis, outer, inner);
  const int64_t total = phys[static_cast<size_t>(axis)];
  const void* src = r.inputs[0].data();
  const size_t es = dtype_size(in.dtype);
  return make_fn(r, "split",
                 [=](cudaStream_t s) { launch_split(src, parts, outer, total, inner, es, s); });
}

std::unique_ptr<Kernel> make_gather(const KernelRequest& r, const char* what, const Gather& g) {
  const void* x = device_operand(r, 0, elem_of(r.output_value(0).dtype, describe(r.node)));
  void* y = r.outputs[0].data();
  const int64_t count = r.outputs[0].numel();
  const size_t es = dtype_size(r.output_value(0).dtype);
  return make_fn(r, what, [=](cudaStream_t s) { launch_gather(x, y, g, count, es, s); });
}

std::unique_ptr<Kernel> make_transpose(const KernelRequest& r) {
  const Value& in = r.input_value(0);
  const Value& out = r.output_value(0);
  if (in.shape.size() > static_cast<size_t>(kMaxRank)) return nullptr;
  const std::vector<int64_t> perm = transpose_perm(r.node, in.shape.size());
  const std::vector<int64_t> st = row_major_strides(in.shape);
  Gather g;
  g.rank = static_cast<int>(out.shape.size());
  for (size_t d = 0; d < out.shape.size(); ++d) {
    g.out[d] = out.shape[d];
    g.stride[d] = st[static_cast<size_t>(perm[d])];
  }
  return make_gather(r, "transpose", g);
}

std::unique_ptr<Kernel> make_slice(const KernelRequest& r) {
  const Value& in = r.input_value(0);
  const Value& out = r.output_value(0);
  if (in.shape.size() > static_cast<size_t>(kMaxRank)) return nullptr;
  const SliceParams p = slice_params(r.graph, r.node);
  const std::vector<int64_t> st = row_major_strides(in.shape);
  Gather g;
  g.rank = static_cast<int>(out.shape.size());
  for (size_t d = 0; d < out.shape.size(); ++d) {
    g.out[d] = out.shape[d];
    g.stride[d] = st[d];
  }
  for (size_t k = 0; k < p.axes.size(); ++k) {
    const size_t d = static_cast<size_t>(p.axes[k]);
    g.offset += p.starts[k] * st[d];
    g.stride[d] = st[d] * p.steps[k];
  }
  return make_gather(r, "slice", g);
}

std::unique_ptr<Kernel> make_maxpool(const KernelRequest& r) {
  const Value& in = r.input_value(0);
  const Value& out = r.output_value(0);
  if (in.shape.size() != 4 || in.layout != Layout::kNHWC) return nullptr;
  const std::vector<int64_t> k = attr_ints(r.node, "kernel_shape");
  const std::vector<int64_t> strides = attr_ints(r.node, "strides", {1, 1});
  const std::vector<int64_t> dil = attr_ints(r.node, "dilations", {1, 1});
  const std::vector<int64_t> pads = conv_pads(r.node, in.shape, k, strides, dil);
  PoolShape p{in.shape[0],
              in.shape[2],
              in.shape[3],
              in.shape[1],
              out.shape[2],
              out.shape[3],
              static_cast<int>(k[0]),
              static_cast<int>(k[1]),
              static_cast<int>(strides[0]),
              static_cast<int>(strides[1]),
              static_cast<int>(pads[0]),
              static_cast<int>(pads[1]),
              static_cast<int>(dil[0]),
              static_cast<int>(dil[1])};
  const Elem e = elem_of(out.dtype, describe(r.node));
  const void* x = r.inputs[0].data();
  void* y = r.outputs[0].data();
  return make_fn(r, "maxpool", [=](cudaStream_t s) { launch_maxpool_nhwc(x, y, e, p, s); });
}

std::unique_ptr<Kernel> make_resize(const KernelRequest& r) {
  const Value& in = r.input_value(0);
  const Value& out = r.output_value(0);
  if (attr_string(r.node, "mode", "nearest") != "nearest" || in.shape.size() != 4) return nullptr;
  const std::vector<float> scales = resize_scales(r.graph, r.node);
  ResizeShape rs{};
  const bool nhwc = in.layout == Layout::kNHWC;
  for (int64_t d = 0; d < 4; ++d) {
    std::vector<int32_t> map;
    for (int64_t o = 0; o < out.shape[static_cast<size_t>(d)]; ++o) {
      map.push_back(static_cast<int32_t>(resize_nearest_source(
          r.node, o, scales[static_cast<size_t>(d)], in.shape[static_cast<size_t>(d)],
          out.shape[static_cast<size_t>(d)])));
    }
    const size_t pd = static_cast<size_t>(nhwc ? kNhwcAxis[d] : d);
    if (pd == 3) {
      rs.last_is_copy = in.shape[static_cast<size_t>(d)] == out.shape[static_cast<size_t>(d)];
      for (size_t o = 0; o < map.size(); ++o)
        rs.last_is_copy = rs.last_is_copy && map[o] == static_cast<int32_t>(o);
    }
    rs.in[pd] = in.shape[static_cast<size_t>(d)];
    rs.out[pd] = out.shape[static_cast<size_t>(d)];
    rs.maps[pd] =
        static_cast<const int32_t*>(r.context->upload(map.data(), map.size() * sizeof(int32_t)));
  }
  const void* x = r.inputs[0].data();
  void* y = r.outputs[0].data();
  const size_t es = dtype_size(out.dtype);
  return make_fn(r, "resize_nearest",
                 [=](cudaStream_t s) { launch_resize_nearest(x, y, rs, es, s); });
}

std::unique_ptr<Kernel> make_softmax(const KernelRequest& r) {
  const Value& in = r.input_value(0);
  const int64_t rank = static_cast<int64_t>(in.shape.size());
  const bool legacy = r.graph.opset < 13;
  const int64_t axis =
      normalize_axis(r.node, attr_int(r.node, "axis", legacy ? 1 : -1), std::max<int64_t>(rank, 1));
  int64_t outer = 1, len = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= in.shape[static_cast<size_t>(i)];
  if (legacy) {
    for (int64_t i = axis; i < rank; ++i) len *= in.shape[static_cast<size_t>(i)];
  } else {
    len = in.shape[static_cast<size_t>(axis)];
    for (int64_t i = axis + 1; i < rank; ++i) inner *= in.shape[static_cast<size_t>(i)];
  }
  const Elem e = elem_of(in.dtype, describe(r.node));
  const void* x = r.inputs[0].data();
  void* y = r.outputs[0].data();
  return make_fn(r, "softmax",
                 [=](cudaStream_t s) { launch_softmax(x, y, e, outer, len, inner, s); });
}

}  // namespace

Shape physical_shape(const Value& v) {
  if (v.layout != Layout::kNHWC) return v.shape;
  return {v.shape[0], v.shape[2], v.shape[3], v.shape[1]};
}

int64_t physical_axis(const Value& v, int64_t axis) {
  return v.layout == Layout::kNHWC ? kNhwcAxis[axis] : axis;
}

const void* device_operand(const KernelRequest& r, size_t input, Elem elem) {
  const Value& v = r.input_value(input);
  if (!v.is_constant()) return r.inputs[input].data();
  const Tensor& t = v.data;
  const int64_t n = t.numel();
  if (elem == Elem::kF16) {
    std::vector<uint16_t> h(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
      h[static_cast<size_t>(i)] = float_to_half(static_cast<float>(element_as_double(t, i)));
    return r.context->upload(h.data(), h.size() * sizeof(uint16_t));
  }
  std::vector<float> f(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    f[static_cast<size_t>(i)] = static_cast<float>(element_as_double(t, i));
  return r.context->upload(f.data(), f.size() * sizeof(float));
}

namespace {

// Format rules: whether an op's kernel reads and writes NHWC activations.
bool plain(const Graph&, const Node&) {
  return false;
}

bool nhwc(const Graph&, const Node&) {
  return true;
}

// Element-wise in any layout as long as nothing broadcasts along a real axis.
bool nhwc_unless_broadcast(const Graph& g, const Node& n) {
  const Shape& out = g.output_value(n, 0).shape;
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    const Value& v = g.input_value(n, i);
    if (numel(v.shape) != 1 && (v.is_constant() || v.shape != out)) return false;
  }
  return true;
}

struct CudaOp {
  const char* op;
  bool (*takes_nhwc)(const Graph& g, const Node& n);
  std::unique_ptr<Kernel> (*make)(const KernelRequest& r);
};

const CudaOp kOps[] = {
    {"Conv", nhwc, make_conv_kernel},
    {"MatMul", plain, make_matmul_kernel},
    {"Cast", plain, make_cast},
    {"Reshape", plain, make_copy},
    {"Flatten", plain, make_copy},
    {"Squeeze", plain, make_copy},
    {"Unsqueeze", plain, make_copy},
    {"Identity", nhwc, make_copy},
    {"Sigmoid", nhwc, [](const KernelRequest& r) { return make_unary(r, UnaryOp::kSigmoid); }},
    {"Relu", nhwc, [](const KernelRequest& r) { return make_unary(r, UnaryOp::kRelu); }},
    {"Add", nhwc_unless_broadcast,
     [](const KernelRequest& r) { return make_binary(r, BinaryOp::kAdd); }},
    {"Sub", nhwc_unless_broadcast,
     [](const KernelRequest& r) { return make_binary(r, BinaryOp::kSub); }},
    {"Mul", nhwc_unless_broadcast,
     [](const KernelRequest& r) { return make_binary(r, BinaryOp::kMul); }},
    {"Div", nhwc_unless_broadcast,
     [](const KernelRequest& r) { return make_binary(r, BinaryOp::kDiv); }},
    {"Max", nhwc_unless_broadcast,
     [](const KernelRequest& r) { return make_binary(r, BinaryOp::kMax); }},
    {"Min", nhwc_unless_broadcast,
     [](const KernelRequest& r) { return make_binary(r, BinaryOp::kMin); }},
    {"Concat", nhwc, make_concat},
    {"Split", nhwc, make_split},
    {"Transpose", plain, make_transpose},
    {"Slice", plain, make_slice},
    {"MaxPool", nhwc, make_maxpool},
    {"Resize", nhwc, make_resize},
    {"Softmax", plain, make_softmax},
};

const CudaOp* find_op(const Node& n) {
  if (!n.domain.empty()) return nullptr;
  for (const CudaOp& o : kOps) {
    if (n.op == o.op) return &o;
  }
  return nullptr;
}

}  // namespace

bool has_kernel(const Node& n) {
  return find_op(n) != nullptr;
}

bool takes_nhwc(const Graph& g, const Node& n) {
  const CudaOp* o = find_op(n);
  return o && o->takes_nhwc(g, n);
}

std::unique_ptr<Kernel> make_kernel(const KernelRequest& r) {
  const CudaOp* o = find_op(r.node);
  return o ? o->make(r) : nullptr;
}

}  // namespace ys::cuda
