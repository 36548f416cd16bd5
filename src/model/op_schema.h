// The registry of supported operators, in the spirit of ncnn's layer registry: one entry per ONNX
// op with its attribute validation and its shape inference. An op or attribute that is missing
// here is refused at load time with the node name, op type, opset and what is missing.
//
// Adding an op takes a row in each of these tables, every one a plain list of rows (3 and 4 only
// for a backend that should run it natively):
//   1. the op schema: kSchemas of its family file, model/op_schema_elementwise.cpp,
//      op_schema_shape.cpp or op_schema_nn.cpp (input counts, validate, infer; the shared checks
//      are in model/op_checks.h);
//   2. the reference evaluator: kReferenceOps in model/reference_eval.cpp (its compute-heavy
//      kernels live in reference_eval_nn.cpp);
//   3. the CPU registry: kOps in backends/cpu/cpu_registry.cpp (a layout rule and a oneDNN kernel
//      factory; without a row the CPU runs the reference evaluator);
//   4. the CUDA table: kOps in backends/cuda/cuda_ops.cpp (an NHWC rule and a kernel factory;
//      without a row CUDA refuses the model);
//   5. tests/backends/backend_ops_test.cpp: a case in all_cases() and, where a backend
//      leaves the op to others, its name in kFoldedAtLoad, kCpuOnReference or kCudaRefuses.
// The test walks every op of this registry over every backend compiled in against the reference
// evaluator, so a row forgotten in any table fails there, not on a user's model.
#pragma once

#include <string>
#include <vector>

#include "model/graph.h"

namespace ys {

struct OpSchema {
  const char* op;
  int min_inputs;
  int max_inputs;
  // Throws ErrorKind::kUnsupported naming the attribute or input form we do not handle.
  void (*validate)(const Graph& g, const Node& n);
  // Sets dtype and shape of every output; input shapes are known, constant inputs carry data.
  void (*infer)(Graph& g, const Node& n);
};

const OpSchema* find_op_schema(const std::string& op);
std::vector<std::string> supported_ops();
// How many outputs a node of `op` may list (Split's are variadic, MaxPool has optional Indices).
size_t max_outputs(const std::string& op);

// The most elements a tensor may have (8 TiB of float64): far beyond any memory, and small
// enough that the shape arithmetic below it (dims times strides, kernels, repeats) cannot
// overflow int64 once each factor is checked.
constexpr int64_t kMaxElements = int64_t{1} << 40;
// Throws kBadModel naming `what` unless every dimension is >= 0 and the product of the non-zero
// ones is at most kMaxElements (so no partial product of the shape overflows either).
void check_shape(const std::string& what, const Shape& s);
// a * b and a + b, throwing kBadModel naming the node instead of overflowing.
int64_t checked_mul(const Node& n, int64_t a, int64_t b);
int64_t checked_add(const Node& n, int64_t a, int64_t b);

// Numpy-style broadcast of two shapes; throws on mismatch.
Shape broadcast_shapes(const Shape& a, const Shape& b);
// Normalises a possibly negative axis against a rank; throws naming the node when out of range.
int64_t normalize_axis(const Node& n, int64_t axis, int64_t rank);

// Resolved forms of ops whose inputs moved between attributes and inputs across opsets.
std::vector<int64_t> split_sizes(const Graph& g, const Node& n);  // Split
struct SliceParams {
  std::vector<int64_t> starts, ends, axes, steps;  // normalised and clamped, one per sliced axis
};
SliceParams slice_params(const Graph& g, const Node& n);
std::vector<int64_t> squeeze_axes(const Graph& g, const Node& n);  // Squeeze / Unsqueeze
std::vector<float> resize_scales(const Graph& g, const Node& n);   // per-axis output/input ratio
// The input index nearest-mode Resize reads for output index `o` along one axis, following the
// node's coordinate_transformation_mode and nearest_mode; every backend uses this one mapping.
int64_t resize_nearest_source(const Node& n, int64_t o, double scale, int64_t in_len,
                              int64_t out_len);
std::vector<int64_t> conv_pads(const Node& n, const Shape& in, const std::vector<int64_t>& kernel,
                               const std::vector<int64_t>& strides,
                               const std::vector<int64_t>& dilations);
Shape reshape_target(const Graph& g, const Node& n);
std::vector<int64_t> transpose_perm(const Node& n, size_t rank);

}  // namespace ys
