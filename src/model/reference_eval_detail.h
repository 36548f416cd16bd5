// Internal to the reference evaluator (src/model/reference_eval*.cpp): the broadcasting walk its
// element-wise and matrix ops share, and the compute-heavy ops, which live in their own file
// (reference_eval_nn.cpp) beside the data-movement and element-wise ones.
#pragma once

#include <vector>

#include "core/tensor.h"
#include "model/graph.h"

namespace ys::reference_detail {

// Row-major strides, with stride 0 on broadcast dimensions when `s` is aligned right to `out`.
inline std::vector<int64_t> broadcast_strides(const Shape& s, const Shape& out) {
  std::vector<int64_t> st(out.size(), 0);
  int64_t acc = 1;
  for (size_t k = 0; k < s.size(); ++k) {
    size_t i = s.size() - 1 - k;
    size_t o = out.size() - 1 - k;
    st[o] = s[i] == 1 ? 0 : acc;
    acc *= s[i];
  }
  return st;
}

// Walks every element of `out`, giving the flat offsets into each broadcast input.
template <typename F>
void for_each_broadcast(const Shape& out, const std::vector<std::vector<int64_t>>& strides, F&& f) {
  const int64_t total = numel(out);
  const size_t r = out.size();
  std::vector<int64_t> idx(r, 0), off(strides.size(), 0);
  for (int64_t e = 0; e < total; ++e) {
    f(e, off);
    for (size_t d = r; d-- > 0;) {
      ++idx[d];
      for (size_t k = 0; k < strides.size(); ++k) off[k] += strides[k][d];
      if (idx[d] < out[d]) break;
      for (size_t k = 0; k < strides.size(); ++k) off[k] -= strides[k][d] * out[d];
      idx[d] = 0;
    }
  }
}

using Tensors = std::vector<Tensor>;

void eval_conv(const Graph& g, const Node& n, const Tensors& in, const Tensors& outs);
void eval_pool(const Graph& g, const Node& n, const Tensors& in, const Tensors& outs);
void eval_global_pool(const Graph& g, const Node& n, const Tensors& in, const Tensors& outs);
void eval_resize(const Graph& g, const Node& n, const Tensors& in, const Tensors& outs);
void eval_softmax(const Graph& g, const Node& n, const Tensors& in, const Tensors& outs);
void eval_matmul(const Graph& g, const Node& n, const Tensors& in, const Tensors& outs);
void eval_gemm(const Graph& g, const Node& n, const Tensors& in, const Tensors& outs);

}  // namespace ys::reference_detail
