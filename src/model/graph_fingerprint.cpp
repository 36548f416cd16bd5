#include "model/graph_fingerprint.h"

#include <type_traits>
#include <variant>
#include <vector>

#include "core/startup_cache.h"

namespace ys {
namespace {

// Each field length-prefixed, so no two different graphs can write the same bytes.
class Writer {
 public:
  void bytes(const void* data, size_t size) {
    number(static_cast<int64_t>(size));
    out_.append(static_cast<const char*>(data), size);
  }
  void text(const std::string& s) { bytes(s.data(), s.size()); }
  void number(int64_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void numbers(const std::vector<int64_t>& v) { bytes(v.data(), v.size() * sizeof(int64_t)); }
  void tensor(const Tensor& t) {
    number(static_cast<int64_t>(t.dtype()));
    numbers(t.shape());
    if (t.empty()) {
      number(-1);
    } else {
      bytes(t.data(), t.nbytes());
    }
  }
  void attribute(const Attribute& a) {
    number(static_cast<int64_t>(a.index()));
    std::visit(
        [this](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, int64_t>) {
            number(v);
          } else if constexpr (std::is_same_v<T, float>) {
            bytes(&v, sizeof v);
          } else if constexpr (std::is_same_v<T, std::string>) {
            text(v);
          } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
            numbers(v);
          } else if constexpr (std::is_same_v<T, std::vector<float>>) {
            bytes(v.data(), v.size() * sizeof(float));
          } else {
            tensor(v);
          }
        },
        a);
  }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

std::vector<int64_t> widen(const std::vector<int>& v) {
  return {v.begin(), v.end()};
}

}  // namespace

std::string graph_sha256(const Graph& graph) {
  Writer w;
  w.number(static_cast<int64_t>(graph.values.size()));
  for (const Value& v : graph.values) {
    w.text(v.name);
    w.number(static_cast<int64_t>(v.dtype));
    w.numbers(v.shape);
    w.number(static_cast<int64_t>(v.layout));
    if (v.is_constant()) {
      w.tensor(v.data);
    } else {
      w.number(-1);
    }
  }
  w.number(static_cast<int64_t>(graph.nodes.size()));
  for (const Node& n : graph.nodes) {
    w.text(n.name);
    w.text(n.op);
    w.text(n.domain);
    w.numbers(widen(n.inputs));
    w.numbers(widen(n.outputs));
    w.number(static_cast<int64_t>(n.activation));
    w.number(static_cast<int64_t>(n.attrs.size()));
    for (const auto& [name, value] : n.attrs) {
      w.text(name);
      w.attribute(value);
    }
  }
  w.numbers(widen(graph.inputs));
  w.numbers(widen(graph.outputs));
  return sha256_hex(w.str());
}

std::string graph_input_shapes(const Graph& graph) {
  std::string out;
  for (int i : graph.inputs) {
    const Value& v = graph.values[static_cast<size_t>(i)];
    if (!out.empty()) out += ",";
    out += v.name + ":";
    for (size_t d = 0; d < v.shape.size(); ++d) out += (d ? "x" : "") + std::to_string(v.shape[d]);
  }
  return out;
}

}  // namespace ys
