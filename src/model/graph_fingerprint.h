// What names a model for a cache of work done at load (issue 19.3's start-up cache): a SHA-256 of
// the graph exactly as a backend receives it, so the same file, a re-export with other weights, a
// built-in architecture and a change in the passes that run before the backend all key apart
// without the loader having to carry the file's hash along.
#pragma once

#include <string>

#include "model/graph.h"

namespace ys {

// Lower-case hex SHA-256 over every node (name, op, domain, operands, attributes, fused
// activation), every value (name, type, shape, layout, and a constant's bytes) and the graph's
// inputs and outputs. Node stage and module annotations are left out: they change no kernel.
std::string graph_sha256(const Graph& graph);

// "images:1x3x640x640", one per graph input, comma-separated.
std::string graph_input_shapes(const Graph& graph);

}  // namespace ys
