#include <algorithm>

#include "core/error.h"
#include "model/op_checks.h"

namespace ys::schema {
namespace {

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

constexpr OpSchema kSchemas[] = {
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
};

}  // namespace

std::span<const OpSchema> elementwise_schemas() {
  return kSchemas;
}

}  // namespace ys::schema
