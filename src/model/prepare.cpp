#include "model/prepare.h"

#include <algorithm>

#include "core/error.h"
#include "model/fusion.h"
#include "model/op_schema.h"
#include "model/reference_eval.h"
#include "model/yolo_family.h"

namespace ys {
namespace {

// Folding larger constants would only move work from run time to load time with no gain for
// YOLO graphs, and could blow up memory on odd models.
constexpr int64_t kMaxFoldElements = 1 << 22;

void fix_input_shapes(Graph& g, const Shape& requested) {
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    Value& v = g.values[static_cast<size_t>(g.inputs[i])];
    if (i == 0 && !requested.empty()) {
      if (!v.shape.empty() && v.shape.size() != requested.size()) {
        fail(ErrorKind::kInvalidArgument, "input '", v.name, "' has rank ", v.shape.size(), " (",
             shape_str(v.shape), "), but an input of shape ", shape_str(requested),
             " was asked for");
      }
      for (size_t d = 0; d < v.shape.size(); ++d) {
        if (v.shape[d] > 0 && v.shape[d] != requested[d]) {
          fail(ErrorKind::kInvalidArgument, "input '", v.name, "' has the fixed shape ",
               shape_str(v.shape), "; it cannot take ", shape_str(requested),
               " (export the model with dynamic=True or use its size)");
        }
      }
      v.shape = requested;
      continue;
    }
    for (size_t d = 0; d < v.shape.size(); ++d) {
      if (v.shape[d] > 0) continue;
      if (v.shape.size() == 4 && d != 1) {
        v.shape[d] = d == 0 ? 1 : 640;  // batch 1, Ultralytics' default image size
      } else {
        fail(ErrorKind::kInvalidArgument, "input '", v.name, "' has a dynamic dimension ", d,
             " in ", shape_str(v.shape), ": give the input shape explicitly");
      }
    }
  }
}

bool all_inputs_constant(const Graph& g, const Node& n) {
  for (int v : n.inputs) {
    if (v >= 0 && !g.values[static_cast<size_t>(v)].is_constant()) return false;
  }
  return true;
}

}  // namespace

void infer_and_fold(Graph& g) {
  std::vector<bool> folded(g.nodes.size(), false);
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    Node& n = g.nodes[k];
    const OpSchema* schema = find_op_schema(n.op);
    if (!schema) {
      fail(ErrorKind::kUnsupported, "unsupported: ", describe(n), " (opset ", g.opset,
           "): operator '", n.op, "' is not implemented");
    }
    schema->validate(g, n);
    schema->infer(g, n);
    if (n.op == "Shape") {  // a static shape is a constant whatever the input's data
      Value& o = g.values[static_cast<size_t>(n.outputs[0])];
      const Shape& s = g.input_value(n, 0).shape;
      Tensor t(DType::kInt64, o.shape);
      int64_t rank = static_cast<int64_t>(s.size());
      int64_t start = attr_int(n, "start", 0);
      if (start < 0) start += rank;
      start = std::clamp<int64_t>(start, 0, rank);
      for (int64_t i = 0; i < o.shape[0]; ++i)
        t.ptr<int64_t>()[i] = s[static_cast<size_t>(start + i)];
      o.data = t;
      folded[k] = true;
      continue;
    }
    if (!all_inputs_constant(g, n)) continue;
    int64_t elements = 0;
    for (int o : n.outputs) {
      if (o >= 0) elements += numel(g.values[static_cast<size_t>(o)].shape);
    }
    if (elements > kMaxFoldElements) continue;
    std::vector<Tensor> ins, outs;
    for (int v : n.inputs) ins.push_back(v < 0 ? Tensor() : g.values[static_cast<size_t>(v)].data);
    for (int o : n.outputs) {
      outs.push_back(o < 0 ? Tensor()
                           : Tensor(g.values[static_cast<size_t>(o)].dtype,
                                    g.values[static_cast<size_t>(o)].shape));
    }
    reference_eval(g, n, ins, outs);
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      if (n.outputs[i] >= 0) g.values[static_cast<size_t>(n.outputs[i])].data = outs[i];
    }
    folded[k] = true;
  }
  std::vector<Node> kept;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    if (!folded[k]) kept.push_back(std::move(g.nodes[k]));
  }
  g.nodes = std::move(kept);
  g.prune();
}

void prepare_graph(Graph& g, const PrepareOptions& options) {
  fix_input_shapes(g, options.input_shape);
  infer_and_fold(g);
  if (options.fuse) fuse_conv_activations(g);
  g.prune();
  map_yolo_modules(g);
}

}  // namespace ys
