// What every op's validate and infer in the schema files share: the attribute and input checks
// that turn a malformed node into a kBadModel or kUnsupported error naming it, and the tables of
// rows each op family file defines. Internal to model/; other layers read model/op_schema.h.
#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "model/graph.h"
#include "model/op_schema.h"

namespace ys::schema {

// Each family's rows of the op table, in op_schema_<family>.cpp; find_op_schema reads them in
// this order.
std::span<const OpSchema> elementwise_schemas();
std::span<const OpSchema> shape_schemas();
std::span<const OpSchema> nn_schemas();

Value& out(Graph& g, const Node& n, size_t i = 0);
const Value& in(const Graph& g, const Node& n, size_t i);

[[noreturn]] void unsupported(const Graph& g, const Node& n, const std::string& what);
// Input i as a tensor known at load time; kUnsupported naming `what` otherwise.
const Tensor& const_input(const Graph& g, const Node& n, size_t i, const char* what);
// Refuses (kUnsupported) any attribute not in `allowed`: an attribute we do not read would be
// silently ignored otherwise.
void allow_attrs(const Graph& g, const Node& n, std::initializer_list<const char*> allowed);

// Window sizes, strides, dilations and pads above this are no image model's, and bounding them
// keeps the shape arithmetic far from int64's limits.
constexpr int64_t kMaxWindow = int64_t{1} << 31;

[[noreturn]] void bad_attr(const Node& n, const char* key, const std::string& why);
// An INTS attribute: `fallback` when absent, otherwise exactly `count` values in [lo, hi].
std::vector<int64_t> ints_attr(const Node& n, const char* key, size_t count, int64_t lo, int64_t hi,
                               std::vector<int64_t> fallback = {});
int64_t int_attr(const Node& n, const char* key, int64_t fallback, int64_t lo, int64_t hi);
std::string string_attr(const Node& n, const char* key, const std::string& fallback,
                        std::initializer_list<const char*> allowed);

std::string input_name(const Graph& g, const Node& n, size_t i);
void require_input(const Graph& g, const Node& n, size_t i, const char* what);
void require_dtype(const Graph& g, const Node& n, size_t i, std::initializer_list<DType> allowed);
void require_same_dtype(const Graph& g, const Node& n, size_t a, size_t b);
void require_rank(const Graph& g, const Node& n, size_t i, size_t rank);
void require_elements(const Graph& g, const Node& n, size_t i, int64_t count);
// The compute ops run on float32 activations only (what YOLO graphs use); refusing other types
// here keeps the promise that anything that loads also runs.
void require_float_input(const Graph& g, const Node& n);
// A constant list of integers (shapes, axes, sizes): int64 (or int32 where ONNX allows it), rank 1.
std::vector<int64_t> const_ints(const Graph& g, const Node& n, size_t i, const char* what,
                                bool allow_int32 = false);

// The infer of every op whose output is its input's type and shape.
void same_as_input(Graph& g, const Node& n);

}  // namespace ys::schema
