// How the CUDA backend decides formats: the ops whose kernels read and write NHWC activations.
// Everything else reads and writes plain row-major tensors.
#pragma once

#include "model/graph.h"

namespace ys::cuda {

bool takes_nhwc(const Graph& g, const Node& n);

}  // namespace ys::cuda
