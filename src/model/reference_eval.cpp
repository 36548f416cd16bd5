#include "model/reference_eval.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "model/op_schema.h"

namespace ys {
namespace {

void store(const Tensor& t, int64_t i, double v) {
  switch (t.dtype()) {
    case DType::kFloat32:
      t.ptr<float>()[i] = static_cast<float>(v);
      break;
    case DType::kFloat16:
      t.ptr<uint16_t>()[i] = float_to_half(static_cast<float>(v));
      break;
    case DType::kFloat64:
      t.ptr<double>()[i] = v;
      break;
    case DType::kInt64:
      t.ptr<int64_t>()[i] = static_cast<int64_t>(v);
      break;
    case DType::kInt32:
      t.ptr<int32_t>()[i] = static_cast<int32_t>(v);
      break;
    case DType::kInt8:
      t.ptr<int8_t>()[i] = static_cast<int8_t>(v);
      break;
    case DType::kUInt8:
      t.ptr<uint8_t>()[i] = static_cast<uint8_t>(v);
      break;
    case DType::kBool:
      t.ptr<uint8_t>()[i] = v != 0 ? 1 : 0;
      break;
  }
}

bool is_float(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kFloat64;
}

// Row-major strides, with stride 0 on broadcast dimensions when `s` is aligned right to `out`.
std::vector<int64_t> broadcast_strides(const Shape& s, const Shape& out) {
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

double unary(const Node& n, double x, const std::vector<Tensor>& in, const Graph& g) {
  const std::string& op = n.op;
  if (op == "Sigmoid") return 1.0 / (1.0 + std::exp(-x));
  if (op == "Relu") return x > 0 ? x : 0;
  if (op == "LeakyRelu") return x >= 0 ? x : x * attr_float(n, "alpha", 0.01f);
  if (op == "Tanh") return std::tanh(x);
  if (op == "Exp") return std::exp(x);
  if (op == "Log") return std::log(x);
  if (op == "Neg") return -x;
  if (op == "Sqrt") return std::sqrt(x);
  if (op == "Abs") return std::fabs(x);
  if (op == "Reciprocal") return 1.0 / x;
  if (op == "Floor") return std::floor(x);
  if (op == "Ceil") return std::ceil(x);
  if (op == "Erf") return std::erf(x);
  if (op == "Softplus") return x > 30 ? x : std::log1p(std::exp(x));
  if (op == "HardSigmoid") {
    return std::clamp(attr_float(n, "alpha", 0.2f) * x + attr_float(n, "beta", 0.5f), 0.0, 1.0);
  }
  if (op == "HardSwish") return x * std::clamp(x / 6.0 + 0.5, 0.0, 1.0);
  if (op == "Clip") {
    double lo = -std::numeric_limits<double>::infinity(),
           hi = std::numeric_limits<double>::infinity();
    if (g.opset < 11) {
      lo = attr_float(n, "min", -std::numeric_limits<float>::infinity());
      hi = attr_float(n, "max", std::numeric_limits<float>::infinity());
    } else {
      if (in.size() > 1 && !in[1].empty()) lo = element_as_double(in[1], 0);
      if (in.size() > 2 && !in[2].empty()) hi = element_as_double(in[2], 0);
    }
    return std::min(std::max(x, lo), hi);
  }
  fail(ErrorKind::kInternal, "reference evaluator has no unary ", op);
}

double binary(const std::string& op, double a, double b, bool integer) {
  if (op == "Add") return a + b;
  if (op == "Sub") return a - b;
  if (op == "Mul") return a * b;
  if (op == "Div") {
    if (integer) return b == 0 ? 0 : std::trunc(a / b);
    return a / b;
  }
  if (op == "Pow") return std::pow(a, b);
  if (op == "Max") return std::max(a, b);
  if (op == "Min") return std::min(a, b);
  if (op == "Equal") return a == b;
  if (op == "Less") return a < b;
  if (op == "Greater") return a > b;
  fail(ErrorKind::kInternal, "reference evaluator has no binary ", op);
}

void eval_unary(const Graph& g, const Node& n, const std::vector<Tensor>& in, const Tensor& out) {
  const Tensor& x = in[0];
  if (n.op == "Identity") {
    std::memcpy(out.data(), x.data(), x.nbytes());
    return;
  }
  if (x.dtype() == DType::kFloat32 && n.op == "Sigmoid") {
    const float* s = x.ptr<float>();
    float* d = out.ptr<float>();
    for (int64_t i = 0; i < x.numel(); ++i) d[i] = 1.f / (1.f + std::exp(-s[i]));
    return;
  }
  for (int64_t i = 0; i < x.numel(); ++i) store(out, i, unary(n, element_as_double(x, i), in, g));
}

void eval_binary(const Node& n, const std::vector<Tensor>& in, const Tensor& out) {
  const Tensor& a = in[0];
  const Tensor& b = in[1];
  const bool integer = !is_float(a.dtype());
  if (a.dtype() == DType::kFloat32 && b.dtype() == DType::kFloat32 &&
      out.dtype() == DType::kFloat32 &&
      (n.op == "Add" || n.op == "Sub" || n.op == "Mul" || n.op == "Div")) {
    const float* pa = a.ptr<float>();
    const float* pb = b.ptr<float>();
    float* po = out.ptr<float>();
    const char op = n.op[0] == 'A' ? '+' : n.op[0] == 'S' ? '-' : n.op[0] == 'M' ? '*' : '/';
    for_each_broadcast(
        out.shape(),
        {broadcast_strides(a.shape(), out.shape()), broadcast_strides(b.shape(), out.shape())},
        [&](int64_t e, const std::vector<int64_t>& off) {
          float x = pa[off[0]], y = pb[off[1]];
          po[e] = op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : x / y;
        });
    return;
  }
  for_each_broadcast(
      out.shape(),
      {broadcast_strides(a.shape(), out.shape()), broadcast_strides(b.shape(), out.shape())},
      [&](int64_t e, const std::vector<int64_t>& off) {
        if (!integer || a.dtype() != DType::kInt64) {
          store(out, e,
                binary(n.op, element_as_double(a, off[0]), element_as_double(b, off[1]), integer));
          return;
        }
        // int64 through double loses precision above 2^53 (INT64_MAX sentinels of Slice ends).
        int64_t x = a.ptr<int64_t>()[off[0]], y = element_as_int(b, off[1]);
        int64_t r = 0;
        const std::string& op = n.op;
        if (op == "Add")
          r = x + y;
        else if (op == "Sub")
          r = x - y;
        else if (op == "Mul")
          r = x * y;
        else if (op == "Div")
          r = y == 0 ? 0 : x / y;
        else if (op == "Max")
          r = std::max(x, y);
        else if (op == "Min")
          r = std::min(x, y);
        else {
          store(out, e, binary(op, static_cast<double>(x), static_cast<double>(y), true));
          return;
        }
        if (out.dtype() == DType::kInt64)
          out.ptr<int64_t>()[e] = r;
        else
          store(out, e, static_cast<double>(r));
      });
}

void eval_where(const std::vector<Tensor>& in, const Tensor& out) {
  const size_t es = dtype_size(out.dtype());
  auto* o = static_cast<std::byte*>(out.data());
  for_each_broadcast(
      out.shape(),
      {broadcast_strides(in[0].shape(), out.shape()), broadcast_strides(in[1].shape(), out.shape()),
       broadcast_strides(in[2].shape(), out.shape())},
      [&](int64_t e, const std::vector<int64_t>& off) {
        bool c = element_as_double(in[0], off[0]) != 0;
        const Tensor& src = c ? in[1] : in[2];
        std::memcpy(o + e * static_cast<int64_t>(es),
                    static_cast<const std::byte*>(src.data()) +
                        (c ? off[1] : off[2]) * static_cast<int64_t>(es),
                    es);
      });
}

void eval_cast(const std::vector<Tensor>& in, const Tensor& out) {
  const Tensor& x = in[0];
  if (x.dtype() == out.dtype()) {
    std::memcpy(out.data(), x.data(), x.nbytes());
    return;
  }
  if (x.dtype() == DType::kInt64 && out.dtype() == DType::kInt32) {
    for (int64_t i = 0; i < x.numel(); ++i)
      out.ptr<int32_t>()[i] = static_cast<int32_t>(x.ptr<int64_t>()[i]);
    return;
  }
  if (out.dtype() == DType::kInt64 && !is_float(x.dtype())) {
    for (int64_t i = 0; i < x.numel(); ++i) out.ptr<int64_t>()[i] = element_as_int(x, i);
    return;
  }
  for (int64_t i = 0; i < x.numel(); ++i) {
    double v = element_as_double(x, i);
    if (!is_float(out.dtype()) && std::isnan(v)) v = 0;
    store(out, i, v);
  }
}

// Copies elements between tensors of the same dtype with arbitrary input strides per output axis.
void strided_copy(const Tensor& src, const Tensor& dst, const std::vector<int64_t>& src_strides,
                  int64_t src_offset) {
  const size_t es = dtype_size(src.dtype());
  const auto* s = static_cast<const std::byte*>(src.data());
  auto* d = static_cast<std::byte*>(dst.data());
  for_each_broadcast(dst.shape(), {src_strides}, [&](int64_t e, const std::vector<int64_t>& off) {
    std::memcpy(d + e * static_cast<int64_t>(es),
                s + (src_offset + off[0]) * static_cast<int64_t>(es), es);
  });
}

std::vector<int64_t> row_major_strides(const Shape& s) {
  std::vector<int64_t> st(s.size(), 1);
  for (size_t i = s.size(); i-- > 1;) st[i - 1] = st[i] * s[i];
  return st;
}

void eval_concat(const Graph& g, const Node& n, const std::vector<Tensor>& in, const Tensor& out) {
  int64_t axis = normalize_axis(n, attr_int(n, "axis", 0), static_cast<int64_t>(out.rank()));
  (void)g;
  const size_t es = dtype_size(out.dtype());
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= out.dim(static_cast<size_t>(i));
  for (size_t i = static_cast<size_t>(axis) + 1; i < out.rank(); ++i) inner *= out.dim(i);
  const int64_t out_row = out.dim(static_cast<size_t>(axis)) * inner;
  int64_t at = 0;
  for (const Tensor& t : in) {
    const int64_t row = t.dim(static_cast<size_t>(axis)) * inner;
    for (int64_t o = 0; o < outer; ++o) {
      std::memcpy(
          static_cast<std::byte*>(out.data()) + (o * out_row + at) * static_cast<int64_t>(es),
          static_cast<const std::byte*>(t.data()) + o * row * static_cast<int64_t>(es),
          static_cast<size_t>(row) * es);
    }
    at += row;
  }
}

void eval_split(const Graph& g, const Node& n, const std::vector<Tensor>& in,
                const std::vector<Tensor>& outs) {
  const Tensor& x = in[0];
  int64_t axis = normalize_axis(n, attr_int(n, "axis", 0), static_cast<int64_t>(x.rank()));
  std::vector<int64_t> sizes = split_sizes(g, n);
  const size_t es = dtype_size(x.dtype());
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= x.dim(static_cast<size_t>(i));
  for (size_t i = static_cast<size_t>(axis) + 1; i < x.rank(); ++i) inner *= x.dim(i);
  const int64_t in_row = x.dim(static_cast<size_t>(axis)) * inner;
  int64_t at = 0;
  for (size_t k = 0; k < outs.size(); ++k) {
    const int64_t row = sizes[k] * inner;
    if (!outs[k].empty()) {
      for (int64_t o = 0; o < outer; ++o) {
        std::memcpy(
            static_cast<std::byte*>(outs[k].data()) + o * row * static_cast<int64_t>(es),
            static_cast<const std::byte*>(x.data()) + (o * in_row + at) * static_cast<int64_t>(es),
            static_cast<size_t>(row) * es);
      }
    }
    at += row;
  }
}

void eval_slice(const Graph& g, const Node& n, const std::vector<Tensor>& in, const Tensor& out) {
  SliceParams p = slice_params(g, n);
  std::vector<int64_t> st = row_major_strides(in[0].shape());
  std::vector<int64_t> src_strides = st;
  int64_t offset = 0;
  for (size_t k = 0; k < p.axes.size(); ++k) {
    size_t a = static_cast<size_t>(p.axes[k]);
    offset += p.starts[k] * st[a];
    src_strides[a] = st[a] * p.steps[k];
  }
  if (out.numel() == 0) return;
  strided_copy(in[0], out, src_strides, offset);
}

void eval_transpose(const Node& n, const std::vector<Tensor>& in, const Tensor& out) {
  std::vector<int64_t> perm = transpose_perm(n, in[0].rank());
  std::vector<int64_t> st = row_major_strides(in[0].shape());
  std::vector<int64_t> src(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) src[i] = st[static_cast<size_t>(perm[i])];
  strided_copy(in[0], out, src, 0);
}

void eval_gather(const Node& n, const std::vector<Tensor>& in, const Tensor& out) {
  const Tensor& data = in[0];
  const Tensor& idx = in[1];
  int64_t axis = normalize_axis(n, attr_int(n, "axis", 0), static_cast<int64_t>(data.rank()));
  const size_t es = dtype_size(data.dtype());
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= data.dim(static_cast<size_t>(i));
  for (size_t i = static_cast<size_t>(axis) + 1; i < data.rank(); ++i) inner *= data.dim(i);
  const int64_t dim = data.dim(static_cast<size_t>(axis));
  const int64_t count = idx.numel();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < count; ++j) {
      int64_t k = element_as_int(idx, j);
      if (k < 0) k += dim;
      if (k < 0 || k >= dim)
        fail(ErrorKind::kBadInput, describe(n), ": index ", k, " out of range [0, ", dim, ")");
      std::memcpy(static_cast<std::byte*>(out.data()) +
                      ((o * count + j) * inner) * static_cast<int64_t>(es),
                  static_cast<const std::byte*>(data.data()) +
                      ((o * dim + k) * inner) * static_cast<int64_t>(es),
                  static_cast<size_t>(inner) * es);
    }
  }
}

void eval_expand(const std::vector<Tensor>& in, const Tensor& out) {
  strided_copy(in[0], out, broadcast_strides(in[0].shape(), out.shape()), 0);
}

void eval_tile(const std::vector<Tensor>& in, const Tensor& out) {
  const Tensor& x = in[0];
  std::vector<int64_t> st = row_major_strides(x.shape());
  const size_t es = dtype_size(x.dtype());
  const size_t r = x.rank();
  std::vector<int64_t> idx(r, 0);
  for (int64_t e = 0; e < out.numel(); ++e) {
    int64_t off = 0;
    for (size_t d = 0; d < r; ++d) off += (idx[d] % x.dim(d)) * st[d];
    std::memcpy(static_cast<std::byte*>(out.data()) + e * static_cast<int64_t>(es),
                static_cast<const std::byte*>(x.data()) + off * static_cast<int64_t>(es), es);
    for (size_t d = r; d-- > 0;) {
      if (++idx[d] < out.dim(d)) break;
      idx[d] = 0;
    }
  }
}

void eval_conv(const Graph& g, const Node& n, const std::vector<Tensor>& in, const Tensor& out) {
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

void eval_pool(const Node& n, const std::vector<Tensor>& in, const Tensor& out) {
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

void eval_global_pool(const std::vector<Tensor>& in, const Tensor& out) {
  const Tensor& x = in[0];
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t area = x.numel() / std::max<int64_t>(planes, 1);
  for (int64_t p = 0; p < planes; ++p) {
    double sum = 0;
    for (int64_t i = 0; i < area; ++i) sum += x.ptr<float>()[p * area + i];
    out.ptr<float>()[p] = static_cast<float>(sum / static_cast<double>(area));
  }
}

void eval_resize(const Graph& g, const Node& n, const std::vector<Tensor>& in, const Tensor& out) {
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

void eval_softmax(const Graph& g, const Node& n, const std::vector<Tensor>& in, const Tensor& out) {
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

void eval_matmul(const std::vector<Tensor>& in, const Tensor& out) {
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

void eval_gemm(const Node& n, const std::vector<Tensor>& in, const Tensor& out) {
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

void require_float(const Node& n, const Tensor& t) {
  if (t.dtype() != DType::kFloat32) {
    fail(ErrorKind::kUnsupported, "unsupported: ", describe(n), ": ", dtype_name(t.dtype()),
         " inputs (float32 only)");
  }
}

}  // namespace

void reference_eval(const Graph& g, const Node& n, const std::vector<Tensor>& in,
                    const std::vector<Tensor>& outs) {
  const std::string& op = n.op;
  const Tensor& out = outs.empty() ? Tensor() : outs[0];
  static const char* const kUnary[] = {"Sigmoid",  "Relu", "LeakyRelu", "Tanh",        "Exp",
                                       "Log",      "Neg",  "Sqrt",      "Abs",         "Reciprocal",
                                       "Floor",    "Ceil", "Erf",       "HardSigmoid", "HardSwish",
                                       "Softplus", "Clip", "Identity"};
  for (const char* u : kUnary) {
    if (op == u) return eval_unary(g, n, in, out);
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow" || op == "Max" ||
      op == "Min" || op == "Equal" || op == "Less" || op == "Greater") {
    return eval_binary(n, in, out);
  }
  if (op == "Where") return eval_where(in, out);
  if (op == "Cast") return eval_cast(in, out);
  if (op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze") {
    std::memcpy(out.data(), in[0].data(), in[0].nbytes());
    return;
  }
  if (op == "Shape") {
    std::vector<int64_t> full(in[0].shape().begin(), in[0].shape().end());
    int64_t r = static_cast<int64_t>(full.size());
    int64_t start = attr_int(n, "start", 0);
    if (start < 0) start += r;
    start = std::clamp<int64_t>(start, 0, r);
    for (int64_t i = 0; i < out.numel(); ++i)
      out.ptr<int64_t>()[i] = full[static_cast<size_t>(start + i)];
    return;
  }
  if (op == "Concat") return eval_concat(g, n, in, out);
  if (op == "Split") return eval_split(g, n, in, outs);
  if (op == "Slice") return eval_slice(g, n, in, out);
  if (op == "Transpose") return eval_transpose(n, in, out);
  if (op == "Gather") return eval_gather(n, in, out);
  if (op == "Expand") return eval_expand(in, out);
  if (op == "Tile") return eval_tile(in, out);
  if (op == "ConstantOfShape") {
    auto it = n.attrs.find("value");
    Tensor v = it != n.attrs.end() ? std::get<Tensor>(it->second) : Tensor(DType::kFloat32, {1});
    const size_t es = dtype_size(out.dtype());
    for (int64_t i = 0; i < out.numel(); ++i) {
      std::memcpy(static_cast<std::byte*>(out.data()) + i * static_cast<int64_t>(es), v.data(), es);
    }
    return;
  }
  if (op == "Range") {
    double start = element_as_double(in[0], 0), delta = element_as_double(in[2], 0);
    for (int64_t i = 0; i < out.numel(); ++i) store(out, i, start + static_cast<double>(i) * delta);
    return;
  }
  if (op == "Constant") {
    const Tensor& t = std::get<Tensor>(n.attrs.at("value"));
    std::memcpy(out.data(), t.data(), t.nbytes());
    return;
  }
  // The compute-heavy ops are float32 only, which is what YOLO graphs use.
  require_float(n, in[0]);
  if (op == "Conv") return eval_conv(g, n, in, out);
  if (op == "MaxPool" || op == "AveragePool") return eval_pool(n, in, out);
  if (op == "GlobalAveragePool") return eval_global_pool(in, out);
  if (op == "Resize") return eval_resize(g, n, in, out);
  if (op == "Softmax") return eval_softmax(g, n, in, out);
  if (op == "MatMul") return eval_matmul(in, out);
  if (op == "Gemm") return eval_gemm(n, in, out);
  fail(ErrorKind::kUnsupported, "unsupported: ", describe(n), ": no reference implementation");
}

}  // namespace ys
