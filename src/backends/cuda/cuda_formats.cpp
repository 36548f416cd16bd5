// The formats pass: which layout and element type every activation is stored in, with Cast nodes
// wherever a consumer needs another format than its producer wrote.
#include <map>
#include <tuple>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_ops.h"
#include "model/op_schema.h"

namespace ys {
namespace cuda {
namespace {

bool is_float(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat16;
}

bool is_activation(const Value& v) {
  return !v.is_constant() && is_float(v.dtype);
}

}  // namespace

}  // namespace cuda

void cuda_assign_formats(Graph& g, bool half) {
  using cuda::takes_nhwc;
  const DType inner = half ? DType::kFloat16 : DType::kFloat32;
  auto is_4d_act = [&](const Value& v) { return cuda::is_activation(v) && v.shape.size() == 4; };

  // Graph outputs keep the type the model declares (a Cast to FLOAT16 stays a half output in an
  // FP32 run): a final Cast writes them whenever their producer stores another format.
  std::vector<Node> tail;
  for (int& out : g.outputs) {
    Value& v = g.values[static_cast<size_t>(out)];
    if (v.producer < 0 || !cuda::is_activation(v)) continue;
    const Node& p = g.nodes[static_cast<size_t>(v.producer)];
    const bool nhwc = is_4d_act(v) && takes_nhwc(g, p);
    const DType declared = v.dtype;
    if (declared == inner && !nhwc) continue;
    Value internal = v;
    internal.name = v.name + "/stored";
    const int iv = g.add_value(internal);
    for (Node& n : g.nodes) {
      for (int& i : n.inputs) i = i == out ? iv : i;
      for (int& o : n.outputs) o = o == out ? iv : o;
    }
    Node cast;
    cast.name = p.name + "/output_cast";
    cast.op = "Cast";
    cast.attrs["to"] = int64_t{declared == DType::kFloat16 ? 10 : 1};
    cast.inputs = {iv};
    cast.outputs = {out};
    cast.module = p.module;
    cast.module_type = p.module_type;
    cast.stage = p.stage;
    tail.push_back(cast);
  }

  // What each producer writes.
  for (Node& n : g.nodes) {
    const bool nhwc = takes_nhwc(g, n);
    for (int o : n.outputs) {
      if (o < 0) continue;
      Value& v = g.values[static_cast<size_t>(o)];
      if (!cuda::is_activation(v)) continue;
      v.dtype = inner;
      v.layout = nhwc && v.shape.size() == 4 ? Layout::kNHWC : Layout::kPlain;
    }
  }

  // What each consumer reads; conversions are shared between consumers of the same format.
  std::map<std::tuple<int, Layout, DType>, int> converted;
  std::vector<Node> nodes;
  nodes.reserve(g.nodes.size() + tail.size() + 8);
  for (Node& n : g.nodes) {
    const bool nhwc = takes_nhwc(g, n);
    for (int& in : n.inputs) {
      if (in < 0) continue;
      const Value& v = g.values[static_cast<size_t>(in)];
      if (!cuda::is_activation(v)) continue;
      const Layout want_layout = nhwc && v.shape.size() == 4 ? Layout::kNHWC : Layout::kPlain;
      if (v.layout == want_layout && v.dtype == inner) continue;
      const auto key = std::make_tuple(in, want_layout, inner);
      auto it = converted.find(key);
      if (it == converted.end()) {
        Value c = v;
        c.name = v.name + (want_layout == Layout::kNHWC ? "/nhwc" : "/nchw");
        c.layout = want_layout;
        c.dtype = inner;
        c.producer = -1;
        const int cv = g.add_value(c);
        Node cast;
        cast.name = n.name + "/input_cast";
        cast.op = "Cast";
        cast.attrs["to"] = int64_t{half ? 10 : 1};
        cast.inputs = {in};
        cast.outputs = {cv};
        cast.module = n.module;
        cast.module_type = n.module_type;
        cast.stage = n.stage;
        nodes.push_back(cast);
        it = converted.emplace(key, cv).first;
      }
      in = it->second;
    }
    nodes.push_back(std::move(n));
  }
  for (Node& n : tail) {
    const bool to_half = std::get<int64_t>(n.attrs.at("to")) == 10;
    for (int o : n.outputs) {
      g.values[static_cast<size_t>(o)].dtype = to_half ? DType::kFloat16 : DType::kFloat32;
      g.values[static_cast<size_t>(o)].layout = Layout::kPlain;
    }
    nodes.push_back(std::move(n));
  }
  g.nodes = std::move(nodes);
  for (Value& v : g.values) v.producer = -1;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    for (int o : g.nodes[k].outputs) {
      if (o >= 0) g.values[static_cast<size_t>(o)].producer = static_cast<int>(k);
    }
  }
}

}  // namespace ys
