#include "model/op_checks.h"

#include <algorithm>

#include "core/error.h"

namespace ys::schema {

Value& out(Graph& g, const Node& n, size_t i) {
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

[[noreturn]] void bad_attr(const Node& n, const char* key, const std::string& why) {
  fail(ErrorKind::kBadModel, describe(n), ": attribute '", key, "' ", why);
}

// An INTS attribute: `fallback` when absent, otherwise exactly `count` values in [lo, hi].
std::vector<int64_t> ints_attr(const Node& n, const char* key, size_t count, int64_t lo, int64_t hi,
                               std::vector<int64_t> fallback) {
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
                                bool allow_int32) {
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

}  // namespace ys::schema
