#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "model/op_schema.h"

namespace ys {

std::vector<int64_t> split_sizes(const Graph& g, const Node& n) {
  const Shape& s = g.input_value(n, 0).shape;
  int64_t axis = normalize_axis(n, attr_int(n, "axis", 0), static_cast<int64_t>(s.size()));
  int64_t dim = s[static_cast<size_t>(axis)];
  std::vector<int64_t> sizes;
  if (g.opset < 13) {
    sizes = attr_ints(n, "split");
  } else if (g.has_input(n, 1)) {
    sizes = to_int_vector(g.input_value(n, 1).data);
  }
  if (sizes.empty()) {
    int64_t parts = static_cast<int64_t>(n.outputs.size());
    if (parts == 0) fail(ErrorKind::kBadModel, describe(n), ": no outputs");
    int64_t chunk = (dim + parts - 1) / parts;  // opset 18: the last chunk may be smaller
    for (int64_t i = 0; i < parts; ++i)
      sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
  }
  int64_t total = 0;
  for (int64_t v : sizes) {
    if (v < 0) fail(ErrorKind::kBadModel, describe(n), ": a negative split size ", v);
    total = checked_add(n, total, v);
  }
  if (total != dim || sizes.size() != n.outputs.size()) {
    fail(ErrorKind::kBadModel, describe(n), ": split sizes do not add up to ", dim,
         " or do not match the outputs");
  }
  return sizes;
}

SliceParams slice_params(const Graph& g, const Node& n) {
  const Shape& s = g.input_value(n, 0).shape;
  int64_t r = static_cast<int64_t>(s.size());
  std::vector<int64_t> starts, ends, axes, steps;
  if (g.opset < 10) {
    starts = attr_ints(n, "starts");
    ends = attr_ints(n, "ends");
    axes = attr_ints(n, "axes");
  } else {
    starts = to_int_vector(g.input_value(n, 1).data);
    ends = to_int_vector(g.input_value(n, 2).data);
    if (g.has_input(n, 3)) axes = to_int_vector(g.input_value(n, 3).data);
    if (g.has_input(n, 4)) steps = to_int_vector(g.input_value(n, 4).data);
  }
  if (axes.empty()) {
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    fail(ErrorKind::kBadModel, describe(n), ": starts, ends, axes and steps differ in length");
  }
  SliceParams p;
  for (size_t k = 0; k < starts.size(); ++k) {
    int64_t axis = normalize_axis(n, axes[k], r);
    int64_t dim = s[static_cast<size_t>(axis)];
    int64_t step = steps[k];
    if (step == 0) fail(ErrorKind::kBadModel, describe(n), ": step is zero");
    // Any step beyond the axis takes one element at most; clamping keeps index arithmetic
    // (start + k * step, strides times steps) inside int64.
    step = std::clamp<int64_t>(step, -(dim + 1), dim + 1);
    int64_t start = starts[k], end = ends[k];
    if (start < 0) start += dim;
    if (end < 0) end += dim;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
    }
    p.starts.push_back(start);
    p.ends.push_back(end);
    p.axes.push_back(axis);
    p.steps.push_back(step);
  }
  return p;
}

std::vector<int64_t> squeeze_axes(const Graph& g, const Node& n) {
  if (g.opset < 13 || has_attr(n, "axes")) return attr_ints(n, "axes");
  if (!g.has_input(n, 1)) return {};
  if (!g.input_value(n, 1).is_constant()) {
    fail(ErrorKind::kUnsupported, "unsupported: ", describe(n), " (opset ", g.opset,
         "): axes computed at run time");
  }
  return to_int_vector(g.input_value(n, 1).data);
}

std::vector<float> resize_scales(const Graph& g, const Node& n) {
  const Shape& x = g.input_value(n, 0).shape;
  const Shape& o = g.output_value(n, 0).shape;
  std::vector<float> scales(x.size(), 1.f);
  bool has_sizes = g.has_input(n, 3) && g.input_value(n, 3).data.numel() > 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!has_sizes) {
      scales[i] =
          static_cast<float>(element_as_double(g.input_value(n, 2).data, static_cast<int64_t>(i)));
    } else {
      scales[i] = static_cast<float>(o[i]) / static_cast<float>(x[i]);
    }
  }
  return scales;
}

int64_t resize_nearest_source(const Node& n, int64_t o, double scale, int64_t in_len,
                              int64_t out_len) {
  const std::string ctm = attr_string(n, "coordinate_transformation_mode", "half_pixel");
  const std::string mode = attr_string(n, "nearest_mode", "round_prefer_floor");
  const double od = static_cast<double>(o);
  double x;
  if (ctm == "asymmetric") {
    x = od / scale;
  } else if (ctm == "align_corners") {
    x = out_len > 1 ? od * static_cast<double>(in_len - 1) / static_cast<double>(out_len - 1) : 0;
  } else if (ctm == "tf_half_pixel_for_nn") {
    x = (od + 0.5) / scale;
  } else if (ctm == "pytorch_half_pixel") {
    x = out_len > 1 ? (od + 0.5) / scale - 0.5 : 0;
  } else {
    x = (od + 0.5) / scale - 0.5;
  }
  double i;
  if (mode == "floor") {
    i = std::floor(x);
  } else if (mode == "ceil") {
    i = std::ceil(x);
  } else if (mode == "round_prefer_ceil") {
    i = std::floor(x + 0.5);
  } else {  // round_prefer_floor: halves go down
    i = x - std::floor(x) == 0.5 ? std::floor(x) : std::round(x);
  }
  return std::clamp<int64_t>(static_cast<int64_t>(i), 0, in_len - 1);
}

std::vector<int64_t> conv_pads(const Node& n, const Shape& in_shape,
                               const std::vector<int64_t>& kernel,
                               const std::vector<int64_t>& strides,
                               const std::vector<int64_t>& dilations) {
  std::string auto_pad = attr_string(n, "auto_pad", "NOTSET");
  size_t sp = kernel.size();
  // Validation refuses these before any kernel; a direct caller gets the same refusal, not a
  // division by zero.
  if (in_shape.size() != sp + 2 || strides.size() != sp || dilations.size() != sp) {
    fail(ErrorKind::kBadModel, describe(n), ": ", sp, "-D window with strides ", shape_str(strides),
         " and dilations ", shape_str(dilations), " on input ", shape_str(in_shape));
  }
  for (size_t i = 0; i < sp; ++i) {
    if (strides[i] < 1 || dilations[i] < 1 || kernel[i] < 1) {
      fail(ErrorKind::kBadModel, describe(n), ": kernel ", shape_str(kernel), ", strides ",
           shape_str(strides), " and dilations ", shape_str(dilations), " must all be >= 1");
    }
  }
  if (auto_pad == "NOTSET") {
    std::vector<int64_t> pads = attr_ints(n, "pads");
    if (pads.empty()) pads.assign(2 * sp, 0);
    if (pads.size() != 2 * sp)
      fail(ErrorKind::kBadModel, describe(n), ": pads has the wrong length");
    return pads;
  }
  std::vector<int64_t> pads(2 * sp, 0);
  if (auto_pad == "VALID") return pads;
  if (auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER") {
    fail(ErrorKind::kUnsupported, "unsupported: ", describe(n), ": auto_pad '", auto_pad, "'");
  }
  for (size_t i = 0; i < sp; ++i) {
    int64_t in = in_shape[2 + i];
    int64_t outlen = in / strides[i] + (in % strides[i] != 0);
    int64_t eff = checked_add(n, checked_mul(n, dilations[i], kernel[i] - 1), 1);
    int64_t reach =
        checked_add(n, checked_mul(n, std::max<int64_t>(outlen - 1, 0), strides[i]), eff);
    int64_t total = std::max<int64_t>(0, reach - in);
    int64_t small = total / 2, big = total - small;
    pads[i] = auto_pad == "SAME_UPPER" ? small : big;
    pads[sp + i] = auto_pad == "SAME_UPPER" ? big : small;
  }
  return pads;
}

Shape reshape_target(const Graph& g, const Node& n) {
  const Value& shape_v = g.input_value(n, 1);
  if (!shape_v.is_constant()) {
    fail(ErrorKind::kUnsupported, "unsupported: ", describe(n), " (opset ", g.opset,
         "): target shape computed at run time");
  }
  const Shape& s = g.input_value(n, 0).shape;
  std::vector<int64_t> t = to_int_vector(shape_v.data);
  bool allowzero = attr_int(n, "allowzero", 0) != 0;
  int64_t known = 1;
  int infer_at = -1;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == 0 && !allowzero) {
      if (i >= s.size())
        fail(ErrorKind::kBadModel, describe(n), ": 0 in target shape beyond input rank");
      t[i] = s[i];
    }
    if (t[i] == -1) {
      if (infer_at >= 0)
        fail(ErrorKind::kBadModel, describe(n), ": more than one -1 in target shape");
      infer_at = static_cast<int>(i);
    } else if (t[i] < -1) {
      fail(ErrorKind::kBadModel, describe(n), ": ", t[i], " in target shape ", shape_str(t));
    } else {
      known = t[i] == 0 ? 0 : known;
      if (known != 0 && (__builtin_mul_overflow(known, t[i], &known) || known > kMaxElements))
        fail(ErrorKind::kBadModel, describe(n), ": target shape ", shape_str(t), " is too large");
    }
  }
  int64_t total = numel(s);
  if (infer_at >= 0) {
    if (known == 0 || total % known != 0) {
      fail(ErrorKind::kBadModel, describe(n), ": cannot reshape ", shape_str(s), " to ",
           shape_str(t));
    }
    t[static_cast<size_t>(infer_at)] = total / known;
  }
  check_shape(cat(describe(n), ": target shape"), t);
  if (numel(t) != total)
    fail(ErrorKind::kBadModel, describe(n), ": cannot reshape ", shape_str(s), " to ",
         shape_str(t));
  return t;
}

std::vector<int64_t> transpose_perm(const Node& n, size_t rank) {
  std::vector<int64_t> perm = attr_ints(n, "perm");
  if (perm.empty()) {
    for (size_t i = 0; i < rank; ++i) perm.push_back(static_cast<int64_t>(rank - 1 - i));
  }
  if (perm.size() != rank) fail(ErrorKind::kBadModel, describe(n), ": perm has the wrong length");
  std::vector<bool> seen(rank, false);
  for (int64_t& p : perm) {
    p = normalize_axis(n, p, static_cast<int64_t>(rank));
    if (seen[static_cast<size_t>(p)])
      fail(ErrorKind::kBadModel, describe(n), ": perm repeats an axis");
    seen[static_cast<size_t>(p)] = true;
  }
  return perm;
}

}  // namespace ys