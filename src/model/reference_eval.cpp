#include "model/reference_eval.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "model/op_schema.h"
#include "model/reference_eval_detail.h"

namespace ys {
namespace {

using namespace reference_detail;

// double -> integer saturates, and NaN becomes 0: the plain conversion is undefined out of range,
// and a model's constants may hold anything (ONNX leaves such casts unspecified).
template <typename T>
T saturate(double v) {
  if (std::isnan(v)) return 0;
  if (v <= static_cast<double>(std::numeric_limits<T>::min())) return std::numeric_limits<T>::min();
  if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

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
      t.ptr<int64_t>()[i] = saturate<int64_t>(v);
      break;
    case DType::kInt32:
      t.ptr<int32_t>()[i] = saturate<int32_t>(v);
      break;
    case DType::kInt8:
      t.ptr<int8_t>()[i] = saturate<int8_t>(v);
      break;
    case DType::kUInt8:
      t.ptr<uint8_t>()[i] = saturate<uint8_t>(v);
      break;
    case DType::kBool:
      t.ptr<uint8_t>()[i] = v != 0 ? 1 : 0;
      break;
  }
}

bool is_float(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kFloat64;
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

void eval_unary(const Graph& g, const Node& n, const std::vector<Tensor>& in,
                const std::vector<Tensor>& outs) {
  const Tensor& out = outs[0];
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

void eval_binary(const Graph&, const Node& n, const std::vector<Tensor>& in,
                 const std::vector<Tensor>& outs) {
  const Tensor& out = outs[0];
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
        if (!integer || a.dtype() != DType::kInt64 || is_float(b.dtype())) {
          store(out, e,
                binary(n.op, element_as_double(a, off[0]), element_as_double(b, off[1]), integer));
          return;
        }
        // int64 through double loses precision above 2^53 (INT64_MAX sentinels of Slice ends).
        int64_t x = a.ptr<int64_t>()[off[0]], y = element_as_int(b, off[1]);
        // Overflow wraps, as two's complement hardware (and ONNX Runtime) does; in C++ it is
        // undefined, so the builtins compute the wrapped result.
        int64_t r = 0;
        const std::string& op = n.op;
        if (op == "Add")
          __builtin_add_overflow(x, y, &r);
        else if (op == "Sub")
          __builtin_sub_overflow(x, y, &r);
        else if (op == "Mul")
          __builtin_mul_overflow(x, y, &r);
        else if (op == "Div")
          r = y == 0 ? 0 : y == -1 ? static_cast<int64_t>(0 - static_cast<uint64_t>(x)) : x / y;
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

void eval_where(const Graph&, const Node&, const std::vector<Tensor>& in,
                const std::vector<Tensor>& outs) {
  const Tensor& out = outs[0];
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

void eval_cast(const Graph&, const Node&, const std::vector<Tensor>& in,
               const std::vector<Tensor>& outs) {
  const Tensor& out = outs[0];
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

void eval_concat(const Graph& g, const Node& n, const std::vector<Tensor>& in,
                 const std::vector<Tensor>& outs) {
  const Tensor& out = outs[0];
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

void eval_slice(const Graph& g, const Node& n, const std::vector<Tensor>& in,
                const std::vector<Tensor>& outs) {
  const Tensor& out = outs[0];
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

void eval_transpose(const Graph&, const Node& n, const std::vector<Tensor>& in,
                    const std::vector<Tensor>& outs) {
  const Tensor& out = outs[0];
  std::vector<int64_t> perm = transpose_perm(n, in[0].rank());
  std::vector<int64_t> st = row_major_strides(in[0].shape());
  std::vector<int64_t> src(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) src[i] = st[static_cast<size_t>(perm[i])];
  strided_copy(in[0], out, src, 0);
}

void eval_gather(const Graph&, const Node& n, const std::vector<Tensor>& in,
                 const std::vector<Tensor>& outs) {
  const Tensor& out = outs[0];
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

void eval_expand(const Graph&, const Node&, const std::vector<Tensor>& in,
                 const std::vector<Tensor>& outs) {
  const Tensor& out = outs[0];
  strided_copy(in[0], out, broadcast_strides(in[0].shape(), out.shape()), 0);
}

void eval_tile(const Graph&, const Node&, const std::vector<Tensor>& in,
               const std::vector<Tensor>& outs) {
  const Tensor& out = outs[0];
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

void require_float(const Node& n, const Tensor& t) {
  if (t.dtype() != DType::kFloat32) {
    fail(ErrorKind::kUnsupported, "unsupported: ", describe(n), ": ", dtype_name(t.dtype()),
         " inputs (float32 only)");
  }
}

void eval_copy(const Graph&, const Node&, const std::vector<Tensor>& in,
               const std::vector<Tensor>& outs) {
  std::memcpy(outs[0].data(), in[0].data(), in[0].nbytes());
}

void eval_shape(const Graph&, const Node& n, const std::vector<Tensor>& in,
                const std::vector<Tensor>& outs) {
  const Tensor& out = outs[0];
  std::vector<int64_t> full(in[0].shape().begin(), in[0].shape().end());
  const int64_t r = static_cast<int64_t>(full.size());
  int64_t start = attr_int(n, "start", 0);
  if (start < 0) start += r;
  start = std::clamp<int64_t>(start, 0, r);
  for (int64_t i = 0; i < out.numel(); ++i)
    out.ptr<int64_t>()[i] = full[static_cast<size_t>(start + i)];
}

void eval_constant_of_shape(const Graph&, const Node& n, const std::vector<Tensor>&,
                            const std::vector<Tensor>& outs) {
  const Tensor& out = outs[0];
  auto it = n.attrs.find("value");
  Tensor v = it != n.attrs.end() ? std::get<Tensor>(it->second) : Tensor(DType::kFloat32, {1});
  const size_t es = dtype_size(out.dtype());
  for (int64_t i = 0; i < out.numel(); ++i) {
    std::memcpy(static_cast<std::byte*>(out.data()) + i * static_cast<int64_t>(es), v.data(), es);
  }
}

void eval_range(const Graph&, const Node&, const std::vector<Tensor>& in,
                const std::vector<Tensor>& outs) {
  const double start = element_as_double(in[0], 0), delta = element_as_double(in[2], 0);
  for (int64_t i = 0; i < outs[0].numel(); ++i)
    store(outs[0], i, start + static_cast<double>(i) * delta);
}

void eval_constant(const Graph&, const Node& n, const std::vector<Tensor>&,
                   const std::vector<Tensor>& outs) {
  const Tensor& t = std::get<Tensor>(n.attrs.at("value"));
  std::memcpy(outs[0].data(), t.data(), t.nbytes());
}

// ---- the table: one row per op ----

using EvalFn = void (*)(const Graph& g, const Node& n, const std::vector<Tensor>& in,
                        const std::vector<Tensor>& outs);

struct ReferenceOp {
  const char* op;
  // The compute-heavy ops are float32 only, which is what YOLO graphs use.
  bool float_only;
  EvalFn eval;
};

const ReferenceOp kReferenceOps[] = {
    {"Sigmoid", false, eval_unary},
    {"Relu", false, eval_unary},
    {"LeakyRelu", false, eval_unary},
    {"Tanh", false, eval_unary},
    {"Exp", false, eval_unary},
    {"Log", false, eval_unary},
    {"Neg", false, eval_unary},
    {"Sqrt", false, eval_unary},
    {"Abs", false, eval_unary},
    {"Reciprocal", false, eval_unary},
    {"Floor", false, eval_unary},
    {"Ceil", false, eval_unary},
    {"Erf", false, eval_unary},
    {"HardSigmoid", false, eval_unary},
    {"HardSwish", false, eval_unary},
    {"Softplus", false, eval_unary},
    {"Clip", false, eval_unary},
    {"Identity", false, eval_unary},
    {"Add", false, eval_binary},
    {"Sub", false, eval_binary},
    {"Mul", false, eval_binary},
    {"Div", false, eval_binary},
    {"Pow", false, eval_binary},
    {"Max", false, eval_binary},
    {"Min", false, eval_binary},
    {"Equal", false, eval_binary},
    {"Less", false, eval_binary},
    {"Greater", false, eval_binary},
    {"Where", false, eval_where},
    {"Cast", false, eval_cast},
    {"Reshape", false, eval_copy},
    {"Flatten", false, eval_copy},
    {"Squeeze", false, eval_copy},
    {"Unsqueeze", false, eval_copy},
    {"Shape", false, eval_shape},
    {"Concat", false, eval_concat},
    {"Split", false, eval_split},
    {"Slice", false, eval_slice},
    {"Transpose", false, eval_transpose},
    {"Gather", false, eval_gather},
    {"Expand", false, eval_expand},
    {"Tile", false, eval_tile},
    {"ConstantOfShape", false, eval_constant_of_shape},
    {"Range", false, eval_range},
    {"Constant", false, eval_constant},
    {"Conv", true, eval_conv},
    {"MaxPool", true, eval_pool},
    {"AveragePool", true, eval_pool},
    {"GlobalAveragePool", true, eval_global_pool},
    {"Resize", true, eval_resize},
    {"Softmax", true, eval_softmax},
    {"MatMul", true, eval_matmul},
    {"Gemm", true, eval_gemm},
};

const ReferenceOp* find_reference_op(const std::string& op) {
  for (const ReferenceOp& r : kReferenceOps) {
    if (op == r.op) return &r;
  }
  return nullptr;
}

}  // namespace

bool has_reference_eval(const std::string& op) {
  return find_reference_op(op) != nullptr;
}

void reference_eval(const Graph& g, const Node& n, const std::vector<Tensor>& in,
                    const std::vector<Tensor>& outs) {
  const ReferenceOp* r = n.domain.empty() ? find_reference_op(n.op) : nullptr;
  if (!r)
    fail(ErrorKind::kUnsupported, "unsupported: ", describe(n), ": no reference implementation");
  if (r->float_only) require_float(n, in[0]);
  r->eval(g, n, in, outs);
}

}  // namespace ys
