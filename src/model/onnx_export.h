// Writing a graph as an ONNX model through Debian's libonnx protobuf classes, so a built-in
// architecture can be opened in ONNX Runtime or Netron, and any graph can be saved after our
// passes. Constants become initializers (raw_data), nodes keep their names and attributes, the
// graph's metadata becomes metadata_props, and known shapes go into the inputs, outputs and
// value_info. A prepared graph is written as valid ONNX: an activation that prepare_graph fused
// into a node (Node::activation) is expanded back into the Sigmoid (and, for SiLU, Mul) nodes it
// came from, named after the node's module the way Ultralytics names them ("/model.0/act/Mul").
// No operator is converted between opsets: the IR holds the opset-13+ forms (Split and Squeeze
// sizes as inputs, Resize with scales), and `opset` is stamped as given, from 13 to 22.
#pragma once

#include <cstdint>
#include <string>

#include "model/graph.h"

namespace ys {

// Writes through a temporary file beside `path`, so a failed write never leaves a truncated model
// in its place. Throws kIo naming the path when it cannot be written, kInvalidArgument for an
// opset outside 13..22, kUnsupported for what ONNX cannot hold as we have it (a custom domain, a
// constant in a backend's private layout, a model over protobuf's 2 GiB).
void export_onnx(const Graph& g, const std::string& path, int64_t opset = 17);

// The serialized ModelProto, for callers that keep it in memory.
std::string export_onnx_bytes(const Graph& g, int64_t opset = 17);

}  // namespace ys
