#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "core/error.h"
#include "model/op_checks.h"

namespace ys::schema {
namespace {

void validate_shape(const Graph& g, const Node& n) {
  allow_attrs(g, n, {"start", "end"});
}

void validate_constant(const Graph& g, const Node& n) {
  allow_attrs(g, n, {"value"});
}

// ---- shape ops ------------------------------------------------------------------------------
void infer_shape_op(Graph& g, const Node& n) {
  const Shape& s = in(g, n, 0).shape;
  int64_t r = static_cast<int64_t>(s.size());
  int64_t start = attr_int(n, "start", 0), end = attr_int(n, "end", r);
  if (start < 0) start += r;
  if (end < 0) end += r;
  start = std::clamp<int64_t>(start, 0, r);
  end = std::clamp<int64_t>(end, start, r);
  out(g, n).dtype = DType::kInt64;
  out(g, n).shape = {end - start};
}

void validate_cast(const Graph& g, const Node& n) {
  allow_attrs(g, n, {"to", "saturate"});
  int64_t to = attr_int(n, "to", 0);
  static const std::set<int64_t> ok = {1, 2, 3, 6, 7, 9, 10, 11};
  if (!ok.count(to)) unsupported(g, n, cat("cast to ONNX element type ", to));
}

DType onnx_dtype(int64_t t) {
  switch (t) {
    case 1:
      return DType::kFloat32;
    case 2:
      return DType::kUInt8;
    case 3:
      return DType::kInt8;
    case 6:
      return DType::kInt32;
    case 7:
      return DType::kInt64;
    case 9:
      return DType::kBool;
    case 10:
      return DType::kFloat16;
    case 11:
      return DType::kFloat64;
    default:
      return DType::kFloat32;
  }
}

void infer_cast(Graph& g, const Node& n) {
  out(g, n).dtype = onnx_dtype(attr_int(n, "to", 1));
  out(g, n).shape = in(g, n, 0).shape;
}

void validate_gather(const Graph& g, const Node& n) {
  allow_attrs(g, n, {"axis"});
  require_input(g, n, 1, "indices");
  require_dtype(g, n, 1, {DType::kInt64, DType::kInt32});
}

void infer_gather(Graph& g, const Node& n) {
  const Shape& data = in(g, n, 0).shape;
  const Shape& idx = in(g, n, 1).shape;
  int64_t axis = normalize_axis(n, attr_int(n, "axis", 0), static_cast<int64_t>(data.size()));
  Shape s(data.begin(), data.begin() + axis);
  s.insert(s.end(), idx.begin(), idx.end());
  s.insert(s.end(), data.begin() + axis + 1, data.end());
  out(g, n).dtype = in(g, n, 0).dtype;
  out(g, n).shape = s;
}

void validate_squeeze(const Graph& g, const Node& n) {
  allow_attrs(g, n, {"axes"});
  if (g.opset >= 13 && g.has_input(n, 1)) const_ints(g, n, 1, "axes");
  if (n.op == "Unsqueeze" && squeeze_axes(g, n).empty()) {
    fail(ErrorKind::kBadModel, describe(n), ": no axes given");
  }
}

void infer_unsqueeze(Graph& g, const Node& n) {
  Shape s = in(g, n, 0).shape;
  std::vector<int64_t> axes = squeeze_axes(g, n);
  int64_t r = static_cast<int64_t>(s.size() + axes.size());
  for (int64_t& a : axes) a = normalize_axis(n, a, r);
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    fail(ErrorKind::kBadModel, describe(n), ": axes repeat an axis");
  for (int64_t a : axes) s.insert(s.begin() + a, 1);
  out(g, n).dtype = in(g, n, 0).dtype;
  out(g, n).shape = s;
}

void infer_squeeze(Graph& g, const Node& n) {
  const Shape& s = in(g, n, 0).shape;
  std::vector<int64_t> axes = squeeze_axes(g, n);
  int64_t r = static_cast<int64_t>(s.size());
  std::set<int64_t> drop;
  if (axes.empty()) {
    for (int64_t i = 0; i < r; ++i) {
      if (s[static_cast<size_t>(i)] == 1) drop.insert(i);
    }
  }
  for (int64_t a : axes) {
    int64_t k = normalize_axis(n, a, r);
    if (s[static_cast<size_t>(k)] != 1) {
      fail(ErrorKind::kBadModel, describe(n), ": axis ", a, " of ", shape_str(s),
           " is not of size 1");
    }
    drop.insert(k);
  }
  Shape o;
  for (int64_t i = 0; i < r; ++i) {
    if (!drop.count(i)) o.push_back(s[static_cast<size_t>(i)]);
  }
  out(g, n).dtype = in(g, n, 0).dtype;
  out(g, n).shape = o;
}

void validate_concat(const Graph& g, const Node& n) {
  allow_attrs(g, n, {"axis"});
  if (!has_attr(n, "axis"))
    fail(ErrorKind::kBadModel, describe(n), ": attribute 'axis' is missing");
  for (size_t i = 1; i < n.inputs.size(); ++i) {
    require_input(g, n, i, "an operand");
    require_same_dtype(g, n, 0, i);
  }
}

void infer_concat(Graph& g, const Node& n) {
  Shape s = in(g, n, 0).shape;
  int64_t axis = normalize_axis(n, attr_int(n, "axis", 0), static_cast<int64_t>(s.size()));
  s[static_cast<size_t>(axis)] = 0;
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    const Shape& t = in(g, n, i).shape;
    if (t.size() != s.size()) fail(ErrorKind::kBadModel, describe(n), ": inputs of different rank");
    for (size_t d = 0; d < s.size(); ++d) {
      if (static_cast<int64_t>(d) != axis && t[d] != s[d]) {
        fail(ErrorKind::kBadModel, describe(n), ": input ", i, " has shape ", shape_str(t),
             ", which does not match the others outside axis ", axis);
      }
    }
    s[static_cast<size_t>(axis)] =
        checked_add(n, s[static_cast<size_t>(axis)], t[static_cast<size_t>(axis)]);
  }
  out(g, n).dtype = in(g, n, 0).dtype;
  out(g, n).shape = s;
}

void infer_split(Graph& g, const Node& n) {
  const Shape& s = in(g, n, 0).shape;
  int64_t axis = normalize_axis(n, attr_int(n, "axis", 0), static_cast<int64_t>(s.size()));
  std::vector<int64_t> sizes = split_sizes(g, n);
  for (size_t i = 0; i < n.outputs.size(); ++i) {
    Shape o = s;
    o[static_cast<size_t>(axis)] = sizes[i];
    out(g, n, i).dtype = in(g, n, 0).dtype;
    out(g, n, i).shape = o;
  }
}

void validate_split(const Graph& g, const Node& n) {
  allow_attrs(g, n, {"axis", "split", "num_outputs"});
  if (g.opset >= 13 && g.has_input(n, 1)) const_ints(g, n, 1, "Split's sizes");
  if (g.opset < 13 && g.has_input(n, 1)) unsupported(g, n, "sizes as an input before opset 13");
  if (has_attr(n, "num_outputs") &&
      attr_int(n, "num_outputs", 0) != static_cast<int64_t>(n.outputs.size())) {
    bad_attr(n, "num_outputs",
             cat("= ", attr_int(n, "num_outputs", 0), " but the node has ", n.outputs.size(),
                 " outputs"));
  }
}

void validate_slice(const Graph& g, const Node& n) {
  if (g.opset < 10) {
    allow_attrs(g, n, {"starts", "ends", "axes"});
    if (n.inputs.size() > 1) unsupported(g, n, "starts and ends as inputs before opset 10");
    return;
  }
  allow_attrs(g, n, {});
  require_input(g, n, 1, "starts");
  require_input(g, n, 2, "ends");
  for (size_t i = 1; i < n.inputs.size(); ++i) {
    if (g.has_input(n, i)) const_ints(g, n, i, "Slice's starts, ends, axes and steps", true);
  }
}

void infer_slice(Graph& g, const Node& n) {
  Shape s = in(g, n, 0).shape;
  SliceParams p = slice_params(g, n);
  for (size_t k = 0; k < p.axes.size(); ++k) {
    int64_t start = p.starts[k], end = p.ends[k], step = p.steps[k];
    // start and end are clamped to [-1, dim] and |step| to dim + 1: no overflow here.
    int64_t span = step > 0 ? end - start : start - end;
    s[static_cast<size_t>(p.axes[k])] = span <= 0 ? 0 : 1 + (span - 1) / (step > 0 ? step : -step);
  }
  out(g, n).dtype = in(g, n, 0).dtype;
  out(g, n).shape = s;
}

void validate_reshape(const Graph& g, const Node& n) {
  allow_attrs(g, n, {"allowzero"});
  if (g.opset < 5) unsupported(g, n, "the shape attribute of opset < 5");
  int_attr(n, "allowzero", 0, 0, 1);
  require_input(g, n, 1, "the target shape");
  if (in(g, n, 1).is_constant()) const_ints(g, n, 1, "Reshape's target shape");
}

void infer_reshape(Graph& g, const Node& n) {
  out(g, n).dtype = in(g, n, 0).dtype;
  out(g, n).shape = reshape_target(g, n);
}

void validate_flatten(const Graph& g, const Node& n) {
  allow_attrs(g, n, {"axis"});
}

void validate_transpose(const Graph& g, const Node& n) {
  allow_attrs(g, n, {"perm"});
}

void infer_flatten(Graph& g, const Node& n) {
  const Shape& s = in(g, n, 0).shape;
  int64_t axis = attr_int(n, "axis", 1);
  if (axis < 0) axis += static_cast<int64_t>(s.size());
  if (axis < 0 || axis > static_cast<int64_t>(s.size())) unsupported(g, n, "axis out of range");
  int64_t a = 1, b = 1;
  for (size_t i = 0; i < s.size(); ++i) (static_cast<int64_t>(i) < axis ? a : b) *= s[i];
  out(g, n).dtype = in(g, n, 0).dtype;
  out(g, n).shape = {a, b};
}

void infer_transpose(Graph& g, const Node& n) {
  const Shape& s = in(g, n, 0).shape;
  std::vector<int64_t> perm = transpose_perm(n, s.size());
  Shape o(s.size());
  for (size_t i = 0; i < s.size(); ++i) o[i] = s[static_cast<size_t>(perm[i])];
  out(g, n).dtype = in(g, n, 0).dtype;
  out(g, n).shape = o;
}

void validate_expand(const Graph& g, const Node& n) {
  allow_attrs(g, n, {});
  require_input(g, n, 1, "the target shape");
  const_ints(g, n, 1, "Expand's shape");
}

void infer_expand(Graph& g, const Node& n) {
  std::vector<int64_t> target = const_ints(g, n, 1, "Expand's shape");
  out(g, n).dtype = in(g, n, 0).dtype;
  out(g, n).shape = broadcast_shapes(in(g, n, 0).shape, target);
}

void validate_constant_of_shape(const Graph& g, const Node& n) {
  allow_attrs(g, n, {"value"});
  const_ints(g, n, 0, "ConstantOfShape's shape");
  auto it = n.attrs.find("value");
  if (it == n.attrs.end()) return;
  const Tensor* v = std::get_if<Tensor>(&it->second);
  if (!v) bad_attr(n, "value", "is not a tensor");
  if (v->numel() != 1) bad_attr(n, "value", cat("has ", v->numel(), " elements; 1 expected"));
}

void infer_constant_of_shape(Graph& g, const Node& n) {
  std::vector<int64_t> target = const_ints(g, n, 0, "ConstantOfShape's shape");
  DType t = DType::kFloat32;
  auto it = n.attrs.find("value");
  if (it != n.attrs.end()) t = std::get<Tensor>(it->second).dtype();
  out(g, n).dtype = t;
  out(g, n).shape = target;
}

void validate_range(const Graph& g, const Node& n) {
  allow_attrs(g, n, {});
  const char* what[] = {"Range's start", "Range's limit", "Range's delta"};
  for (size_t i = 0; i < 3; ++i) {
    require_input(g, n, i, what[i]);
    const_input(g, n, i, what[i]);
    require_elements(g, n, i, 1);
    require_same_dtype(g, n, 0, i);
  }
  require_dtype(g, n, 0, {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32});
}

void infer_range(Graph& g, const Node& n) {
  double start = element_as_double(const_input(g, n, 0, "Range's start"), 0);
  double limit = element_as_double(const_input(g, n, 1, "Range's limit"), 0);
  double delta = element_as_double(const_input(g, n, 2, "Range's delta"), 0);
  if (delta == 0) fail(ErrorKind::kBadModel, describe(n), ": delta is zero");
  const double steps = std::ceil((limit - start) / delta);
  // Compared as doubles before the conversion, which is undefined for NaN or out of range.
  if (!(steps <= static_cast<double>(kMaxElements))) {
    fail(ErrorKind::kBadModel, describe(n), ": from ", start, " to ", limit, " by ", delta,
         " is more than ", kMaxElements, " elements");
  }
  int64_t count = std::max<int64_t>(0, static_cast<int64_t>(steps));
  out(g, n).dtype = in(g, n, 0).dtype;
  out(g, n).shape = {count};
}

void infer_constant(Graph& g, const Node& n) {
  // The loader turns Constant nodes into constants; this covers graphs built in code.
  auto it = n.attrs.find("value");
  if (it == n.attrs.end()) unsupported(g, n, "only the 'value' attribute is supported");
  const Tensor* v = std::get_if<Tensor>(&it->second);
  if (!v) bad_attr(n, "value", "is not a tensor");
  const Tensor& t = *v;
  out(g, n).dtype = t.dtype();
  out(g, n).shape = t.shape();
}

void validate_tile(const Graph& g, const Node& n) {
  allow_attrs(g, n, {});
  require_input(g, n, 1, "repeats");
  for (int64_t r : const_ints(g, n, 1, "Tile's repeats")) {
    if (r < 0) fail(ErrorKind::kBadModel, describe(n), ": a negative repeat count ", r);
  }
}

void infer_tile(Graph& g, const Node& n) {
  std::vector<int64_t> reps = const_ints(g, n, 1, "Tile's repeats");
  Shape s = in(g, n, 0).shape;
  if (reps.size() != s.size())
    fail(ErrorKind::kBadModel, describe(n), ": repeats has wrong length");
  for (size_t i = 0; i < s.size(); ++i) s[i] = checked_mul(n, s[i], reps[i]);
  out(g, n).dtype = in(g, n, 0).dtype;
  out(g, n).shape = s;
}

constexpr OpSchema kSchemas[] = {
    {"Shape", 1, 1, validate_shape, infer_shape_op},
    {"Cast", 1, 1, validate_cast, infer_cast},
    {"Gather", 2, 2, validate_gather, infer_gather},
    {"Unsqueeze", 1, 2, validate_squeeze, infer_unsqueeze},
    {"Squeeze", 1, 2, validate_squeeze, infer_squeeze},
    {"Concat", 1, 64, validate_concat, infer_concat},
    {"Split", 1, 2, validate_split, infer_split},
    {"Slice", 1, 5, validate_slice, infer_slice},
    {"Reshape", 2, 2, validate_reshape, infer_reshape},
    {"Flatten", 1, 1, validate_flatten, infer_flatten},
    {"Transpose", 1, 1, validate_transpose, infer_transpose},
    {"Expand", 2, 2, validate_expand, infer_expand},
    {"Tile", 2, 2, validate_tile, infer_tile},
    {"ConstantOfShape", 1, 1, validate_constant_of_shape, infer_constant_of_shape},
    {"Range", 3, 3, validate_range, infer_range},
    {"Constant", 0, 0, validate_constant, infer_constant},
};

}  // namespace

std::span<const OpSchema> shape_schemas() {
  return kSchemas;
}

}  // namespace ys::schema
