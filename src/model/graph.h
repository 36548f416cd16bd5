// The graph IR: plain vectors of values and nodes that refer to each other by index, the way
// ggml keeps its graph. Loaders fill it, passes (shape inference, constant folding, fusion,
// stage mapping) rewrite it in place, and the runtime plans and executes it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/tensor.h"

namespace ys {

// Where a node sits in a YOLO model; kUnknown for graphs that are not recognised as YOLO.
enum class Stage : uint8_t { kBackbone, kNeck, kHead, kUnknown };
const char* stage_name(Stage s);

// Physical layout of a 4-D activation chosen by a backend; kPlain is ONNX's row-major NCHW.
enum class Layout : uint8_t { kPlain, kNHWC };

// Activation folded into a producing op by the fusion pass.
enum class Activation : uint8_t { kNone, kSigmoid, kSiLU };

using Attribute =
    std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>, Tensor>;

struct Value {
  std::string name;
  DType dtype = DType::kFloat32;
  Shape shape;        // fully static after shape inference
  Tensor data;        // non-empty for initializers and folded constants
  int producer = -1;  // node index, -1 for graph inputs and constants
  Layout layout = Layout::kPlain;
  bool is_constant() const { return !data.empty(); }
};

struct Node {
  std::string name;
  std::string op;
  std::string domain;       // "" for the default ONNX domain
  std::vector<int> inputs;  // value indices; -1 marks an omitted optional input
  std::vector<int> outputs;
  std::map<std::string, Attribute> attrs;
  Activation activation = Activation::kNone;
  int module = -1;          // Ultralytics module index (model.<i>), -1 when unknown
  std::string module_type;  // "C2f", "Conv", "Detect", ...; empty when unknown
  Stage stage = Stage::kUnknown;
};

struct Graph {
  std::string name;
  std::vector<Value> values;
  std::vector<Node> nodes;  // topologically ordered
  std::vector<int> inputs;  // non-constant graph inputs
  std::vector<int> outputs;
  int64_t opset = 0;
  std::map<std::string, std::string> metadata;
  std::string family;              // "yolov8", "yolo11", "yolov5u", "yolov9", or ""
  bool synthetic_weights = false;  // built-in architecture with generated weights

  int add_value(Value v);
  int find_value(const std::string& name) const;  // -1 when absent
  const Value& input_value(const Node& n, size_t i) const {
    return values[static_cast<size_t>(n.inputs[i])];
  }
  const Value& output_value(const Node& n, size_t i) const {
    return values[static_cast<size_t>(n.outputs[i])];
  }
  bool has_input(const Node& n, size_t i) const { return i < n.inputs.size() && n.inputs[i] >= 0; }
  // Recomputes producers, drops nodes whose outputs nobody needs, and drops unused values'
  // data (keeps indices stable).
  void prune();
  // Removes the nodes marked in `drop` (one flag per node), keeping the others' order, and
  // recomputes producers: how graph rewrites finish.
  void erase_nodes(const std::vector<bool>& drop);
  // Learned weights and biases, as Ultralytics counts them (3,151,904 for YOLOv8n).
  int64_t parameter_count() const;
};

int64_t attr_int(const Node& n, const std::string& key, int64_t fallback);
float attr_float(const Node& n, const std::string& key, float fallback);
std::string attr_string(const Node& n, const std::string& key, const std::string& fallback);
std::vector<int64_t> attr_ints(const Node& n, const std::string& key,
                               std::vector<int64_t> fallback = {});
bool has_attr(const Node& n, const std::string& key);

// "Conv '/model.0/conv/Conv'": how every message names a node.
std::string describe(const Node& n);

}  // namespace ys
