#include "model/graph.h"

#include <set>

#include "core/error.h"

namespace ys {

const char* stage_name(Stage s) {
  switch (s) {
    case Stage::kBackbone:
      return "backbone";
    case Stage::kNeck:
      return "neck";
    case Stage::kHead:
      return "head";
    case Stage::kUnknown:
      return "unknown";
  }
  return "unknown";
}

int Graph::add_value(Value v) {
  values.push_back(std::move(v));
  return static_cast<int>(values.size()) - 1;
}

int Graph::find_value(const std::string& value_name) const {
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].name == value_name) return static_cast<int>(i);
  }
  return -1;
}

void Graph::erase_nodes(const std::vector<bool>& drop) {
  std::vector<Node> kept;
  kept.reserve(nodes.size());
  for (size_t k = 0; k < nodes.size(); ++k) {
    if (!drop[k]) kept.push_back(std::move(nodes[k]));
  }
  nodes = std::move(kept);
  for (auto& v : values) v.producer = -1;
  for (size_t k = 0; k < nodes.size(); ++k) {
    for (int o : nodes[k].outputs) {
      if (o >= 0) values[static_cast<size_t>(o)].producer = static_cast<int>(k);
    }
  }
}

void Graph::prune() {
  std::vector<bool> needed(values.size(), false);
  for (int o : outputs) needed[static_cast<size_t>(o)] = true;
  std::vector<bool> keep(nodes.size(), false);
  for (size_t k = nodes.size(); k-- > 0;) {
    const Node& n = nodes[k];
    bool live = false;
    for (int o : n.outputs) live = live || (o >= 0 && needed[static_cast<size_t>(o)]);
    if (!live) continue;
    keep[k] = true;
    for (int i : n.inputs) {
      if (i >= 0) needed[static_cast<size_t>(i)] = true;
    }
  }
  keep.flip();
  erase_nodes(keep);
  for (size_t i = 0; i < values.size(); ++i) {
    if (!needed[i] && values[i].is_constant()) values[i].data = Tensor();
  }
}

int64_t Graph::parameter_count() const {
  // The learned inputs of the ops that have them: what PyTorch's model.parameters() holds, and
  // so what Ultralytics' summary counts. Other constants (anchors, strides, shapes) are buffers
  // or export artefacts, not parameters.
  static const std::set<std::string> kLearning = {"Conv",
                                                  "ConvTranspose",
                                                  "Gemm",
                                                  "MatMul",
                                                  "BatchNormalization",
                                                  "PRelu",
                                                  "InstanceNormalization",
                                                  "LayerNormalization"};
  std::set<int> seen;
  int64_t count = 0;
  for (const Node& n : nodes) {
    if (!n.domain.empty() || kLearning.count(n.op) == 0) continue;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const int i = n.inputs[k];
      // BatchNormalization's running mean and variance (inputs 3 and 4) are buffers.
      const bool buffer = n.op == "BatchNormalization" && k >= 3;
      if (i < 0 || buffer || !values[static_cast<size_t>(i)].is_constant() ||
          !seen.insert(i).second)
        continue;
      const Value& v = values[static_cast<size_t>(i)];
      if (v.dtype == DType::kFloat32 || v.dtype == DType::kFloat16) count += v.data.numel();
    }
  }
  return count;
}

namespace {
template <typename T>
const T* find_attr(const Node& n, const std::string& key) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) return nullptr;
  const T* v = std::get_if<T>(&it->second);
  if (!v) fail(ErrorKind::kBadModel, describe(n), ": attribute '", key, "' has an unexpected type");
  return v;
}
}  // namespace

int64_t attr_int(const Node& n, const std::string& key, int64_t fallback) {
  const int64_t* v = find_attr<int64_t>(n, key);
  return v ? *v : fallback;
}

float attr_float(const Node& n, const std::string& key, float fallback) {
  const float* v = find_attr<float>(n, key);
  return v ? *v : fallback;
}

std::string attr_string(const Node& n, const std::string& key, const std::string& fallback) {
  const std::string* v = find_attr<std::string>(n, key);
  return v ? *v : fallback;
}

std::vector<int64_t> attr_ints(const Node& n, const std::string& key,
                               std::vector<int64_t> fallback) {
  const auto* v = find_attr<std::vector<int64_t>>(n, key);
  return v ? *v : fallback;
}

bool has_attr(const Node& n, const std::string& key) {
  return n.attrs.count(key) != 0;
}

std::string describe(const Node& n) {
  return cat(n.op, " '", n.name, "'");
}

}  // namespace ys
