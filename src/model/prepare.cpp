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
// Folding runs the reference evaluator at load time: one node may cost this many multiply-adds
// and all folded outputs together this many elements, so a small file cannot make loading take
// minutes or gigabytes (a MatMul of two expanded constants, a chain of large Tiles).
constexpr double kMaxFoldWork = double{1 << 26};
constexpr int64_t kMaxFoldTotal = int64_t{1} << 25;

// Multiply-adds (or element visits) the reference evaluator spends on `n`; shapes are checked,
// so the products are exact in double.
double fold_work(const Graph& g, const Node& n, int64_t out_elements) {
  double per_output = 1;
  if (n.op == "Conv") {
    const Shape& w = g.input_value(n, 1).shape;
    per_output = static_cast<double>(w[1]) * static_cast<double>(w[2]) * static_cast<double>(w[3]);
  } else if (n.op == "MatMul" || n.op == "Gemm") {
    const Shape& a = g.input_value(n, 0).shape;
    const bool ta = n.op == "Gemm" && attr_int(n, "transA", 0) != 0;
    per_output = a.empty() ? 1 : static_cast<double>(ta ? a.front() : a.back());
  } else if (n.op == "MaxPool" || n.op == "AveragePool") {
    for (int64_t k : attr_ints(n, "kernel_shape")) per_output *= static_cast<double>(k);
  }
  double work = per_output * static_cast<double>(out_elements);
  for (int v : n.inputs) {
    if (v >= 0) work += static_cast<double>(numel(g.values[static_cast<size_t>(v)].shape));
  }
  return work;
}

void check_fed_inputs(const Graph& g) {
  if (g.inputs.empty())
    fail(ErrorKind::kBadModel, "the model has no graph input to take the image");
  // Values the outputs depend on, walking the nodes backwards.
  std::vector<bool> needed(g.values.size(), false);
  for (int o : g.outputs) needed[static_cast<size_t>(o)] = true;
  for (size_t k = g.nodes.size(); k-- > 0;) {
    const Node& n = g.nodes[k];
    bool live = false;
    for (int o : n.outputs) live = live || (o >= 0 && needed[static_cast<size_t>(o)]);
    if (!live) continue;
    for (int i : n.inputs) {
      if (i >= 0) needed[static_cast<size_t>(i)] = true;
    }
  }
  for (size_t i = 1; i < g.inputs.size(); ++i) {
    const Value& v = g.values[static_cast<size_t>(g.inputs[i])];
    if (needed[static_cast<size_t>(g.inputs[i])]) {
      fail(ErrorKind::kBadModel, "the model has ", g.inputs.size(), " inputs, and its outputs ",
           "depend on input ", i, " '", v.name, "' ", shape_str(v.shape),
           "; only the first, the image ('", g.values[static_cast<size_t>(g.inputs[0])].name,
           "'), is fed");
    }
  }
}

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
      check_shape(cat("input '", v.name, "'"), v.shape);
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
  int64_t folded_total = 0;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    Node& n = g.nodes[k];
    const OpSchema* schema = find_op_schema(n.op);
    if (!schema) {
      fail(ErrorKind::kUnsupported, "unsupported: ", describe(n), " (opset ", g.opset,
           "): operator '", n.op, "' is not implemented");
    }
    schema->validate(g, n);
    schema->infer(g, n);
    for (int o : n.outputs) {
      if (o < 0) continue;
      const Value& v = g.values[static_cast<size_t>(o)];
      check_shape(cat(describe(n), ": output '", v.name, "'"), v.shape);
    }
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
    if (elements > kMaxFoldElements || folded_total + elements > kMaxFoldTotal ||
        fold_work(g, n, elements) > kMaxFoldWork) {
      continue;
    }
    folded_total += elements;
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
  if (!options.feeds_all_inputs) check_fed_inputs(g);
  fix_input_shapes(g, options.input_shape);
  infer_and_fold(g);
  if (options.fuse) fuse_conv_activations(g);
  g.prune();
  map_yolo_modules(g);
}

}  // namespace ys
