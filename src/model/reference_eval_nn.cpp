// The reference evaluator's compute-heavy ops: convolution, pooling, resize, softmax and the
// matrix products. Plain loops in float32, written for obvious correctness, not speed.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "model/op_schema.h"
#include "model/reference_eval_detail.h"

namespace ys::reference_detail {

void eval_conv(const Graph& g, const Node& n, const std::vector<Tensor>& in,
               const std::vector<Tensor>& outs) {
  const Tensor& out = outs[0];
  const Tensor& x = in[0];
  const Tensor& w = in[1];
  const float* bias = in.size() > 2 && !in[2].empty() ? in[2].ptr<float>() : nullptr;
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  const int64_t M = w.dim(0), KC = w.dim(1), KH = w.dim(2), KW = w.dim(3);
  const int64_t OH = out.dim(2), OW = out.dim(3);
  const int64_t group = attr_int(n, "group", 1);
  std::vector<int64_t> strides = attr_ints(n, "strides", {1, 1});
  std::vector<int64_t> dil = attr_ints(n, "dilations", {1, 1});
  std::vector<int64_t> pads = conv_pads(n, x.shape(), {KH, KW}, strides, dil);
  (void)g;
  (void)C;
  const int64_t m_per_g = M / group;
  const float* px = x.ptr<float>();
  const float* pw = w.ptr<float>();
  float* po = out.ptr<float>();
  for (int64_t b = 0; b < N; ++b) {
    for (int64_t m = 0; m < M; ++m) {
      float* o = po + (b * M + m) * OH * OW;
      std::fill(o, o + OH * OW, bias ? bias[m] : 0.f);
      const int64_t gi = m / m_per_g;
      for (int64_t kc = 0; kc < KC; ++kc) {
        const float* xi = px + ((b * x.dim(1)) + gi * KC + kc) * H * W;
        for (int64_t kh = 0; kh < KH; ++kh) {
          for (int64_t kw = 0; kw < KW; ++kw) {
            const float wv = pw[((m * KC + kc) * KH + kh) * KW + kw];
            for (int64_t oh = 0; oh < OH; ++oh) {
              const int64_t ih = oh * strides[0] - pads[0] + kh * dil[0];
              if (ih < 0 || ih >= H) continue;
              for (int64_t ow = 0; ow < OW; ++ow) {
                const int64_t iw = ow * strides[1] - pads[1] + kw * dil[1];
                if (iw >= 0 && iw < W) o[oh * OW + ow] += wv * xi[ih * W + iw];
              }
            }
          }
        }
      }
      if (n.activation == Activation::kSiLU) {
        for (int64_t i = 0; i < OH * OW; ++i) o[i] = o[i] / (1.f + std::exp(-o[i]));
      } else if (n.activation == Activation::kSigmoid) {
        for (int64_t i = 0; i < OH * OW; ++i) o[i] = 1.f / (1.f + std::exp(-o[i]));
      }
    }
  }
}

void eval_pool(const Graph&, const Node& n, const std::vector<Tensor>& in,
               const std::vector<Tensor>& outs) {
  const Tensor& out = outs[0];
  const Tensor& x = in[0];
  const bool is_max = n.op == "MaxPool";
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  const int64_t OH = out.dim(2), OW = out.dim(3);
  std::vector<int64_t> k = attr_ints(n, "kernel_shape");
  std::vector<int64_t> s = attr_ints(n, "strides", {1, 1});
  std::vector<int64_t> d = attr_ints(n, "dilations", {1, 1});
  std::vector<int64_t> pads = conv_pads(n, x.shape(), k, s, d);
  const bool include_pad = attr_int(n, "count_include_pad", 0) != 0;
  const float* px = x.ptr<float>();
  float* po = out.ptr<float>();
  for (int64_t p = 0; p < N * C; ++p) {
    const float* xi = px + p * H * W;
    float* o = po + p * OH * OW;
    for (int64_t oh = 0; oh < OH; ++oh) {
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t h0 = oh * s[0] - pads[0], w0 = ow * s[1] - pads[1];
        if (is_max) {
          float best = -std::numeric_limits<float>::infinity();
          for (int64_t kh = 0; kh < k[0]; ++kh) {
            const int64_t ih = h0 + kh * d[0];
            if (ih < 0 || ih >= H) continue;
            for (int64_t kw = 0; kw < k[1]; ++kw) {
              const int64_t iw = w0 + kw * d[1];
              if (iw >= 0 && iw < W) best = std::max(best, xi[ih * W + iw]);
            }
          }
          o[oh * OW + ow] = best;
        } else {
          const int64_t h1 = std::min(h0 + k[0], H + pads[2]),
                        w1 = std::min(w0 + k[1], W + pads[3]);
          const int64_t padded_count = (h1 - h0) * (w1 - w0);
          double sum = 0;
          int64_t count = 0;
          for (int64_t ih = std::max<int64_t>(h0, 0); ih < std::min(h1, H); ++ih) {
            for (int64_t iw = std::max<int64_t>(w0, 0); iw < std::min(w1, W); ++iw) {
              sum += xi[ih * W + iw];
              ++count;
            }
          }
          const int64_t div = include_pad ? padded_count : count;
          o[oh * OW + ow] = div ? static_cast<float>(sum / static_cast<double>(div)) : 0.f;
        }
      }
    }
  }
}

void eval_global_pool(const Graph&, const Node&, const std::vector<Tensor>& in,
                      const std::vector<Tensor>& outs) {
  const Tensor& out = outs[0];
  const Tensor& x = in[0];
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t area = x.numel() / std::max<int64_t>(planes, 1);
  for (int64_t p = 0; p < planes; ++p) {
    double sum = 0;
    for (int64_t i = 0; i < area; ++i) sum += x.ptr<float>()[p * area + i];
    out.ptr<float>()[p] = static_cast<float>(sum / static_cast<double>(area));
  }
}

void eval_resize(const Graph& g, const Node& n, const std::vector<Tensor>& in,
                 const std::vector<Tensor>& outs) {
  const Tensor& out = outs[0];
  const Tensor& x = in[0];
  std::vector<float> scales = resize_scales(g, n);
  const size_t r = x.rank();
  std::vector<std::vector<int64_t>> maps(r);
  for (size_t d = 0; d < r; ++d) {
    for (int64_t o = 0; o < out.dim(d); ++o)
      maps[d].push_back(resize_nearest_source(n, o, scales[d], x.dim(d), out.dim(d)));
  }
  std::vector<int64_t> st = row_major_strides(x.shape());
  const size_t es = dtype_size(x.dtype());
  std::vector<int64_t> idx(r, 0);
  for (int64_t e = 0; e < out.numel(); ++e) {
    int64_t off = 0;
    for (size_t d = 0; d < r; ++d) off += maps[d][static_cast<size_t>(idx[d])] * st[d];
    std::memcpy(static_cast<std::byte*>(out.data()) + e * static_cast<int64_t>(es),
                static_cast<const std::byte*>(x.data()) + off * static_cast<int64_t>(es), es);
    for (size_t d = r; d-- > 0;) {
      if (++idx[d] < out.dim(d)) break;
      idx[d] = 0;
    }
  }
}

void eval_softmax(const Graph& g, const Node& n, const std::vector<Tensor>& in,
                  const std::vector<Tensor>& outs) {
  const Tensor& out = outs[0];
  const Tensor& x = in[0];
  const int64_t r = static_cast<int64_t>(x.rank());
  const bool legacy = g.opset < 13;
  int64_t axis = normalize_axis(n, attr_int(n, "axis", legacy ? 1 : -1), std::max<int64_t>(r, 1));
  int64_t outer = 1, len = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= x.dim(static_cast<size_t>(i));
  if (legacy) {  // coerced to 2-D: softmax over everything from axis on
    for (int64_t i = axis; i < r; ++i) len *= x.dim(static_cast<size_t>(i));
  } else {
    len = x.dim(static_cast<size_t>(axis));
    for (int64_t i = axis + 1; i < r; ++i) inner *= x.dim(static_cast<size_t>(i));
  }
  const float* px = x.ptr<float>();
  float* po = out.ptr<float>();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * len * inner + i;
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t k = 0; k < len; ++k) mx = std::max(mx, px[base + k * inner]);
      double sum = 0;
      for (int64_t k = 0; k < len; ++k)
        sum += std::exp(static_cast<double>(px[base + k * inner] - mx));
      for (int64_t k = 0; k < len; ++k) {
        po[base + k * inner] =
            static_cast<float>(std::exp(static_cast<double>(px[base + k * inner] - mx)) / sum);
      }
    }
  }
}

void eval_matmul(const Graph&, const Node&, const std::vector<Tensor>& in,
                 const std::vector<Tensor>& outs) {
  const Tensor& out = outs[0];
  Shape a = in[0].shape(), b = in[1].shape();
  if (a.size() == 1) a.insert(a.begin(), 1);
  if (b.size() == 1) b.push_back(1);
  const int64_t M = a[a.size() - 2], K = a.back(), N = b.back();
  Shape batch_a(a.begin(), a.end() - 2), batch_b(b.begin(), b.end() - 2);
  Shape batch = broadcast_shapes(batch_a, batch_b);
  const float* pa = in[0].ptr<float>();
  const float* pb = in[1].ptr<float>();
  float* po = out.ptr<float>();
  int64_t e = 0;
  for_each_broadcast(batch, {broadcast_strides(batch_a, batch), broadcast_strides(batch_b, batch)},
                     [&](int64_t, const std::vector<int64_t>& off) {
                       const float* A = pa + off[0] * M * K;
                       const float* B = pb + off[1] * K * N;
                       float* O = po + e * M * N;
                       for (int64_t i = 0; i < M; ++i) {
                         for (int64_t j = 0; j < N; ++j) O[i * N + j] = 0;
                         for (int64_t k = 0; k < K; ++k) {
                           const float av = A[i * K + k];
                           for (int64_t j = 0; j < N; ++j) O[i * N + j] += av * B[k * N + j];
                         }
                       }
                       ++e;
                     });
}

void eval_gemm(const Graph&, const Node& n, const std::vector<Tensor>& in,
               const std::vector<Tensor>& outs) {
  const Tensor& out = outs[0];
  const bool ta = attr_int(n, "transA", 0) != 0, tb = attr_int(n, "transB", 0) != 0;
  const float alpha = attr_float(n, "alpha", 1.f), beta = attr_float(n, "beta", 1.f);
  const Tensor& A = in[0];
  const Tensor& B = in[1];
  const int64_t M = out.dim(0), N = out.dim(1), K = ta ? A.dim(0) : A.dim(1);
  std::vector<int64_t> cst;
  const bool has_c = in.size() > 2 && !in[2].empty();
  if (has_c) cst = broadcast_strides(in[2].shape(), out.shape());
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      double acc = 0;
      for (int64_t k = 0; k < K; ++k) {
        const float av = ta ? A.ptr<float>()[k * M + i] : A.ptr<float>()[i * K + k];
        const float bv = tb ? B.ptr<float>()[j * K + k] : B.ptr<float>()[k * N + j];
        acc += static_cast<double>(av) * bv;
      }
      double c = has_c ? in[2].ptr<float>()[i * cst[0] + j * cst[1]] : 0.0;
      out.ptr<float>()[i * N + j] = static_cast<float>(alpha * acc + beta * c);
    }
  }
}

}  // namespace ys::reference_detail
