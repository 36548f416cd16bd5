// Work estimates per node: floating-point operations (a multiply-add counts as two) and bytes
// moved, for achieved GFLOP/s and GB/s in profiles and for `yolo info`'s GFLOPs.
#pragma once

#include <cstdint>

#include "model/graph.h"

namespace ys {

int64_t node_flops(const Graph& g, const Node& n);
// Bytes read (inputs, weights included) plus bytes written.
int64_t node_bytes(const Graph& g, const Node& n);

}  // namespace ys
