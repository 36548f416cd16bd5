// Graph rewrites that fold activations into the op that produces their input: Conv -> Sigmoid ->
// Mul (SiLU) and Conv -> Sigmoid become one Conv with an activation, so every backend runs them
// as a single kernel with a fused epilogue.
#pragma once

#include "model/graph.h"

namespace ys {

// Returns how many activations were fused.
int fuse_conv_activations(Graph& g);

}  // namespace ys
