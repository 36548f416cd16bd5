// Softmax and MatMul on plain tensors (both read dimensions in NCHW order). oneDNN's softmax is
// fast only over the innermost axis; over any other axis (YOLOv8's DFL: 16 bins of [1, 16, 4,
// 8400] on axis 1) it falls to a reference loop, so there we run our own passes around oneDNN's
// vectorised exp.
#include <algorithm>
#include <limits>

#include "backends/cpu/cpu_ops.h"
#include "model/op_schema.h"

namespace ys::cpu {
namespace {

using dnnl::memory;

// Softmax over the middle axis of an [outer, len, inner] tensor: subtract the max, exp in place
// on oneDNN, then normalise. Each task owns a run of `inner` so the passes stay cache-resident.
class StridedSoftmaxKernel final : public Kernel {
 public:
  StridedSoftmaxKernel(const KernelRequest& r, int64_t outer, int64_t len, int64_t inner)
      : src_(r.inputs[0].ptr<float>()),
        dst_(r.outputs[0].ptr<float>()),
        outer_(outer),
        len_(len),
        inner_(inner),
        threads_(r.context->threads),
        exp_(r.context) {
    const memory::desc md = plain_md({r.outputs[0].numel()});
    dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::eltwise_exp,
                                  md, 0.f, 0.f);
    dnnl::eltwise_forward::primitive_desc pd(d, primitive_attr(), r.context->engine);
    memory data = exp_.bind(md, r.outputs[0]);
    exp_.add(pd, dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, data}, {DNNL_ARG_DST, data}});
    label_ = "cpu:softmax_strided+" + exp_.implementation();
  }

  void run() override {
    for_each_run([this](int64_t base, int64_t n) {
      float m[kRun];
      std::fill(m, m + n, -std::numeric_limits<float>::infinity());
      for (int64_t k = 0; k < len_; ++k) {
        const float* x = src_ + base + k * inner_;
        for (int64_t i = 0; i < n; ++i) m[i] = std::max(m[i], x[i]);
      }
      for (int64_t k = 0; k < len_; ++k) {
        const float* x = src_ + base + k * inner_;
        float* y = dst_ + base + k * inner_;
        for (int64_t i = 0; i < n; ++i) y[i] = x[i] - m[i];
      }
    });
    exp_.run();
    for_each_run([this](int64_t base, int64_t n) {
      float sum[kRun] = {};
      for (int64_t k = 0; k < len_; ++k) {
        const float* y = dst_ + base + k * inner_;
        for (int64_t i = 0; i < n; ++i) sum[i] += y[i];
      }
      for (int64_t i = 0; i < n; ++i) sum[i] = 1.f / sum[i];
      for (int64_t k = 0; k < len_; ++k) {
        float* y = dst_ + base + k * inner_;
        for (int64_t i = 0; i < n; ++i) y[i] *= sum[i];
      }
    });
  }
  std::string implementation() const override { return label_; }

 private:
  static constexpr int64_t kRun = 512;

  template <typename Fn>
  void for_each_run(Fn fn) const {
    const int64_t runs = (inner_ + kRun - 1) / kRun;
#pragma omp parallel for num_threads(threads_) schedule(static)
    for (int64_t t = 0; t < outer_ * runs; ++t) {
      const int64_t o = t / runs, i0 = (t % runs) * kRun;
      fn(o * len_ * inner_ + i0, std::min(kRun, inner_ - i0));
    }
  }

  const float* src_;
  float* dst_;
  int64_t outer_, len_, inner_;
  int threads_;
  PrimitiveKernel exp_;
  std::string label_;
};

}  // namespace

std::unique_ptr<Kernel> make_softmax_kernel(const KernelRequest& r) {
  const Value& x = r.input_value(0);
  if (!is_float_activation(x) || x.shape.empty()) return nullptr;
  const auto rank = static_cast<int64_t>(x.shape.size());
  const bool legacy = r.graph.opset < 13;
  int64_t axis = normalize_axis(r.node, attr_int(r.node, "axis", legacy ? 1 : -1), rank);
  Shape shape = x.shape;
  if (legacy) {  // before opset 13 the input is coerced to 2-D at `axis`
    int64_t outer = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= x.shape[static_cast<size_t>(i)];
    shape = {outer, numel(x.shape) / std::max<int64_t>(outer, 1)};
    axis = 1;
  }
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= shape[static_cast<size_t>(i)];
  for (size_t i = static_cast<size_t>(axis) + 1; i < shape.size(); ++i) inner *= shape[i];
  if (inner > 1)
    return std::make_unique<StridedSoftmaxKernel>(r, outer, shape[static_cast<size_t>(axis)],
                                                  inner);
  const memory::desc md = plain_md(shape);
  dnnl::softmax_forward::desc d(dnnl::prop_kind::forward_inference, md, static_cast<int>(axis));
  dnnl::softmax_forward::primitive_desc pd(d, primitive_attr(), r.context->engine);
  auto k = std::make_unique<PrimitiveKernel>(r.context);
  memory src = k->bind(md, r.inputs[0]);
  memory dst = k->bind(md, r.outputs[0]);
  k->add(pd, dnnl::softmax_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  return k;
}

std::unique_ptr<Kernel> make_matmul_kernel(const KernelRequest& r) {
  const Value& a = r.input_value(0);
  const Value& b = r.input_value(1);
  const Value& y = r.output_value(0);
  if (a.dtype != DType::kFloat32 || b.dtype != DType::kFloat32 || a.shape.size() < 2 ||
      b.shape.size() < 2) {
    return nullptr;
  }
  // oneDNN wants operands of equal rank; missing batch dimensions broadcast like size-1 ones.
  const size_t rank = y.shape.size();
  auto padded = [rank](Shape s) {
    s.insert(s.begin(), rank - s.size(), 1);
    return s;
  };
  const memory::desc a_md = plain_md(padded(a.shape)), b_md = plain_md(padded(b.shape)),
                     y_md = plain_md(y.shape);
  dnnl::matmul::desc d(a_md, b_md, y_md);
  dnnl::matmul::primitive_desc pd(d, primitive_attr(), r.context->engine);
  auto k = std::make_unique<PrimitiveKernel>(r.context);
  memory src = k->bind(a_md, r.inputs[0]);
  memory weights = k->bind(b_md, r.inputs[1]);
  memory dst = k->bind(y_md, r.outputs[0]);
  k->add(pd, dnnl::matmul(pd),
         {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}});
  return k;
}

}  // namespace ys::cpu
