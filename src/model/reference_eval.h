// A plain C++ evaluator for every operator in the registry. Constant folding runs it on
// load-time constants, the CPU backend falls back to it for ops oneDNN has no primitive for,
// and builds without oneDNN run on it alone. It favours obvious correctness over speed.
#pragma once

#include <string>
#include <vector>

#include "core/tensor.h"
#include "model/graph.h"

namespace ys {

// Computes node `n` of `g`; `inputs` hold the node's inputs (an empty Tensor for an omitted
// optional one); `outputs` are preallocated with the shapes and dtypes shape inference gave.
void reference_eval(const Graph& g, const Node& n, const std::vector<Tensor>& inputs,
                    const std::vector<Tensor>& outputs);

// Whether `op` (default domain) has a row in the evaluator's table; every op in the registry
// (supported_ops()) must, and tests/backends/backend_ops_test.cpp checks that it does.
bool has_reference_eval(const std::string& op);

}  // namespace ys
