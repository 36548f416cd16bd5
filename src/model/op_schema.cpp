#include "model/op_schema.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "core/error.h"

namespace ys {
namespace {

Value& out(Graph& g, const Node& n, size_t i = 0) {
  return g.values[static_cast<size_t>(n.outputs[i])];
}
const Value& in(const Graph& g, const Node& n, size_t i) {
  return g.input_value(n, i);
}

[[noreturn]] void unsupported(const Graph& g, const Node& n, const std::string& what) {
  fail(ErrorKind::kUnsupported, "unsupported: ", describe(n), " (opset ", g.opset, "): ", what);
}

const Tensor& const_input(const Graph& g, const Node& n, size_t i, const char* what) {
  if (!g.has_input(n, i) || !in(g, n, i).is_constant()) {
    unsupported(g, n, cat(what, " must be a constant known at load time"));
  }
  return in(g, n, i).data;
}

void allow_attrs(const Graph& g, const Node& n, std::initializer_list<const char*> allowed) {
  for (const auto& entry : n.attrs) {
    const std::string& key = entry.first;
    bool ok = std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; });
    if (!ok) unsupported(g, n, cat("attribute '", key, "' is not supported"));
  }
}

// ---- attribute and input checks against the op's schema --------------------------------------
// Window sizes, strides, dilations and pads above this are no image model's, and bounding them
// keeps the shape arithmetic far from int64's limits.
constexpr int64_t kMaxWindow = int64_t{1} << 31;

[[noreturn]] void bad_attr(const Node& n, const char* key, const std::string& why) {
  fail(ErrorKind::kBadModel, describe(n), ": attribute '", key, "' ", why);
}

// An INTS attribute: `fallback` when absent, otherwise exactly `count` values in [lo, hi].
std::vector<int64_t> ints_attr(const Node& n, const char* key, size_t count, int64_t lo, int64_t hi,
                               std::vector<int64_t> fallback = {}) {
  if (!has_attr(n, key)) return fallback;
  std::vector<int64_t> v = attr_ints(n, key);
  if (v.size() != count) {
    bad_attr(n, key, cat("= ", shape_str(v), " has ", v.size(), " values; ", count, " expected"));
  }
  for (int64_t x : v) {
    if (x < lo || x > hi) {
      bad_attr(n, key, cat("= ", shape_str(v), ": every value must be in [", lo, ", ", hi, "]"));
    }
  }
  return v;
}

int64_t int_attr(const Node& n, const char* key, int64_t fallback, int64_t lo, int64_t hi) {
  int64_t v = attr_int(n, key, fallback);
  if (v < lo || v > hi) bad_attr(n, key, cat("= ", v, " must be in [", lo, ", ", hi, "]"));
  return v;
}

std::string string_attr(const Node& n, const char* key, const std::string& fallback,
                        std::initializer_list<const char*> allowed) {
  std::string v = attr_string(n, key, fallback);
  bool ok = std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return v == a; });
  if (!ok) {
    std::string list;
    for (const char* a : allowed) list += cat(list.empty() ? "" : ", ", a);
    bad_attr(n, key, cat("= '", v, "' is not one of ", list));
  }
  return v;
}

std::string input_name(const Graph& g, const Node& n, size_t i) {
  return g.has_input(n, i) ? cat("input ", i, " '", in(g, n, i).name, "'") : cat("input ", i);
}

void require_input(const Graph& g, const Node& n, size_t i, const char* what) {
  if (!g.has_input(n, i))
    fail(ErrorKind::kBadModel, describe(n), ": ", what, " (input ", i, ") is missing");
}

void require_dtype(const Graph& g, const Node& n, size_t i, std::initializer_list<DType> allowed) {
  const DType t = in(g, n, i).dtype;
  if (std::find(allowed.begin(), allowed.end(), t) != allowed.end()) return;
  std::string list;
  for (DType a : allowed) list += cat(list.empty() ? "" : " or ", dtype_name(a));
  fail(ErrorKind::kBadModel, describe(n), ": ", input_name(g, n, i), " is ", dtype_name(t), "; ",
       list, " expected");
}

void require_same_dtype(const Graph& g, const Node& n, size_t a, size_t b) {
  if (in(g, n, a).dtype != in(g, n, b).dtype) {
    fail(ErrorKind::kBadModel, describe(n), ": ", input_name(g, n, a), " is ",
         dtype_name(in(g, n, a).dtype), " but ", input_name(g, n, b), " is ",
         dtype_name(in(g, n, b).dtype), "; they must match");
  }
}

void require_rank(const Graph& g, const Node& n, size_t i, size_t rank) {
  const Shape& s = in(g, n, i).shape;
  if (s.size() != rank) {
    fail(ErrorKind::kBadModel, describe(n), ": ", input_name(g, n, i), " has shape ", shape_str(s),
         "; rank ", rank, " expected");
  }
}

void require_elements(const Graph& g, const Node& n, size_t i, int64_t count) {
  const Shape& s = in(g, n, i).shape;
  if (numel(s) != count) {
    fail(ErrorKind::kBadModel, describe(n), ": ", input_name(g, n, i), " has shape ", shape_str(s),
         "; ", count, count == 1 ? " element" : " elements", " expected");
  }
}

// The compute ops run on float32 activations only (what YOLO graphs use); refusing other types
// here keeps the promise that anything that loads also runs.
void require_float_input(const Graph& g, const Node& n) {
  const DType t = in(g, n, 0).dtype;
  if (t != DType::kFloat32) unsupported(g, n, cat(dtype_name(t), " input (float32 only)"));
}

// A constant list of integers (shapes, axes, sizes): int64 (or int32 where ONNX allows it), rank 1.
std::vector<int64_t> const_ints(const Graph& g, const Node& n, size_t i, const char* what,
                                bool allow_int32 = false) {
  const Tensor& t = const_input(g, n, i, what);
  if (allow_int32) {
    require_dtype(g, n, i, {DType::kInt64, DType::kInt32});
  } else {
    require_dtype(g, n, i, {DType::kInt64});
  }
  if (t.rank() > 1) {
    fail(ErrorKind::kBadModel, describe(n), ": ", what, " has shape ", shape_str(t.shape()),
         "; a list (rank 1) expected");
  }
  return to_int_vector(t);
}

void same_as_input(Graph& g, const Node& n) {
  out(g, n).dtype = in(g, n, 0).dtype;
  out(g, n).shape = in(g, n, 0).shape;
}

void validate_shape(const Graph& g, const Node& n) {
  allow_attrs(g, n, {"start", "end"});
}

void validate_constant(const Graph& g, const Node& n) {
  allow_attrs(g, n, {"value"});
}

// ---- elementwise ----------------------------------------------------------------------------
void validate_unary(const Graph& g, const Node& n) {
  if (n.op == "LeakyRelu") return allow_attrs(g, n, {"alpha"});
  if (n.op == "HardSigmoid") return allow_attrs(g, n, {"alpha", "beta"});
  if (n.op == "Clip") {
    allow_attrs(g, n, {"min", "max"});
    // From opset 11 the bounds are optional scalar inputs of the input's type.
    for (size_t i = 1; i < n.inputs.size(); ++i) {
      if (!g.has_input(n, i)) continue;
      if (g.opset < 11) unsupported(g, n, "min and max as inputs before opset 11");
      require_same_dtype(g, n, 0, i);
      require_elements(g, n, i, 1);
    }
    return;
  }
  allow_attrs(g, n, {});
}

void infer_binary(Graph& g, const Node& n) {
  Shape s = broadcast_shapes(in(g, n, 0).shape, in(g, n, 1).shape);
  DType t = in(g, n, 0).dtype;
  if (n.op == "Equal" || n.op == "Less" || n.op == "Greater" || n.op == "LessOrEqual" ||
      n.op == "GreaterOrEqual") {
    t = DType::kBool;
  }
  out(g, n).dtype = t;
  out(g, n).shape = s;
}

void validate_binary(const Graph& g, const Node& n) {
  allow_attrs(g, n, {});
  if (n.inputs.size() != 2) unsupported(g, n, "only two inputs are supported");
  if (g.opset < 7) unsupported(g, n, "legacy broadcast attributes (opset < 7)");
  require_input(g, n, 1, "the second operand");
  if (n.op != "Pow") require_same_dtype(g, n, 0, 1);  // Pow's exponent may have its own type
}

void validate_where(const Graph& g, const Node& n) {
  allow_attrs(g, n, {});
  require_input(g, n, 1, "X");
  require_input(g, n, 2, "Y");
  require_dtype(g, n, 0, {DType::kBool});
  require_same_dtype(g, n, 1, 2);
}

void infer_where(Graph& g, const Node& n) {
  Shape s =
      broadcast_shapes(broadcast_shapes(in(g, n, 0).shape, in(g, n, 1).shape), in(g, n, 2).shape);
  out(g, n).dtype = in(g, n, 1).dtype;
  out(g, n).shape = s;
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

const OpSchema kSchemas[] = {
    // elementwise
    {"Sigmoid", 1, 1, validate_unary, same_as_input},
    {"Relu", 1, 1, validate_unary, same_as_input},
    {"LeakyRelu", 1, 1, validate_unary, same_as_input},
    {"Tanh", 1, 1, validate_unary, same_as_input},
    {"Exp", 1, 1, validate_unary, same_as_input},
    {"Log", 1, 1, validate_unary, same_as_input},
    {"Neg", 1, 1, validate_unary, same_as_input},
    {"Sqrt", 1, 1, validate_unary, same_as_input},
    {"Abs", 1, 1, validate_unary, same_as_input},
    {"Reciprocal", 1, 1, validate_unary, same_as_input},
    {"Floor", 1, 1, validate_unary, same_as_input},
    {"Ceil", 1, 1, validate_unary, same_as_input},
    {"Erf", 1, 1, validate_unary, same_as_input},
    {"HardSigmoid", 1, 1, validate_unary, same_as_input},
    {"HardSwish", 1, 1, validate_unary, same_as_input},
    {"Softplus", 1, 1, validate_unary, same_as_input},
    {"Clip", 1, 3, validate_unary, same_as_input},
    {"Identity", 1, 1, validate_unary, same_as_input},
    {"Add", 2, 2, validate_binary, infer_binary},
    {"Sub", 2, 2, validate_binary, infer_binary},
    {"Mul", 2, 2, validate_binary, infer_binary},
    {"Div", 2, 2, validate_binary, infer_binary},
    {"Pow", 2, 2, validate_binary, infer_binary},
    {"Max", 2, 2, validate_binary, infer_binary},
    {"Min", 2, 2, validate_binary, infer_binary},
    {"Equal", 2, 2, validate_binary, infer_binary},
    {"Less", 2, 2, validate_binary, infer_binary},
    {"Greater", 2, 2, validate_binary, infer_binary},
    {"Where", 3, 3, validate_where, infer_where},
    // shape and data movement
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
    // neural network
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

const OpSchema* find_op_schema(const std::string& op) {
  for (const OpSchema& s : kSchemas) {
    if (op == s.op) return &s;
  }
  return nullptr;
}

std::vector<std::string> supported_ops() {
  std::vector<std::string> ops;
  for (const OpSchema& s : kSchemas) ops.emplace_back(s.op);
  return ops;
}

size_t max_outputs(const std::string& op) {
  if (op == "Split") return 64;
  if (op == "MaxPool") return 2;
  return 1;
}

void check_shape(const std::string& what, const Shape& s) {
  int64_t product = 1;
  for (int64_t d : s) {
    if (d < 0) fail(ErrorKind::kBadModel, what, " has a negative dimension: ", shape_str(s));
    if (d == 0) continue;
    if (__builtin_mul_overflow(product, d, &product) || product > kMaxElements) {
      fail(ErrorKind::kBadModel, what, " has shape ", shape_str(s), ": more than ", kMaxElements,
           " elements");
    }
  }
}

int64_t checked_mul(const Node& n, int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    fail(ErrorKind::kBadModel, describe(n), ": ", a, " x ", b, " overflows int64 in its shapes");
  return r;
}

int64_t checked_add(const Node& n, int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    fail(ErrorKind::kBadModel, describe(n), ": ", a, " + ", b, " overflows int64 in its shapes");
  return r;
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  size_t r = std::max(a.size(), b.size());
  Shape o(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1) {
      fail(ErrorKind::kBadModel, "shapes ", shape_str(a), " and ", shape_str(b),
           " do not broadcast");
    }
    o[i] = da == 1 ? db : da;
  }
  return o;
}

int64_t normalize_axis(const Node& n, int64_t axis, int64_t rank) {
  int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank)
    fail(ErrorKind::kBadModel, describe(n), ": axis ", axis, " out of range for rank ", rank);
  return a;
}

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
