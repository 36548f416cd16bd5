// The op -> kernel table of the oneDNN CPU backend, in the spirit of ncnn's layer registry: each
// op names its layout rule and its kernel factory; ops without an entry, and forms a factory
// declines, run on the reference evaluator.
#pragma once

#include <memory>

#include "backends/cpu/cpu_kernel.h"

namespace ys::cpu {

LayoutRule layout_rule(const Graph& g, const Node& n);
std::unique_ptr<Kernel> make_kernel(const KernelRequest& r);

// Backend::prepare for this backend: NHWC for every 4-D float activation whose producer and
// consumers all take it; graph inputs and outputs, and anything a layout-sensitive op (Reshape,
// Transpose, Softmax, MatMul, Slice...) reads, stay plain.
void assign_layouts(Graph& g);

}  // namespace ys::cpu
