#include "model/op_schema.h"

#include <algorithm>
#include <array>

#include "core/error.h"
#include "model/op_checks.h"

namespace ys {
namespace {

// The op families in the order supported_ops lists them.
constexpr std::array kFamilies = {schema::elementwise_schemas, schema::shape_schemas,
                                  schema::nn_schemas};

}  // namespace

const OpSchema* find_op_schema(const std::string& op) {
  for (const auto& family : kFamilies) {
    for (const OpSchema& s : family()) {
      if (op == s.op) return &s;
    }
  }
  return nullptr;
}

std::vector<std::string> supported_ops() {
  std::vector<std::string> ops;
  for (const auto& family : kFamilies) {
    for (const OpSchema& s : family()) ops.emplace_back(s.op);
  }
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

}  // namespace ys
