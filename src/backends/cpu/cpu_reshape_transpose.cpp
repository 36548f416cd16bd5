// Reshape, Flatten, Squeeze, Unsqueeze and Identity as one parallel memcpy (the planner gives
// every value its own bytes, so aliasing is not an option), and Transpose and Slice as strided
// copies whose inner loop walks the last output axis.
#include <cstring>

#include "backends/cpu/cpu_copy.h"
#include "backends/cpu/cpu_ops.h"
#include "model/op_schema.h"

namespace ys::cpu {
namespace {

// dst[index] = src[sum over d of index[d] * src_strides[d]], dst dense of out_shape.
template <typename T>
void strided_rows(const T* src, T* dst, const std::vector<int64_t>& out_shape,
                  const std::vector<int64_t>& src_strides, int threads, bool parallel) {
  const size_t r = out_shape.size();
  const int64_t last = out_shape[r - 1], last_stride = src_strides[r - 1];
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < r; ++d) rows *= out_shape[d];
#pragma omp parallel for num_threads(threads) schedule(static) if (parallel)
  for (int64_t row = 0; row < rows; ++row) {
    int64_t off = 0, rem = row;
    for (size_t d = r - 1; d-- > 0;) {
      off += (rem % out_shape[d]) * src_strides[d];
      rem /= out_shape[d];
    }
    T* o = dst + row * last;
    const T* s = src + off;
    if (last_stride == 1) {
      std::memcpy(o, s, static_cast<size_t>(last) * sizeof(T));
    } else {
      for (int64_t i = 0; i < last; ++i) o[i] = s[i * last_stride];
    }
  }
}

// A kernel copying `out` from `in` viewed with `src_strides` from element `offset` on.
std::unique_ptr<Kernel> make_strided_kernel(const char* label, const KernelRequest& r,
                                            const std::vector<int64_t>& src_strides,
                                            int64_t offset) {
  const Tensor& x = r.inputs[0];
  const size_t es = dtype_size(x.dtype());
  const Shape out_shape = r.outputs[0].shape();
  if (out_shape.empty() || r.outputs[0].numel() == 0 || (es != 4 && es != 8)) return nullptr;
  const int threads = r.context->threads;
  const bool parallel = threads > 1 && r.outputs[0].nbytes() >= 64 * 1024;
  void* dst = r.outputs[0].data();
  const std::byte* src =
      static_cast<const std::byte*>(x.data()) + offset * static_cast<int64_t>(es);
  return make_lambda_kernel(label, [=] {
    if (es == 4) {
      strided_rows(reinterpret_cast<const uint32_t*>(src), static_cast<uint32_t*>(dst), out_shape,
                   src_strides, threads, parallel);
    } else {
      strided_rows(reinterpret_cast<const uint64_t*>(src), static_cast<uint64_t*>(dst), out_shape,
                   src_strides, threads, parallel);
    }
  });
}

}  // namespace

LayoutRule copy_layout_rule(const Graph& /*g*/, const Node& n) {
  return n.op == "Identity" ? LayoutRule::kUniform : LayoutRule::kPlainOnly;
}

std::unique_ptr<Kernel> make_copy_kernel(const KernelRequest& r) {
  void* dst = r.outputs[0].data();
  const void* src = r.inputs[0].data();
  const size_t bytes = r.inputs[0].nbytes();
  const int threads = r.context->threads;
  return make_lambda_kernel("cpu:copy", [=] { parallel_memcpy(dst, src, bytes, threads); });
}

std::unique_ptr<Kernel> make_transpose_kernel(const KernelRequest& r) {
  const Tensor& x = r.inputs[0];
  if (x.rank() == 0) return nullptr;
  const std::vector<int64_t> perm = transpose_perm(r.node, x.rank());
  const std::vector<int64_t> in_strides = row_major_strides(x.shape());
  std::vector<int64_t> src_strides(x.rank());
  for (size_t i = 0; i < perm.size(); ++i)
    src_strides[i] = in_strides[static_cast<size_t>(perm[i])];
  return make_strided_kernel("cpu:transpose", r, src_strides, 0);
}

std::unique_ptr<Kernel> make_slice_kernel(const KernelRequest& r) {
  const SliceParams p = slice_params(r.graph, r.node);
  const std::vector<int64_t> in_strides = row_major_strides(r.inputs[0].shape());
  std::vector<int64_t> src_strides = in_strides;
  int64_t offset = 0;
  for (size_t k = 0; k < p.axes.size(); ++k) {
    const auto a = static_cast<size_t>(p.axes[k]);
    offset += p.starts[k] * in_strides[a];
    src_strides[a] = in_strides[a] * p.steps[k];
  }
  return make_strided_kernel("cpu:slice", r, src_strides, offset);
}

}  // namespace ys::cpu
