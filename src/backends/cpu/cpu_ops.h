// The op families of the oneDNN CPU backend, one file each (cpu_conv.cpp, cpu_pool.cpp, ...):
// for every family a layout rule, which the layout pass consults, and a kernel factory, which
// handles every node its rule let go non-plain and may decline plain ones (they fall back to the
// reference evaluator).
#pragma once

#include "backends/cpu/cpu_kernel.h"

namespace ys::cpu {

LayoutRule conv_layout_rule(const Graph& g, const Node& n);
std::unique_ptr<Kernel> make_conv_kernel(const KernelRequest& r);

LayoutRule pool_layout_rule(const Graph& g, const Node& n);
std::unique_ptr<Kernel> make_pool_kernel(const KernelRequest& r);

LayoutRule eltwise_layout_rule(const Graph& g, const Node& n);
std::unique_ptr<Kernel> make_eltwise_kernel(const KernelRequest& r);

LayoutRule binary_layout_rule(const Graph& g, const Node& n);
std::unique_ptr<Kernel> make_binary_kernel(const KernelRequest& r);

LayoutRule concat_split_layout_rule(const Graph& g, const Node& n);
std::unique_ptr<Kernel> make_concat_kernel(const KernelRequest& r);
std::unique_ptr<Kernel> make_split_kernel(const KernelRequest& r);

std::unique_ptr<Kernel> make_softmax_kernel(const KernelRequest& r);
std::unique_ptr<Kernel> make_matmul_kernel(const KernelRequest& r);

LayoutRule resize_layout_rule(const Graph& g, const Node& n);
std::unique_ptr<Kernel> make_resize_kernel(const KernelRequest& r);

// Reshape, Flatten, Squeeze, Unsqueeze and Identity (copies), Transpose and Slice.
LayoutRule copy_layout_rule(const Graph& g, const Node& n);
std::unique_ptr<Kernel> make_copy_kernel(const KernelRequest& r);
std::unique_ptr<Kernel> make_transpose_kernel(const KernelRequest& r);
std::unique_ptr<Kernel> make_slice_kernel(const KernelRequest& r);

}  // namespace ys::cpu
