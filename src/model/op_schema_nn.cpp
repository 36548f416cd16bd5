#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.h"
#include "model/op_checks.h"

namespace ys::schema {
namespace {

// ---- neural-network ops ---------------------------------------------------------------------
// The window attributes Conv and the pools share (2-D only): strides and dilations of two values
// >= 1, pads of four values >= 0, a known auto_pad. Kernels divide by strides and index with
// dilations and pads, so nothing reaches them unchecked.
void validate_window(const Node& n, const std::vector<int64_t>& kernel) {
  ints_attr(n, "strides", 2, 1, kMaxWindow);
  ints_attr(n, "dilations", 2, 1, kMaxWindow);
  std::vector<int64_t> pads = ints_attr(n, "pads", 4, 0, kMaxWindow);
  string_attr(n, "auto_pad", "NOTSET", {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"});
  if (n.op == "Conv") return;
  int_attr(n, "ceil_mode", 0, 0, 1);
  // As ONNX Runtime: a window that lies wholly in the padding has nothing to pool.
  for (size_t i = 0; i < pads.size(); ++i) {
    if (pads[i] >= kernel[i % 2]) {
      bad_attr(n, "pads",
               cat("= ", shape_str(pads), ": each pad must be smaller than the kernel ",
                   shape_str(kernel)));
    }
  }
}

Shape pooled_shape(const Graph& g, const Node& n, const Shape& x,
                   const std::vector<int64_t>& kernel, int64_t out_channels) {
  if (x.size() != 4) unsupported(g, n, cat("only 2-D spatial inputs (rank 4), got ", shape_str(x)));
  std::vector<int64_t> strides = ints_attr(n, "strides", 2, 1, kMaxWindow, {1, 1});
  std::vector<int64_t> dil = ints_attr(n, "dilations", 2, 1, kMaxWindow, {1, 1});
  std::vector<int64_t> pads = conv_pads(n, x, kernel, strides, dil);
  bool ceil_mode = attr_int(n, "ceil_mode", 0) != 0;
  Shape o = {x[0], out_channels, 0, 0};
  for (size_t i = 0; i < 2; ++i) {
    int64_t eff = checked_add(n, checked_mul(n, dil[i], kernel[i] - 1), 1);
    int64_t span = x[2 + i] + pads[i] + pads[2 + i] - eff;
    int64_t len = ceil_mode ? (span + strides[i] - 1) / strides[i] + 1 : span / strides[i] + 1;
    // With ceil_mode the last window must start inside the input or the left padding.
    if (ceil_mode && (len - 1) * strides[i] >= x[2 + i] + pads[i]) --len;
    if (len <= 0)
      fail(ErrorKind::kBadModel, describe(n), ": output would be empty for input ", shape_str(x));
    o[2 + i] = len;
  }
  return o;
}

void validate_conv(const Graph& g, const Node& n) {
  allow_attrs(g, n, {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
  require_input(g, n, 1, "the weights");
  const Shape& w = in(g, n, 1).shape;
  if (w.size() != 4)
    unsupported(g, n, cat("only 2-D convolution (weights of rank 4), got ", shape_str(w)));
  if (!in(g, n, 1).is_constant()) unsupported(g, n, "weights computed at run time");
  require_same_dtype(g, n, 0, 1);
  if (numel(w) == 0)
    fail(ErrorKind::kBadModel, describe(n), ": the weights ", shape_str(w), " are empty");
  const int64_t group = int_attr(n, "group", 1, 1, w[0]);
  if (w[0] % group != 0) {
    bad_attr(n, "group", cat("= ", group, " does not divide the ", w[0], " output channels"));
  }
  std::vector<int64_t> kernel = ints_attr(n, "kernel_shape", 2, 1, kMaxWindow);
  if (!kernel.empty() && (kernel[0] != w[2] || kernel[1] != w[3])) {
    bad_attr(n, "kernel_shape",
             cat("= ", shape_str(kernel), " disagrees with the weights ", shape_str(w), " (kernel ",
                 w[2], "x", w[3], ")"));
  }
  validate_window(n, {w[2], w[3]});
  if (g.has_input(n, 2)) {
    // The kernels read one bias value per output channel, whatever the tensor holds.
    if (!in(g, n, 2).is_constant()) unsupported(g, n, "bias computed at run time");
    require_same_dtype(g, n, 0, 2);
    const Shape& b = in(g, n, 2).shape;
    if (b.size() != 1 || b[0] != w[0]) {
      fail(ErrorKind::kBadModel, describe(n), ": bias '", in(g, n, 2).name, "' has shape ",
           shape_str(b), " but the convolution has ", w[0], " output channels ([", w[0],
           "] expected)");
    }
  }
}

void infer_conv(Graph& g, const Node& n) {
  const Shape& x = in(g, n, 0).shape;
  const Shape& w = in(g, n, 1).shape;
  int64_t group = attr_int(n, "group", 1);
  if (x.size() != 4) unsupported(g, n, cat("only rank-4 input, got ", shape_str(x)));
  if (x[1] != checked_mul(n, w[1], group)) {
    fail(ErrorKind::kBadModel, describe(n), ": input has ", x[1], " channels but weights expect ",
         w[1] * group);
  }
  std::vector<int64_t> kernel = {w[2], w[3]};
  out(g, n).dtype = in(g, n, 0).dtype;
  out(g, n).shape = pooled_shape(g, n, x, kernel, w[0]);
}

void validate_pool(const Graph& g, const Node& n) {
  if (n.op == "MaxPool") {
    allow_attrs(
        g, n,
        {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"});
    if (attr_int(n, "storage_order", 0) != 0) unsupported(g, n, "storage_order=1");
    if (n.outputs.size() > 1) unsupported(g, n, "the Indices output");
  } else {
    allow_attrs(g, n,
                {"auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads",
                 "strides"});
    for (int64_t d : attr_ints(n, "dilations")) {
      if (d != 1) unsupported(g, n, "dilated average pooling");
    }
    int_attr(n, "count_include_pad", 0, 0, 1);
  }
  if (!has_attr(n, "kernel_shape")) bad_attr(n, "kernel_shape", "is missing");
  if (attr_ints(n, "kernel_shape").size() != 2) unsupported(g, n, "only 2-D pooling");
  validate_window(n, ints_attr(n, "kernel_shape", 2, 1, kMaxWindow));
}

void infer_pool(Graph& g, const Node& n) {
  const Shape& x = in(g, n, 0).shape;
  out(g, n).dtype = in(g, n, 0).dtype;
  out(g, n).shape = pooled_shape(g, n, x, attr_ints(n, "kernel_shape"), x.size() > 1 ? x[1] : 0);
}

void validate_global_pool(const Graph& g, const Node& n) {
  require_float_input(g, n);
  allow_attrs(g, n, {});
  if (in(g, n, 0).shape.size() < 3) {
    fail(ErrorKind::kBadModel, describe(n), ": input ", shape_str(in(g, n, 0).shape),
         " has no spatial axes (rank 3 or more expected)");
  }
}

void infer_global_pool(Graph& g, const Node& n) {
  Shape s = in(g, n, 0).shape;
  for (size_t i = 2; i < s.size(); ++i) s[i] = 1;
  out(g, n).dtype = in(g, n, 0).dtype;
  out(g, n).shape = s;
}

void validate_resize(const Graph& g, const Node& n) {
  allow_attrs(g, n,
              {"mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a",
               "exclude_outside", "extrapolation_value", "antialias", "keep_aspect_ratio_policy"});
  if (g.opset < 11) unsupported(g, n, "Resize/Upsample before opset 11");
  std::string mode = attr_string(n, "mode", "nearest");
  if (mode != "nearest") unsupported(g, n, cat("mode '", mode, "' (only nearest)"));
  if (attr_int(n, "antialias", 0) != 0) unsupported(g, n, "antialias=1");
  std::string ctm = attr_string(n, "coordinate_transformation_mode", "half_pixel");
  static const std::set<std::string> modes = {"asymmetric", "half_pixel", "pytorch_half_pixel",
                                              "align_corners", "tf_half_pixel_for_nn"};
  if (!modes.count(ctm)) unsupported(g, n, cat("coordinate_transformation_mode '", ctm, "'"));
  string_attr(n, "nearest_mode", "round_prefer_floor",
              {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"});
  std::string policy = attr_string(n, "keep_aspect_ratio_policy", "stretch");
  if (policy != "stretch") unsupported(g, n, cat("keep_aspect_ratio_policy '", policy, "'"));
  bool has_scales = g.has_input(n, 2) && in(g, n, 2).shape != Shape{0};
  bool has_sizes = g.has_input(n, 3);
  if (!has_scales && !has_sizes) unsupported(g, n, "neither scales nor sizes given");
  const int64_t rank = static_cast<int64_t>(in(g, n, 0).shape.size());
  if (has_scales) {
    const Tensor& sc = const_input(g, n, 2, "Resize's scales");
    require_dtype(g, n, 2, {DType::kFloat32});
    require_rank(g, n, 2, 1);
    require_elements(g, n, 2, rank);
    for (int64_t i = 0; i < sc.numel(); ++i) {
      const float v = sc.ptr<float>()[i];
      if (!(v > 0 && v <= static_cast<float>(kMaxElements))) {
        fail(ErrorKind::kBadModel, describe(n), ": scale ", v, " on axis ", i,
             " is not a positive finite number");
      }
    }
  }
  if (has_sizes) {
    const_ints(g, n, 3, "Resize's sizes");
    require_elements(g, n, 3, rank);
  }
}

void infer_resize(Graph& g, const Node& n) {
  const Shape& x = in(g, n, 0).shape;
  Shape o = x;
  bool has_sizes = g.has_input(n, 3) && in(g, n, 3).data.numel() > 0;
  if (has_sizes) {
    o = to_int_vector(in(g, n, 3).data);
  } else {
    const Tensor& sc = in(g, n, 2).data;
    if (sc.numel() != static_cast<int64_t>(x.size()))
      unsupported(g, n, "scales of the wrong length");
    for (size_t i = 0; i < x.size(); ++i) {
      const double len =
          std::floor(static_cast<double>(x[i]) * element_as_double(sc, static_cast<int64_t>(i)));
      // Compared as a double first: converting one beyond int64 is undefined.
      if (!(len <= static_cast<double>(kMaxElements))) {
        fail(ErrorKind::kBadModel, describe(n), ": scaling ", shape_str(x), " gives axis ", i,
             " more than ", kMaxElements, " elements");
      }
      o[i] = static_cast<int64_t>(len);
    }
  }
  for (size_t i = 0; i < x.size() && i < o.size(); ++i) {
    if (x[i] == 0 && o[i] != 0) {
      fail(ErrorKind::kBadModel, describe(n), ": cannot resize the empty axis ", i, " of ",
           shape_str(x), " to ", o[i]);
    }
  }
  out(g, n).dtype = in(g, n, 0).dtype;
  out(g, n).shape = o;
}

void validate_softmax(const Graph& g, const Node& n) {
  allow_attrs(g, n, {"axis"});
  const int64_t r = static_cast<int64_t>(in(g, n, 0).shape.size());
  normalize_axis(n, attr_int(n, "axis", g.opset < 13 ? 1 : -1), std::max<int64_t>(r, 1));
}

void validate_matmul(const Graph& g, const Node& n) {
  require_float_input(g, n);
  allow_attrs(g, n, {});
  require_input(g, n, 1, "B");
  require_same_dtype(g, n, 0, 1);
}

void infer_matmul(Graph& g, const Node& n) {
  Shape a = in(g, n, 0).shape, b = in(g, n, 1).shape;
  if (a.empty() || b.empty()) unsupported(g, n, "scalar operands");
  bool a1 = a.size() == 1, b1 = b.size() == 1;
  if (a1) a.insert(a.begin(), 1);
  if (b1) b.push_back(1);
  if (a.back() != b[b.size() - 2]) {
    fail(ErrorKind::kBadModel, describe(n), ": inner dimensions differ, ",
         shape_str(in(g, n, 0).shape), " x ", shape_str(in(g, n, 1).shape));
  }
  Shape ba(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2);
  Shape o = broadcast_shapes(ba, bb);
  if (!a1) o.push_back(a[a.size() - 2]);
  if (!b1) o.push_back(b.back());
  out(g, n).dtype = in(g, n, 0).dtype;
  out(g, n).shape = o;
}

void validate_gemm(const Graph& g, const Node& n) {
  allow_attrs(g, n, {"alpha", "beta", "transA", "transB"});
  int_attr(n, "transA", 0, 0, 1);
  int_attr(n, "transB", 0, 0, 1);
  require_input(g, n, 1, "B");
  require_same_dtype(g, n, 0, 1);
  if (g.has_input(n, 2)) {
    require_same_dtype(g, n, 0, 2);
    if (in(g, n, 2).shape.size() > 2) {
      fail(ErrorKind::kBadModel, describe(n), ": C has shape ", shape_str(in(g, n, 2).shape),
           "; rank 2 at most expected");
    }
  }
}

void infer_gemm(Graph& g, const Node& n) {
  const Shape& a = in(g, n, 0).shape;
  const Shape& b = in(g, n, 1).shape;
  if (a.size() != 2 || b.size() != 2) unsupported(g, n, "Gemm operands must be 2-D");
  const bool ta = attr_int(n, "transA", 0) != 0, tb = attr_int(n, "transB", 0) != 0;
  int64_t m = ta ? a[1] : a[0];
  int64_t nn = tb ? b[0] : b[1];
  if ((ta ? a[0] : a[1]) != (tb ? b[1] : b[0])) {
    fail(ErrorKind::kBadModel, describe(n), ": inner dimensions differ, ", shape_str(a),
         ta ? " transposed" : "", " x ", shape_str(b), tb ? " transposed" : "");
  }
  // C broadcasts one way, to [M, N].
  if (g.has_input(n, 2) && broadcast_shapes(in(g, n, 2).shape, {m, nn}) != Shape{m, nn}) {
    fail(ErrorKind::kBadModel, describe(n), ": C of shape ", shape_str(in(g, n, 2).shape),
         " does not broadcast to [", m, ", ", nn, "]");
  }
  out(g, n).dtype = in(g, n, 0).dtype;
  out(g, n).shape = {m, nn};
}

void validate_conv_float(const Graph& g, const Node& n) {
  require_float_input(g, n);
  validate_conv(g, n);
}
void validate_pool_float(const Graph& g, const Node& n) {
  require_float_input(g, n);
  validate_pool(g, n);
}
void validate_resize_float(const Graph& g, const Node& n) {
  require_float_input(g, n);
  validate_resize(g, n);
}
void validate_softmax_float(const Graph& g, const Node& n) {
  require_float_input(g, n);
  validate_softmax(g, n);
}
void validate_gemm_float(const Graph& g, const Node& n) {
  require_float_input(g, n);
  validate_gemm(g, n);
}

constexpr OpSchema kSchemas[] = {
    {"Conv", 2, 3, validate_conv_float, infer_conv},
    {"MaxPool", 1, 1, validate_pool_float, infer_pool},
    {"AveragePool", 1, 1, validate_pool_float, infer_pool},
    {"GlobalAveragePool", 1, 1, validate_global_pool, infer_global_pool},
    {"Resize", 1, 4, validate_resize_float, infer_resize},
    {"Softmax", 1, 1, validate_softmax_float, same_as_input},
    {"MatMul", 2, 2, validate_matmul, infer_matmul},
    {"Gemm", 2, 3, validate_gemm_float, infer_gemm},
};

}  // namespace

std::span<const OpSchema> nn_schemas() {
  return kSchemas;
}

}  // namespace ys::schema
