// Kernel factories of the CUDA backend, one per op family; each gets the node with its tensors
// already bound (arena views for activations, host tensors for constants).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backends/cuda/cuda_context.h"
#include "model/graph.h"

namespace ys::cuda {

struct KernelRequest {
  const Graph& graph;
  const Node& node;
  const std::vector<Tensor>& inputs;
  const std::vector<Tensor>& outputs;
  const std::shared_ptr<Context>& context;

  const Value& input_value(size_t i) const { return graph.input_value(node, i); }
  const Value& output_value(size_t i) const { return graph.output_value(node, i); }
};

// The shape in memory order: [N, H, W, C] for an NHWC value, the logical shape otherwise.
Shape physical_shape(const Value& v);
// Where logical axis `axis` (normalised) sits in physical_shape().
int64_t physical_axis(const Value& v, int64_t axis);

// A device copy of a constant input converted to `elem`, or the arena pointer of an activation.
const void* device_operand(const KernelRequest& r, size_t input, Elem elem);

std::unique_ptr<Kernel> make_conv_kernel(const KernelRequest& r);
std::unique_ptr<Kernel> make_matmul_kernel(const KernelRequest& r);

// The op table (cuda_ops.cpp), one row per op: its format rule and its kernel factory. An op
// without a row has no CUDA kernel and is refused at kernel creation; nothing falls back to the
// host. Adding an op is one row there (and its factory).
bool has_kernel(const Node& n);
// Whether the op's kernel reads and writes NHWC activations (the formats pass asks).
bool takes_nhwc(const Graph& g, const Node& n);
// The node's kernel, or nullptr where the op has no row or its factory declines this form.
std::unique_ptr<Kernel> make_kernel(const KernelRequest& r);

}  // namespace ys::cuda
