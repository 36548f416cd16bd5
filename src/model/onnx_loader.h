// Loading ONNX models through Debian's libonnx protobuf classes into the graph IR. The loader
// checks structure (op support, attribute kinds, initializer data) and names the node, op,
// opset and reason of anything it refuses; shapes are settled later by prepare_graph().
#pragma once

#include <string>

#include "model/graph.h"

namespace ys {

Graph load_onnx_file(const std::string& path);
Graph load_onnx_bytes(const std::string& bytes, const std::string& origin);

// Reads a serialized onnx.TensorProto file (as in ONNX's backend test data sets).
Tensor load_tensor_proto_file(const std::string& path, std::string* name = nullptr);

}  // namespace ys
