// How the CUDA backend decides formats: the ops whose kernels read and write NHWC activations.
// Everything else reads and writes plain row-major tensors. The pass also appends a node of the
// backend's own domain that reads every graph input and does nothing, to keep inputs alive.
#pragma once

#include "model/graph.h"

namespace ys::cuda {

bool takes_nhwc(const Graph& g, const Node& n);

}  // namespace ys::cuda
